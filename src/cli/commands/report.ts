import { openSettingsStore } from "../../config/open-pipeline.js";
import { scrubSecrets } from "../../config/secrets.js";
import { settingsHelp } from "../../config/settings-table.js";
import { loadSettings } from "../../config/settings.js";
import { listGamesInStore } from "../../dataset/collect.js";
import { ValidationError } from "../../domain/errors.js";
import { locateMediaTools } from "../../extraction/locate.js";
import { createPool } from "../../pipeline/pool.js";
import { writeGameReport, type GameReportResult, type ReportContext } from "../../report/game-report.js";
import { gameIdsFlag, parseFlags, settingFlags } from "../args.js";
import { createReportProgress } from "../report-progress.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const REPORT_HELP = `playclips report (--games a,b,c | --all) [--out DIR|gs://…] [--json]

Writes a static HTML report beside each game's outputs:
games/{game_id}/report/index.html with a strip of thumbnails (first, middle
and last frame, and the play's start when a clip begins earlier) for every
clip, the label, split, cut mode and sizes, the cameras, rejected rows and
failed clips with their reasons. It opens from disk: no server, no network.
Thumbnails are named by the clip's content hash: a rerun makes only new ones.

  --games LIST        game ids, comma or space separated
  --all               every game with a manifest in --out
  --json              print the results as JSON instead of a table
  --config FILE       settings file (default ./playclips.config.json)

Exits 0 when every report was written, 1 when a game had no readable
outputs, 2 on bad input.

${settingsHelp(["stores", "limits"])}`;

export async function reportCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, { ...settingFlags(), games: { type: "string" }, all: { type: "boolean" }, json: { type: "boolean" } });
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const games = gameIdsFlag(values.games);
  if (values.all && games.length > 0) throw new ValidationError("give either --games or --all, not both");
  if (!values.all && games.length === 0) throw new ValidationError("no games: pass --games a,b,c or --all");

  const store = await openSettingsStore(settings, "out", io.cwd);
  const tools = await locateMediaTools(settings.tools);
  const gameIds = values.all ? await listGamesInStore(store) : games;
  if (gameIds.length === 0) throw new ValidationError(`${store.name} holds no games: run some first`);

  const progress = createReportProgress(io.stderr);
  const ctx: ReportContext = {
    store,
    tools,
    pool: createPool(settings.limits.clipConcurrency),
    tempDir: settings.stores.tempDir,
    timeoutMs: settings.limits.clipTimeoutMs,
    signal: io.signal,
    onProgress: (gameId, p) => progress.update(gameId, p),
  };
  let results: GameReportResult[];
  try {
    // One game at a time: each already keeps the whole ffmpeg pool busy.
    results = [];
    for (const id of gameIds) results.push(await writeGameReport(id, ctx));
  } finally {
    progress.stop();
  }
  const text = values.json ? JSON.stringify(results, null, 2) : summary(results);
  io.stdout.write(`${scrubSecrets(text, io.env, values)}\n`);
  return results.every((r) => r.state === "written") ? 0 : 1;
}

function summary(results: readonly GameReportResult[]): string {
  const rows = results.map((r) =>
    r.state === "written"
      ? [r.gameId, r.state, String(r.clips), `${r.thumbnails.made} made, ${r.thumbnails.cached} cached${r.thumbnails.failed ? `, ${r.thumbnails.failed} failed` : ""}`, r.uri]
      : [r.gameId, r.state, "", "", r.reason],
  );
  return formatTable(["game", "report", "clips", "thumbnails", "page"], rows);
}
