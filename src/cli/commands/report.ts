import { openSettingsStore } from "../../config/open-pipeline.js";
import { scrubSecrets } from "../../config/secrets.js";
import { settingsHelp } from "../../config/settings-table.js";
import { loadSettings } from "../../config/settings.js";
import { listGamesInStore } from "../../dataset/collect.js";
import { assertDatasetName } from "../../dataset/publish.js";
import { parseGameId } from "../../domain/ids.js";
import { writeDatasetReport, type DatasetReportResult } from "../../report/dataset-report.js";
import { ValidationError } from "../../domain/errors.js";
import { locateMediaTools } from "../../extraction/locate.js";
import { createPool } from "../../pipeline/pool.js";
import { writeGameReport, type GameReportResult, type ReportContext } from "../../report/game-report.js";
import { gameIdsFlag, parseFlags, settingFlags } from "../args.js";
import { createReportProgress } from "../report-progress.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const REPORT_HELP = `playclips report (--games a,b,c | --all | --dataset NAME) [--out DIR|gs://…] [--json]

Writes a static HTML report beside each game's outputs:
games/{game_id}/report/index.html with a strip of thumbnails (first, middle
and last frame, and the play's start when a clip begins earlier) for every
clip, the label, split, cut mode and sizes, the cameras, rejected rows and
failed clips with their reasons. It opens from disk: no server, no network.
Thumbnails are named by the clip's content hash: a rerun makes only new ones.

  --games LIST        game ids, comma or space separated
  --all               every game with a manifest in --out
  --dataset NAME      datasets/NAME/report/index.html (card, limits, charts,
                      links to the games) and the reports of its games
  --json              print the results as JSON instead of a table
  --config FILE       settings file (default ./playclips.config.json)

Exits 0 when every report was written, 1 when a game had no readable
outputs, 2 on bad input.

${settingsHelp(["stores", "limits"])}`;

export async function reportCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, { ...settingFlags(), games: { type: "string" }, all: { type: "boolean" }, dataset: { type: "string" }, json: { type: "boolean" } });
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const games = gameIdsFlag(values.games);
  const dataset = typeof values.dataset === "string" ? assertDatasetName(values.dataset) : null;
  if ([values.all === true, games.length > 0, dataset !== null].filter(Boolean).length !== 1) {
    throw new ValidationError("name what to report: one of --games a,b,c, --all or --dataset NAME");
  }

  const store = await openSettingsStore(settings, "out", io.cwd);
  const tools = await locateMediaTools(settings.tools);
  let datasetResult: DatasetReportResult | null = null;
  if (dataset !== null) {
    datasetResult = await writeDatasetReport(dataset, store);
    if (datasetResult.state !== "written") {
      io.stdout.write(`${values.json ? JSON.stringify({ dataset: datasetResult }, null, 2) : `${dataset}: ${datasetResult.reason}`}\n`);
      return 1;
    }
  }
  const gameIds = datasetResult?.state === "written" ? datasetResult.games.map(parseGameId) : values.all ? await listGamesInStore(store) : games;
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
  const page = datasetResult?.state === "written" ? `\ndataset ${datasetResult.dataset}: ${datasetResult.uri}` : "";
  const text = values.json ? JSON.stringify(datasetResult ? { dataset: datasetResult, games: results } : results, null, 2) : summary(results) + page;
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
