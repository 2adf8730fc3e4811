import { ValidationError } from "../../domain/errors.js";
import { runBatch, type BatchResult } from "../../pipeline/run-batch.js";
import { openPipeline } from "../../config/open-pipeline.js";
import { scrubSecrets } from "../../config/secrets.js";
import { loadSettings } from "../../config/settings.js";
import { ALL_GROUPS, settingsHelp } from "../../config/settings-table.js";
import { gameIdsFlag, parseFlags, settingFlags } from "../args.js";
import { pipelineEventLogger } from "../../interfaces/logging/event-log.js";
import { createLogSink, noticesTo } from "../../interfaces/logging/log-sink.js";
import { commandLogFormat, writeResult } from "../log-format.js";
import { createProgressReporter } from "../progress.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const RUN_HELP = `playclips run [--games a,b,c | --all] [options]

Cuts every play of the given games into clips and writes each game's
manifest.json, training_data.jsonl and validation_data.jsonl.

  --games LIST        game ids, comma or space separated
  --all               every game the plays source knows
  --force             re-cut clips an earlier run already made
  --discard-on-failure  a failed run removes the game's published dataset
                      (default: the dataset is kept and the failure recorded;
                      docs/manifest-and-reruns.md)
  --json              print the batch result as JSON instead of a table
  --config FILE       settings file (default ./playclips.config.json)

${settingsHelp(ALL_GROUPS)}`;

export async function runCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, {
    ...settingFlags(),
    games: { type: "string" },
    all: { type: "boolean" },
    force: { type: "boolean" },
    "discard-on-failure": { type: "boolean" },
    json: { type: "boolean" },
  });
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const games = gameIdsFlag(values.games);
  if (values.all && games.length > 0) throw new ValidationError("give either --games or --all, not both");
  if (!values.all && games.length === 0) throw new ValidationError("no games: pass --games a,b,c or --all");

  const scrub = (text: string): string => scrubSecrets(text, io.env, values);
  const format = commandLogFormat(settings, io.stderr);
  const log = createLogSink(format === "live" ? "text" : format, io.stderr, scrub);
  const pipeline = await openPipeline(settings, io.cwd, noticesTo(log));
  const { plays } = pipeline.backends;
  let batch: BatchResult;
  try {
    const gameIds = values.all ? await plays.listGames() : games;
    if (gameIds.length === 0) throw new ValidationError(`${plays.name} has no games`);
    // A person at a terminal sees one live line per game; anything else gets log lines.
    const reporter = format === "live" ? createProgressReporter(io.stderr, gameIds) : null;
    const logEvent = pipelineEventLogger(log);
    batch = await runBatch(gameIds, pipeline, {
      gameConcurrency: settings.limits.gameConcurrency,
      reuse: values.force !== true,
      discardDatasetOnFailure: values["discard-on-failure"] === true,
      onEvent: (event) => (reporter ? reporter.onEvent(event.type === "game-error" ? { ...event, error: scrub(event.error) } : event) : logEvent(event)),
      signal: io.signal,
    }).finally(() => reporter?.stop());
  } finally {
    await plays.close?.();
  }
  const sentence = `${batch.completed_games.length} games with a dataset, ${batch.failed_games.length} failed, in ${batch.total_time}s`;
  writeResult(io.stdout, format, scrub, { json: values.json === true, result: batch, table: () => summary(batch, sentence), sentence, failed: batch.failed_games.length > 0 });
  return batch.failed_games.length > 0 ? 1 : 0;
}

function summary(batch: BatchResult, sentence: string): string {
  const rows = batch.results.map((r) => [
    r.game_id,
    r.status,
    String(r.total_plays),
    String(r.rejected_plays),
    String(r.successful_clips),
    String(r.failed_clips),
    String(r.reused_clips),
    `${(r.elapsed_ms / 1000).toFixed(1)}s`,
    r.reason ?? "",
  ]);
  for (const failed of batch.failed_games) {
    if (!batch.results.some((r) => r.game_id === failed.game_id)) rows.push([failed.game_id, "error", "", "", "", "", "", "", failed.reason]);
  }
  const table = formatTable(["game", "status", "plays", "rejected", "clips ok", "failed", "reused", "time", "reason"], rows);
  return `${table}\n\n${sentence}`;
}
