import { mkdir } from "node:fs/promises";
import { PGlite, type Transaction } from "@electric-sql/pglite";
import { errorMessage, PlaySourceError } from "../domain/errors.js";
import type { RawPlayRow } from "../domain/types.js";
import { isSourceAnnotation, ROW_ERROR_KEY } from "../domain/validate-plays.js";
import { DEFAULT_LOCK_WAIT_MS, FolderBusyError, lockFolder, type FolderLock, type LockOwner } from "./folder-lock.js";
import type { PlaySource } from "./play-source.js";
import { errorCode, GAMES_QUERY, PLAYS_QUERY, PLAYS_SCHEMA_SQL, quoteIdentifier, SQL_IDENTIFIER, SQLSTATE, toRawPlayRow } from "./plays-sql.js";

export interface ImportResult {
  inserted: number;
  updated: number;
  /** Rows the database refused; `row` is 1-based in the array given to importRows. */
  rejected: Array<{ row: number; reason: string }>;
}

export interface EmbeddedPlaySource extends PlaySource {
  /** Upserts rows by id; columns the table lacks are added as TEXT, so extra file columns survive. */
  importRows(rows: RawPlayRow[]): Promise<ImportResult>;
  close(): Promise<void>;
}

function isObject(value: unknown): value is RawPlayRow {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === "string" && value.trim() === "");
}

// Every value goes in as text and Postgres casts it to the column's type, so a
// CSV's "12.5" and a JSON 12.5 land alike, and a value the column cannot hold
// is refused by the database rather than guessed at here.
function sqlText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Plays in an embedded Postgres (PGlite) persisted in dataDir, so a laptop
 * needs no server. The table is created from PLAYS_SCHEMA_SQL (UUID ids, as in
 * production) on first use, and read with the same SQL as a Postgres server.
 *
 * PGlite runs inside this process and keeps no lock on the folder, and two
 * processes writing one folder lose rows or damage it; so the folder is
 * locked (folder-lock.ts) from the first open to close(). Another process
 * waits up to lockWaitMs, then gets FolderBusyError.
 */
export function createEmbeddedPlaySource(options: {
  dataDir: string;
  /** How long to wait for another process to let go of the folder (default 10 s). */
  lockWaitMs?: number;
  /** Told once when the folder is busy and this source starts waiting. */
  onLockWait?: (owner: LockOwner | null) => void;
}): EmbeddedPlaySource {
  const { dataDir } = options;
  const name = `embedded:${dataDir}`;
  let opening: Promise<{ db: PGlite; lock: FolderLock }> | null = null;
  let closed = false;

  function fail(what: string, error: unknown): never {
    throw new PlaySourceError(name, `cannot ${what}: ${errorMessage(error)}`, { cause: error });
  }

  async function open(): Promise<PGlite> {
    if (closed) throw new PlaySourceError(name, "the embedded database was closed");
    if (opening === null) {
      const attempt = (async () => {
        await mkdir(dataDir, { recursive: true });
        const lock = await lockFolder(dataDir, { waitMs: options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, onWait: options.onLockWait });
        try {
          const db = await PGlite.create(dataDir);
          await db.exec(PLAYS_SCHEMA_SQL);
          return { db, lock };
        } catch (error) {
          await lock.release();
          throw error;
        }
      })();
      opening = attempt;
      // A failed open is not remembered, so the next call tries again.
      attempt.catch(() => {
        if (opening === attempt) opening = null;
      });
    }
    try {
      return (await opening).db;
    } catch (error) {
      if (error instanceof FolderBusyError) throw error;
      return fail(`open the embedded database in ${dataDir}`, error);
    }
  }

  async function columnsOf(tx: Transaction): Promise<Set<string>> {
    const result = await tx.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'plays'",
    );
    return new Set(result.rows.map((row) => row.column_name));
  }

  async function upsert(tx: Transaction, row: RawPlayRow): Promise<boolean> {
    const columns = Object.keys(row).filter((key) => !isSourceAnnotation(key) && row[key] !== undefined);
    const quoted = columns.map(quoteIdentifier);
    const sql =
      `INSERT INTO plays (${quoted.join(", ")}) VALUES (${quoted.map((_, i) => `$${i + 1}`).join(", ")}) ` +
      `ON CONFLICT (id) DO UPDATE SET ${quoted.map((c) => `${c} = EXCLUDED.${c}`).join(", ")} ` +
      // xmax is 0 only for a row this statement created, which tells an insert from an update.
      "RETURNING (xmax = 0) AS inserted";
    const result = await tx.query<{ inserted: boolean }>(sql, columns.map((c) => sqlText(row[c])));
    return result.rows[0]?.inserted === true;
  }

  async function importRows(rows: RawPlayRow[]): Promise<ImportResult> {
    const result: ImportResult = { inserted: 0, updated: 0, rejected: [] };
    const accepted: Array<{ row: number; data: RawPlayRow }> = [];
    const keys = new Set<string>();
    rows.forEach((data: unknown, index) => {
      const row = index + 1;
      if (!isObject(data)) return result.rejected.push({ row, reason: "the row is not an object" });
      const sourceError = data[ROW_ERROR_KEY];
      if (typeof sourceError === "string" && sourceError !== "") return result.rejected.push({ row, reason: sourceError });
      if (isBlank(data.id)) return result.rejected.push({ row, reason: "id is missing" });
      for (const key of Object.keys(data)) if (!isSourceAnnotation(key) && data[key] !== undefined) keys.add(key);
      accepted.push({ row, data });
    });
    const badKeys = [...keys].filter((key) => !SQL_IDENTIFIER.test(key));
    if (badKeys.length > 0) {
      throw new PlaySourceError(
        name,
        `cannot import: column ${badKeys.map((k) => JSON.stringify(k)).join(", ")} cannot become a database column: ` +
          "rename it to letters, digits and _ (at most 63, not starting with a digit)",
      );
    }

    const db = await open();
    try {
      await db.transaction(async (tx) => {
        const existing = await columnsOf(tx);
        for (const key of keys) {
          if (!existing.has(key)) await tx.query(`ALTER TABLE plays ADD COLUMN IF NOT EXISTS ${quoteIdentifier(key)} TEXT`);
        }
        // One savepoint per row: a row the database refuses is undone and
        // reported, and the rows around it are still stored.
        for (const { row, data } of accepted) {
          await tx.query("SAVEPOINT import_row");
          try {
            if (await upsert(tx, data)) result.inserted++;
            else result.updated++;
            await tx.query("RELEASE SAVEPOINT import_row");
          } catch (error) {
            await tx.query("ROLLBACK TO SAVEPOINT import_row");
            result.rejected.push({ row, reason: `the database refused it: ${errorMessage(error)}` });
          }
        }
      });
    } catch (error) {
      return fail(`import ${rows.length} rows`, error);
    }
    result.rejected.sort((a, b) => a.row - b.row);
    return result;
  }

  return {
    name,
    async fetchPlays(gameId) {
      const db = await open();
      try {
        const result = await db.query<Record<string, unknown>>(PLAYS_QUERY, [gameId]);
        return result.rows.map(toRawPlayRow);
      } catch (error) {
        // A game id the column cannot hold (not a UUID) has no plays.
        if (errorCode(error) === SQLSTATE.invalidTextRepresentation) return [];
        return fail(`read plays for game ${JSON.stringify(gameId)}`, error);
      }
    },
    async listGames() {
      const db = await open();
      try {
        const result = await db.query<{ game_id: string }>(GAMES_QUERY);
        return result.rows.map((row) => row.game_id);
      } catch (error) {
        return fail("list games", error);
      }
    },
    importRows,
    async close() {
      if (closed) return;
      closed = true;
      const pending = opening;
      opening = null;
      const opened = pending === null ? null : await pending.catch(() => null);
      if (opened === null) return;
      // The lock goes only after PGlite has flushed and closed the folder.
      try {
        await opened.db.close();
      } finally {
        await opened.lock.release();
      }
    },
  };
}
