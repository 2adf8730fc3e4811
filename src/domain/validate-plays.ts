import { isSafeId, normalizeGameId } from "./ids.js";
import { PLAY_ANGLES, PLAY_COLUMNS } from "./types.js";
import type { Play, PlayAngle, PlayRejection, RawPlayRow, ValidatedPlays } from "./types.js";

/**
 * A source that could read a row but not make sense of it (a ragged CSV row, a
 * JSONL line that is not JSON) puts the reason under this key, so the row is
 * rejected here like any other bad row instead of crashing the source.
 */
export const ROW_ERROR_KEY = "__error";

/**
 * Where a source found the row, as a user would find it there (a CSV's line
 * counting the header, a JSONL line, a JSON array index). Rejections report
 * it as `row`; a source without one (a database) gets the row's position in
 * the game's rows.
 */
export const SOURCE_ROW_KEY = "__row";

/** Keys a source adds about a row, which are not columns of the play. */
export function isSourceAnnotation(key: string): boolean {
  return key === ROW_ERROR_KEY || key === SOURCE_ROW_KEY;
}

const KNOWN_COLUMNS = new Set<string>([...PLAY_COLUMNS, ROW_ERROR_KEY, SOURCE_ROW_KEY]);

function sourceRow(raw: RawPlayRow, index: number): number {
  const row = raw[SOURCE_ROW_KEY];
  return typeof row === "number" && Number.isInteger(row) && row >= 0 ? row : index + 1;
}

// Postgres numeric arrives as text ("12.500"); Number() alone would also take
// "", "0x1f" and "Infinity", which no database writes for a timestamp.
const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a driver or file meant, or null when the value is not numeric. */
export function numericValue(value: unknown): number | null {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string" && NUMERIC_TEXT.test(value.trim())) return Number(value.trim());
  return null;
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

function show(value: unknown): string {
  let text: string;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") {
    text = String(value);
  } else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = Object.prototype.toString.call(value);
    }
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Ids may come as numbers or bigints from integer columns; anything else has no id. */
function idText(value: unknown): string | null {
  if (typeof value === "string") return value.trim() === "" ? null : value.trim();
  if (typeof value === "bigint" || (typeof value === "number" && Number.isFinite(value))) return String(value);
  return null;
}

function checkTimestamp(column: string, value: unknown, problems: string[]): number | null {
  if (isBlank(value)) {
    problems.push(`${column} is missing`);
    return null;
  }
  const n = numericValue(value);
  if (n === null) {
    problems.push(`${column} ${show(value)} is not a number`);
    return null;
  }
  if (!Number.isFinite(n)) {
    problems.push(`${column} ${show(n)} is not a finite number`);
    return null;
  }
  if (n < 0) {
    problems.push(`${column} ${n} is negative`);
    return null;
  }
  return n === 0 ? 0 : n;
}

function checkAngle(value: unknown, problems: string[]): PlayAngle | null {
  if (isBlank(value)) {
    problems.push("angle is missing");
    return null;
  }
  const upper = typeof value === "string" ? value.trim().toUpperCase() : "";
  const angle = PLAY_ANGLES.find((a) => a === upper);
  if (angle === undefined) problems.push(`angle ${show(value)} is not LEFT or RIGHT`);
  return angle ?? null;
}

function checkPlayType(value: unknown, problems: string[]): string | null {
  if (isBlank(value)) return null;
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  problems.push(`play_type ${show(value)} is not text`);
  return null;
}

function metadataOf(row: RawPlayRow): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (!KNOWN_COLUMNS.has(key) && value !== undefined) metadata[key] = value;
  }
  return metadata;
}

type Checked = { row: number; id: string | null; play: Play | null; problems: string[] };

function checkRow(gameId: string, row: unknown, index: number): Checked {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    return { row: index + 1, id: null, play: null, problems: [`row ${show(row)} is not an object`] };
  }
  const raw = row as RawPlayRow;
  const at = sourceRow(raw, index);
  const problems: string[] = [];
  const id = idText(raw.id);
  const usableId = id !== null && isSafeId(id) ? id : null;
  const sourceError = raw[ROW_ERROR_KEY];
  // The source already knows the row's cells are unreliable; judging them too would only add noise.
  if (typeof sourceError === "string" && sourceError !== "") {
    return { row: at, id: usableId, play: null, problems: [sourceError] };
  }

  if (id === null) problems.push(isBlank(raw.id) ? "id is missing" : `id ${show(raw.id)} is not text or a number`);
  else if (usableId === null) {
    problems.push(`id ${show(id)} is not usable as a file name (1-128 letters, digits, '.', '_' or '-')`);
  }
  // A source may spell a UUID in upper case; it is still this game.
  if (!isBlank(raw.game_id) && normalizeGameId(String(raw.game_id).trim()) !== normalizeGameId(gameId)) {
    problems.push(`game_id ${show(raw.game_id)} is not ${show(gameId)}`);
  }
  const angle = checkAngle(raw.angle, problems);
  const start = checkTimestamp("start_timestamp", raw.start_timestamp, problems);
  const end = checkTimestamp("end_timestamp", raw.end_timestamp, problems);
  if (start !== null && end !== null && end <= start) {
    problems.push(`end_timestamp ${end} is not after start_timestamp ${start}`);
  }
  const playType = checkPlayType(raw.play_type, problems);

  const play =
    problems.length === 0 && usableId !== null && angle !== null && start !== null && end !== null
      ? { id: usableId, gameId, angle, start, end, playType, metadata: metadataOf(raw) }
      : null;
  return { row: at, id: usableId, play, problems };
}

/**
 * Validates one game's rows as any source delivers them. Bad rows become
 * rejections, never exceptions, so one typo cannot stop a game.
 */
export function validatePlayRows(gameId: string, rows: RawPlayRow[]): ValidatedPlays {
  const checked = rows.map((row, index) => checkRow(gameId, row, index));

  // Every row holding an id counts, even a bad one: it may be the row that was
  // meant, and two clips named after one id would overwrite each other.
  const rowsById = new Map<string, number[]>();
  for (const c of checked) {
    if (c.id !== null) rowsById.set(c.id, [...(rowsById.get(c.id) ?? []), c.row]);
  }

  const plays: Play[] = [];
  const rejected: PlayRejection[] = [];
  for (const c of checked) {
    const others = c.id === null ? [] : (rowsById.get(c.id) ?? []).filter((r) => r !== c.row);
    if (others.length > 0) {
      const label = others.length === 1 ? "row" : "rows";
      c.problems.push(`id ${show(c.id)} is also used by ${label} ${others.join(", ")}`);
    }
    if (c.play !== null && c.problems.length === 0) plays.push(c.play);
    else rejected.push({ row: c.row, playId: c.id, reason: c.problems.join("; ") });
  }

  plays.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { plays, rejected };
}
