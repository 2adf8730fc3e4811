import { ValidationError } from "../../domain/errors.js";
import { openGameQueue } from "../../orchestration/queue-engines.js";
import { readGameStatus, type GameStatusReport } from "../../pipeline/status.js";
import { openSettingsStore } from "../../config/open-pipeline.js";
import { loadSettings } from "../../config/settings.js";
import { settingsHelp } from "../../config/settings-table.js";
import { gameIdsFlag, parseFlags, settingFlags } from "../args.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const STATUS_HELP = `playclips status --games a,b,c [--out DIR|gs://…] [--queue-url postgres://…] [--json]

Reports complete / failed / pending per game from the output store alone:
both JSONL files present = complete; a manifest that says failed = failed.
With --queue-url, also each game's job in the queue (created, active,
retry, completed, failed) and its retry count.
Exits 0 when every game is complete, 1 when any failed, 3 when some pending.

${settingsHelp(["stores"])}`;

export async function statusCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, {
    ...settingFlags(),
    games: { type: "string" },
    json: { type: "boolean" },
    "queue-url": { type: "string" },
  });
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const games = gameIdsFlag(values.games);
  if (games.length === 0) throw new ValidationError("no games: pass --games a,b,c");
  const store = await openSettingsStore(settings, "out", io.cwd);
  const reports: Array<GameStatusReport & { job?: { state: string; retry_count: number } | null }> = await Promise.all(
    games.map((id) => readGameStatus(store, id)),
  );
  const queueUrl = values["queue-url"];
  if (typeof queueUrl === "string" && queueUrl !== "") {
    // Read-only look: no maintenance, so a status call never expires or moves jobs.
    const queue = await openGameQueue({ connectionString: queueUrl, supervise: false });
    try {
      const jobs = await queue.jobs(games);
      for (const report of reports) {
        const job = jobs.get(report.game_id);
        report.job = job ? { state: job.state, retry_count: job.retry_count } : null;
      }
    } finally {
      await queue.stop({ graceMs: 0 });
    }
  }
  if (values.json) io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    const withJobs = reports.some((r) => r.job !== undefined);
    const rows = reports.map((r) => [
      r.game_id,
      r.state,
      r.manifest_status ?? "",
      r.counts ? `${r.counts.clipsOk}/${r.counts.clipsPlanned}` : "",
      ...(withJobs ? [r.job ? `${r.job.state}${r.job.retry_count ? ` (retry ${r.job.retry_count})` : ""}` : "none"] : []),
      r.reason ?? "",
    ]);
    const header = ["game", "state", "manifest", "clips ok", ...(withJobs ? ["job"] : []), "reason"];
    io.stdout.write(`${formatTable(header, rows)}\n`);
  }
  if (reports.some((r) => r.state === "failed")) return 1;
  return reports.every((r) => r.state === "complete") ? 0 : 3;
}
