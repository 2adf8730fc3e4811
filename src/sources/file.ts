import { readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { errorMessage, PlaySourceError } from "../domain/errors.js";
import type { RawPlayRow } from "../domain/types.js";
import { numericValue, ROW_ERROR_KEY } from "../domain/validate-plays.js";
import { csvRecords } from "./csv.js";
import type { PlaySource } from "./play-source.js";
import { normalizeGameId } from "../domain/ids.js";

type Format = "csv" | "json" | "jsonl";

const FORMATS: Record<string, Format> = { ".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl" };

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

function jsonRows(text: string, fail: (message: string) => never): RawPlayRow[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    fail(`is not valid JSON (${errorMessage(error)}): fix the file or save it as .jsonl to skip bad lines`);
  }
  const items = isObject(data) && Array.isArray(data.plays) ? (data.plays as unknown[]) : data;
  if (!Array.isArray(items)) {
    fail('holds no array of plays: expected [{"id": ...}, ...] or {"plays": [...]}');
  }
  return items.map((item, index) =>
    isObject(item) ? item : { [ROW_ERROR_KEY]: `play ${index + 1} in the JSON array is not an object` },
  );
}

// One broken line must not hide the rest of the file, so it becomes a row
// that validation rejects, naming the line.
function jsonlRows(text: string): RawPlayRow[] {
  const rows: RawPlayRow[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "") return;
    try {
      const value: unknown = JSON.parse(line);
      rows.push(isObject(value) ? value : { [ROW_ERROR_KEY]: `line ${index + 1} is not a JSON object` });
    } catch (error) {
      rows.push({ [ROW_ERROR_KEY]: `line ${index + 1} is not valid JSON: ${errorMessage(error)}` });
    }
  });
  return rows;
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
 * Plays from a local .csv, .json or .jsonl/.ndjson file. The file is read on
 * first use and again only when its modification time or size changes.
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

  async function parse(): Promise<RawPlayRow[]> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      return fail(`cannot be read (${errorMessage(error)}): check the path and permissions`, error);
    }
    text = text.startsWith("\uFEFF") ? text.slice(1) : text;
    if (format === "csv") return csvRecords(text, name);
    if (format === "json") return jsonRows(text, fail);
    return jsonlRows(text);
  }

  async function load(): Promise<RawPlayRow[]> {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      return fail(missing ? "does not exist: check the path" : `cannot be read (${errorMessage(error)})`, error);
    }
    if (!info.isFile()) fail("is not a file: give the path of a .csv, .json or .jsonl file");
    if (cache === null || cache.mtimeMs !== info.mtimeMs || cache.size !== info.size) {
      const rows = parse();
      const entry = { mtimeMs: info.mtimeMs, size: info.size, rows };
      cache = entry;
      // A failed read is not remembered: the next call tries the file again.
      rows.catch(() => {
        if (cache === entry) cache = null;
      });
    }
    return cache.rows;
  }

  return {
    name,
    async fetchPlays(gameId) {
      const rows = await load();
      const own = rows.filter((row) => gameKey(row) === normalizeGameId(gameId));
      if (own.length === 0) return [];
      // A row the source could not parse may belong to any game; reporting it
      // with every game that has plays keeps it from vanishing silently.
      const orphans = rows.filter((row) => gameKey(row) === null && typeof row[ROW_ERROR_KEY] === "string");
      return [...byStart(own), ...orphans].map((row) => ({ ...row }));
    },
    async readAllRows() {
      return (await load()).map((row) => ({ ...row }));
    },
    async listGames() {
      const games = new Set<string>();
      for (const row of await load()) {
        const key = gameKey(row);
        if (key !== null) games.add(key);
      }
      return [...games].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };
}
