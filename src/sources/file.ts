import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { createInterface } from "node:readline";
import { errorMessage, PlaySourceError } from "../domain/errors.js";
import type { RawPlayRow } from "../domain/types.js";
import { numericValue, ROW_ERROR_KEY, SOURCE_ROW_KEY } from "../domain/validate-plays.js";
import { csvRows } from "./csv.js";
import type { PlaySource } from "./play-source.js";
import { normalizeGameId } from "../domain/ids.js";

type Format = "csv" | "json" | "jsonl";

const FORMATS: Record<string, Format> = { ".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl" };

/**
 * Files up to this size are parsed once and kept (a run of many games asks
 * for each game in turn); a bigger one is streamed again on every call, so
 * memory holds one game's rows, never the file's.
 */
export const CACHE_LIMIT_BYTES = 8 * 1024 * 1024;

function isObject(value: unknown): value is RawPlayRow {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function gameKey(row: RawPlayRow): string | null {
  const value = row.game_id;
  if (value === undefined || value === null) return null;
  // Rows name their game as the rest of playclips does: a UUID in lower case.
  const key = normalizeGameId(String(value).trim());
  return key === "" ? null : key;
}

// A JSON document cannot be split before it is parsed whole; JSONL and CSV stream.
function jsonRows(text: string, fail: (message: string) => never): RawPlayRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
  } catch (error) {
    fail(`is not valid JSON (${errorMessage(error)}): fix the file or save it as .jsonl to skip bad lines`);
  }
  const items = isObject(data) && Array.isArray(data.plays) ? (data.plays as unknown[]) : data;
  if (!Array.isArray(items)) {
    fail('holds no array of plays: expected [{"id": ...}, ...] or {"plays": [...]}');
  }
  // A JSON row is found by its index in the array (jq '.[i]'), counted from 0.
  return items.map((item, index) =>
    isObject(item)
      ? { ...item, [SOURCE_ROW_KEY]: index }
      : { [ROW_ERROR_KEY]: `play ${index} in the JSON array (counted from 0) is not an object`, [SOURCE_ROW_KEY]: index },
  );
}

// One broken line must not hide the rest of the file, so it becomes a row
// that validation rejects, naming the line.
async function* jsonlRows(path: string): AsyncGenerator<RawPlayRow> {
  let line = 0;
  for await (const text of createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity })) {
    line++;
    const body = line === 1 && text.startsWith("\uFEFF") ? text.slice(1) : text;
    if (body.trim() === "") continue;
    try {
      const value: unknown = JSON.parse(body);
      yield isObject(value) ? { ...value, [SOURCE_ROW_KEY]: line } : { [ROW_ERROR_KEY]: `line ${line} is not a JSON object`, [SOURCE_ROW_KEY]: line };
    } catch (error) {
      yield { [ROW_ERROR_KEY]: `line ${line} is not valid JSON: ${errorMessage(error)}`, [SOURCE_ROW_KEY]: line };
    }
  }
}

/** Stable sort by start_timestamp, numbers first, like ORDER BY start_timestamp NULLS LAST. */
function byStart(rows: RawPlayRow[]): RawPlayRow[] {
  const key = (row: RawPlayRow): number => {
    const n = numericValue(row.start_timestamp);
    return n === null || Number.isNaN(n) ? Number.POSITIVE_INFINITY : n;
  };
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka === kb ? 0 : ka < kb ? -1 : 1;
  });
}

/**
 * Plays from a local .csv, .json or .jsonl/.ndjson file. Each row carries
 * SOURCE_ROW_KEY: its CSV line (header = line 1), JSONL line, or JSON array
 * index, so rejections name the row where the user will look for it.
 */
export interface FilePlaySource extends PlaySource {
  /** Every row of the file in file order, also rows that name no game (for imports, which must lose none). */
  readAllRows(): Promise<RawPlayRow[]>;
}

export function createFilePlaySource(options: { path: string }): FilePlaySource {
  const { path } = options;
  const name = `file:${path}`;
  const fail = (message: string, cause?: unknown): never => {
    throw new PlaySourceError(name, `plays file "${path}" ${message}`, { cause });
  };
  const format = FORMATS[extname(path).toLowerCase()];
  if (format === undefined) {
    fail(`has an unsupported extension "${extname(path)}": use .csv, .json, .jsonl or .ndjson`);
  }

  let cache: { mtimeMs: number; size: number; rows: Promise<RawPlayRow[]> } | null = null;

  async function* parse(): AsyncGenerator<RawPlayRow> {
    try {
      if (format === "csv") yield* csvRows(createReadStream(path), name);
      else if (format === "jsonl") yield* jsonlRows(path);
      else yield* jsonRows(await readFile(path, "utf8"), fail);
    } catch (error) {
      if (error instanceof PlaySourceError) throw error;
      return fail(`cannot be read (${errorMessage(error)}): check the path and permissions`, error);
    }
  }

  async function collect(keep: (row: RawPlayRow) => boolean = () => true): Promise<RawPlayRow[]> {
    const rows: RawPlayRow[] = [];
    for await (const row of parse()) if (keep(row)) rows.push(row);
    return rows;
  }

  /** The rows keep() picks, from the cache for a small file, else straight from the file. */
  async function load(keep?: (row: RawPlayRow) => boolean): Promise<RawPlayRow[]> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      return fail(missing ? "does not exist: check the path" : `cannot be read (${errorMessage(error)})`, error);
    }
    if (!info.isFile()) fail("is not a file: give the path of a .csv, .json or .jsonl file");
    if (info.size > CACHE_LIMIT_BYTES) {
      cache = null;
      return collect(keep);
    }
    if (cache === null || cache.mtimeMs !== info.mtimeMs || cache.size !== info.size) {
      const rows = collect();
      const entry = { mtimeMs: info.mtimeMs, size: info.size, rows };
      cache = entry;
      // A failed read is not remembered: the next call tries the file again.
      rows.catch(() => {
        if (cache === entry) cache = null;
      });
    }
    const rows = await cache.rows;
    return keep ? rows.filter(keep) : rows;
  }

  return {
    name,
    async fetchPlays(gameId) {
      // A row the source could not parse may belong to any game; reporting it
      // with every game that has plays keeps it from vanishing silently.
      const orphan = (row: RawPlayRow): boolean => gameKey(row) === null && typeof row[ROW_ERROR_KEY] === "string";
      const wanted = normalizeGameId(gameId);
      const rows = await load((row) => gameKey(row) === wanted || orphan(row));
      const own = rows.filter((row) => !orphan(row));
      if (own.length === 0) return [];
      return [...byStart(own), ...rows.filter(orphan)].map((row) => ({ ...row }));
    },
    async readAllRows() {
      return (await load()).map((row) => ({ ...row }));
    },
    async listGames() {
      const games = new Set<string>();
      for (const row of await load((row) => gameKey(row) !== null)) games.add(gameKey(row) ?? "");
      return [...games].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };
}
