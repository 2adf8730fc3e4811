import { ValidationError } from "../../domain/errors.js";
import { assertSafeId } from "../../domain/ids.js";
import { readGameStatus } from "../../pipeline/status.js";
import { openStore } from "../backends.js";
import { listFlag, parseFlags, settingFlags } from "../args.js";
import { resolveConfig } from "../config.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const STATUS_HELP = `playclips status --games a,b,c [--out DIR] [--json]

Reports complete / failed / pending per game from the output store alone:
both JSONL files present = complete; a manifest that says failed = failed.
Exits 0 when every game is complete, 1 when any failed, 3 when some pending.`;

export async function statusCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, { ...settingFlags(), games: { type: "string" }, json: { type: "boolean" } });
  const config = await resolveConfig(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const games = listFlag(values.games);
  if (games.length === 0) throw new ValidationError("no games: pass --games a,b,c");
  games.forEach((id) => assertSafeId("game id", id));
  const gcsEndpoint = typeof config.values.gcsEndpoint === "string" ? config.values.gcsEndpoint : undefined;
  const store = await openStore(String(config.values.out), { cwd: io.cwd, gcsEndpoint });
  const reports = await Promise.all(games.map((id) => readGameStatus(store, id)));
  if (values.json) io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    const rows = reports.map((r) => [
      r.game_id,
      r.state,
      r.manifest_status ?? "",
      r.counts ? `${r.counts.clipsOk}/${r.counts.clipsPlanned}` : "",
      r.reason ?? "",
    ]);
    io.stdout.write(`${formatTable(["game", "state", "manifest", "clips ok", "reason"], rows)}\n`);
  }
  if (reports.some((r) => r.state === "failed")) return 1;
  return reports.every((r) => r.state === "complete") ? 0 : 3;
}
