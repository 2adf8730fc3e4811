import type { RawPlayRow } from "../domain/types.js";

/**
 * SQL shared by every Postgres-speaking source (a server through `pg`, the
 * embedded PGlite), so both read plays exactly alike.
 */

/** Column names the sources will put into SQL: plain identifiers only, within Postgres' 63-byte limit. */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/i;

/** Double-quotes an identifier after checking it, so a column named like a keyword still works. */
export function quoteIdentifier(name: string): string {
  if (!SQL_IDENTIFIER.test(name)) {
    throw new Error(`"${name}" is not a usable SQL name: use letters, digits and _ (at most 63), not starting with a digit`);
  }
  return `"${name}"`;
}

/** A table name, optionally schema-qualified ("plays", "public.plays"), quoted part by part. */
export function quoteTable(table: string): string {
  return table.split(".").map(quoteIdentifier).join(".");
}

// `game_id = $1` with an untyped parameter lets Postgres cast the text to the
// column's type, so the (game_id, start_timestamp) index serves both UUID and
// text columns; `game_id::text = $1` would not use it. The id tie-break makes
// the order total, so row numbers in rejections are stable between runs.
/** One game's rows; SELECT * so columns beyond the known ones arrive as metadata. */
export function playsQuery(table = "plays"): string {
  return `SELECT * FROM ${quoteTable(table)} WHERE game_id = $1 ORDER BY start_timestamp, id`;
}

// COLLATE "C" sorts by bytes, like the file source's JS sort, rather than by
// the server's locale; the cast makes that possible for a UUID column too.
/** Every game id once, as text, sorted. */
export function gamesQuery(table = "plays"): string {
  return (
    `SELECT game_id FROM (SELECT DISTINCT game_id::text AS game_id FROM ${quoteTable(table)} ` +
    `WHERE game_id IS NOT NULL) AS games ORDER BY game_id COLLATE "C"`
  );
}

export const PLAYS_QUERY = playsQuery();
export const GAMES_QUERY = gamesQuery();

/** The production table (Supabase), used as the seed of the embedded database. */
export const PLAYS_SCHEMA_SQL = `CREATE TABLE IF NOT EXISTS plays (
  id UUID PRIMARY KEY,
  game_id UUID NOT NULL,
  angle TEXT NOT NULL,
  start_timestamp FLOAT NOT NULL,
  end_timestamp FLOAT NOT NULL,
  play_type TEXT
);
CREATE INDEX IF NOT EXISTS plays_game_id_start_timestamp_idx ON plays (game_id, start_timestamp);`;

/** Postgres SQLSTATEs the sources react to. */
export const SQLSTATE = {
  invalidTextRepresentation: "22P02",
  undefinedTable: "42P01",
  undefinedColumn: "42703",
  invalidPassword: "28P01",
  invalidAuthorization: "28000",
  invalidCatalogName: "3D000",
} as const;

/** The SQLSTATE or Node error code of a driver error, when it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function plainValue(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  // bytea: hex in Postgres' own text form, so it survives JSON in the dataset.
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString("hex")}`;
  return value;
}

/**
 * A driver row as a RawPlayRow. Numbers, numeric strings and bigints are left
 * as they are: validation reads all of them, and metadata keeps what the
 * database held.
 */
export function toRawPlayRow(row: Record<string, unknown>): RawPlayRow {
  const raw: RawPlayRow = {};
  for (const [key, value] of Object.entries(row)) raw[key] = plainValue(value);
  return raw;
}
