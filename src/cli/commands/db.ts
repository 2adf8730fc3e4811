import { resolve } from "node:path";
import { ValidationError } from "../../domain/errors.js";
import type { RawPlayRow } from "../../domain/types.js";
import { SOURCE_ROW_KEY } from "../../domain/validate-plays.js";
import { createEmbeddedPlaySource } from "../../sources/embedded.js";
import { createFilePlaySource } from "../../sources/file.js";
import { settingDefault } from "../../config/settings-table.js";
import { parseFlags } from "../args.js";
import { lockWaitNotice } from "../../config/plays-location.js";
import type { CommandIo } from "./io.js";

export const DB_HELP = `playclips db import <plays.csv|.json|.jsonl> [--db DIR]

Loads a plays file into the embedded Postgres in DIR (default .playclips/db),
the source playclips reads when no other is configured. Rows are upserted by
id, so importing a corrected file again updates the plays it repeats; columns
beyond the known ones are kept as text metadata. Rows the database refuses
(for example an id that is not a UUID) are listed and the rest are stored.
A file that holds an id twice is refused whole, naming the rows (CSV lines
counting the header, JSONL lines, JSON array indexes).
Only one playclips process may use DIR at a time: another one waits up to
10 s for it, then stops with exit code 2 saying which process holds it.
Exit code: 0 when every row was stored, 1 when some were refused, 2 when
the file or the flags are wrong or DIR is busy.`;

/** Every row of a plays file, parsed exactly as runs parse it; a row that names no game is refused by the database, not dropped. */
async function readAllRows(path: string): Promise<RawPlayRow[]> {
  return createFilePlaySource({ path }).readAllRows();
}

/**
 * An upsert by id would let the later of two rows silently win (and move the
 * play to its game), so a file that repeats an id is refused whole, naming
 * the rows as validation does. Ids are UUIDs in the table, so case does not
 * tell two apart.
 */
function refuseDuplicateIds(path: string, rows: RawPlayRow[]): void {
  const rowsById = new Map<string, number[]>();
  rows.forEach((row, index) => {
    if (row.id === undefined || row.id === null || String(row.id).trim() === "") return;
    const id = String(row.id).trim().toLowerCase();
    const at = typeof row[SOURCE_ROW_KEY] === "number" ? row[SOURCE_ROW_KEY] : index + 1;
    rowsById.set(id, [...(rowsById.get(id) ?? []), at]);
  });
  const repeated = [...rowsById].filter(([, at]) => at.length > 1);
  if (repeated.length === 0) return;
  const shown = repeated.slice(0, 5).map(([id, at]) => `id ${JSON.stringify(id)} is used by rows ${at.join(", ")}`);
  const more = repeated.length > 5 ? `; and ${repeated.length - 5} more ids` : "";
  throw new ValidationError(
    `${path} holds ${repeated.length} id${repeated.length === 1 ? "" : "s"} more than once (${shown.join("; ")}${more}): ` +
      "keep one row per id, then import again; nothing was imported",
  );
}

function describeRow(row: RawPlayRow | undefined): string {
  if (row === undefined) return "row";
  const id = row.id === undefined || row.id === null ? "(no id)" : JSON.stringify(String(row.id));
  const game = row.game_id === undefined || row.game_id === null ? "" : ` of game ${JSON.stringify(String(row.game_id))}`;
  return `play ${id}${game}`;
}

async function importCommand(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(args, { db: { type: "string" } });
  const [file, ...extra] = positionals;
  if (file === undefined) throw new ValidationError("db import needs a plays file: playclips db import plays.csv [--db DIR]");
  if (extra.length > 0) throw new ValidationError(`db import takes one file, got also ${extra.map((e) => JSON.stringify(e)).join(", ")}`);
  const path = resolve(io.cwd, file);
  const dataDir = resolve(io.cwd, typeof values.db === "string" ? values.db : String(settingDefault("db")));

  const rows = await readAllRows(path);
  refuseDuplicateIds(path, rows);
  if (rows.length === 0) {
    // Unreadable lines only reach us attached to a game, so an empty result may hide a broken file.
    io.stderr.write(`no row of ${path} names a game_id: nothing imported\n`);
    return 1;
  }
  const db = createEmbeddedPlaySource({ dataDir, onLockWait: lockWaitNotice(dataDir, io.stderr) });
  try {
    const result = await db.importRows(rows);
    const games = await db.listGames();
    io.stdout.write(
      `imported ${path} into ${dataDir}: ${result.inserted} inserted, ${result.updated} updated, ` +
        `${result.rejected.length} rejected (${rows.length} rows read)\n` +
        `database now holds ${games.length} game${games.length === 1 ? "" : "s"}\n`,
    );
    for (const r of result.rejected) {
      io.stderr.write(`  rejected ${describeRow(rows[r.row - 1])}: ${r.reason}\n`);
    }
    return result.rejected.length === 0 ? 0 : 1;
  } finally {
    await db.close();
  }
}

export async function dbCommand(args: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "import") return importCommand(rest, io);
  throw new ValidationError(
    sub === undefined ? `db needs a subcommand\n\n${DB_HELP}` : `unknown db subcommand ${JSON.stringify(sub)}: use "db import"`,
  );
}
