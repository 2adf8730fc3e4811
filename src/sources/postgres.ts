import pg from "pg";
import { errorMessage, PlaySourceError } from "../domain/errors.js";
import type { RawPlayRow } from "../domain/types.js";
import type { PlaySource } from "./play-source.js";
import { errorCode, gamesQuery, playsQuery, SQLSTATE, toRawPlayRow } from "./plays-sql.js";

const NUMERIC_OID = 1700;
const FLOAT8_OID = 701;

// Pinned per pool rather than set on pg's global registry, which other code in
// the process shares: float8 as a JS number, numeric as its exact text (which
// validation accepts), everything else as pg's defaults.
const TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary"): (value: string) => unknown {
    if (oid === NUMERIC_OID && format !== "binary") return (value) => value;
    if (oid === FLOAT8_OID && format !== "binary") return (value) => Number.parseFloat(value);
    return format === "binary" ? pg.types.getTypeParser(oid, "binary") : pg.types.getTypeParser(oid, "text");
  },
};

/** Where a connection string points, without user or password: safe for names and messages. */
export function describeConnection(connectionString: string): { host: string; database: string } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // The string itself may hold a password, so not even a part of it is echoed.
    throw new PlaySourceError("postgres", "the connection string is not a URL: use postgres://user:password@host:5432/database");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new PlaySourceError("postgres", "the connection string does not start with postgres:// or postgresql://");
  }
  const host = url.hostname !== "" ? url.host : (url.searchParams.get("host") ?? "localhost");
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || "(default)";
  return { host, database };
}

/**
 * Removes the password and the whole connection string from a message. Driver
 * messages rarely hold them, but one that did would end up in logs and
 * manifests, so every message passes through here.
 */
export function redactSecrets(text: string, connectionString: string): string {
  const secrets = new Set<string>([connectionString]);
  try {
    const password = new URL(connectionString).password;
    if (password !== "") {
      secrets.add(password);
      secrets.add(decodeURIComponent(password));
    }
  } catch {
    // Not a URL: only the whole string can be recognised.
  }
  let result = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret !== "") result = result.split(secret).join("***");
  }
  // Any other URL with credentials, e.g. one a proxy put into its message.
  return result.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@\s]*@/gi, "$1:***@");
}

function explain(error: unknown, where: { host: string; database: string; table: string }): string {
  const code = errorCode(error);
  switch (code) {
    case "ECONNREFUSED":
      return `connection to ${where.host} was refused: check that Postgres is running and the host and port are right`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `host ${where.host} was not found: check the host name`;
    case "ETIMEDOUT":
      return `connecting to ${where.host} timed out: check the host, port and firewall`;
    case SQLSTATE.invalidPassword:
    case SQLSTATE.invalidAuthorization:
      return `authentication failed: check the user and password in the connection string`;
    case SQLSTATE.invalidCatalogName:
      return `database ${where.database} does not exist on ${where.host}`;
    case SQLSTATE.undefinedTable:
      return `the ${where.table} table does not exist in ${where.database}: create it, or name the right table`;
    case SQLSTATE.undefinedColumn:
      return `the ${where.table} table lacks a column the query needs (id, game_id, start_timestamp): ${errorMessage(error)}`;
  }
  if (/timeout/i.test(errorMessage(error))) {
    return `connecting to ${where.host} timed out: check the host, port and firewall`;
  }
  return errorMessage(error);
}

/**
 * Plays from a Postgres table through `pg`. The pool connects on the first
 * query, holds at most a few connections and is ended by close().
 *
 * A game id the game_id column cannot hold (not a UUID, for a UUID column)
 * cannot have plays, so fetchPlays returns [] for it, like for any unknown game.
 */
export function createPostgresPlaySource(options: { connectionString: string; table?: string }): PlaySource {
  const { connectionString } = options;
  const table = options.table ?? "plays";
  const where = { ...describeConnection(connectionString), table };
  const name = `postgres:${where.host}/${where.database}`;
  let plays: string;
  let games: string;
  try {
    plays = playsQuery(table);
    games = gamesQuery(table);
  } catch (error) {
    throw new PlaySourceError(name, `table name ${errorMessage(error)}`);
  }

  const pool = new pg.Pool({
    connectionString,
    max: 3,
    connectionTimeoutMillis: 15_000,
    idleTimeoutMillis: 30_000,
    application_name: "playclips",
    types: TYPES,
  });
  // An idle connection dropped by the server must not crash the process; the
  // next query opens a fresh one or reports the failure.
  pool.on("error", () => {});
  let closed = false;

  async function query(what: string, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
    if (closed) throw new PlaySourceError(name, `cannot ${what}: the source was closed`);
    try {
      const result = await pool.query<Record<string, unknown>>(text, values);
      return result.rows;
    } catch (error) {
      // The only value Postgres casts is the game id: one the game_id column
      // cannot hold (not a UUID, for a UUID column) has no plays.
      if (errorCode(error) === SQLSTATE.invalidTextRepresentation && values.length > 0) return [];
      const reason = redactSecrets(explain(error, where), connectionString);
      // The driver's error is replaced by a redacted copy, so printing the cause cannot leak either.
      const cause = Object.assign(new Error(redactSecrets(errorMessage(error), connectionString)), { code: errorCode(error) });
      throw new PlaySourceError(name, `cannot ${what}: ${reason}`, { cause });
    }
  }

  return {
    name,
    async fetchPlays(gameId): Promise<RawPlayRow[]> {
      return (await query(`read plays for game ${JSON.stringify(gameId)}`, plays, [gameId])).map(toRawPlayRow);
    },
    async listGames() {
      return (await query("list games", games, [])).map((row) => String(row.game_id));
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
