import { ValidationError, errorMessage } from "../../domain/errors.js";
import { isUuid, parseGameUuid, type GameId } from "../../domain/ids.js";
import { QUEUE_DEFAULTS } from "../../orchestration/game-queue.js";
import { openGameQueue } from "../../orchestration/queue-engines.js";
import { createHttpTrigger } from "../../orchestration/http-trigger.js";
import { waitForGames, type WaitResult } from "../../orchestration/wait.js";
import { pipelineEventLogger } from "../../interfaces/logging/event-log.js";
import { createLogSink, noticesTo, type LogSink } from "../../interfaces/logging/log-sink.js";
import { commandLogFormat, writeResult } from "../log-format.js";
import { runBatch } from "../../pipeline/run-batch.js";
import { DEFAULT_STALE_AFTER_MS } from "../../pipeline/run-scope.js";
import { openPipeline, openSettingsStore } from "../../config/open-pipeline.js";
import { scrubSecrets, scrubUrlPassword } from "../../config/secrets.js";
import { loadSettings, queueUrlOf, type Settings } from "../../config/settings.js";
import { positiveNumber, wholeNumber } from "../../config/validate.js";
import { settingsHelp } from "../../config/settings-table.js";
import { parseFlags, settingFlags, splitList } from "../args.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const BATCH_HELP = `playclips batch --games a,b,c --via local|http|queue [options]

The original workflow: starts every game, then polls the output store until
both JSONL files of each game exist, a game's manifest says it failed, or
the time limit passes. Results older than this batch do not count.

  --games LIST            game UUIDs, comma or space separated (duplicates run once)
  --via local             run the games in this process (no polling needed)
  --via http              POST {"game_id"} per game to --function-url, fire and forget
  --via queue             put one job per game on the Postgres queue for \`playclips worker\`
  --function-url URL      the Cloud Function or \`playclips serve\` (http; sends PLAYCLIPS_TOKEN)
  --trigger-timeout S     seconds to wait for each trigger's answer (default 10)
  --max-wait MIN          minutes to wait for all games (default 120)
  --poll-interval S       seconds between two looks at the store (default 30)
  --queue-url URL         Postgres of the queue (default DATABASE_URL / --database-url)
  --queue-schema NAME     pg-boss schema (default pgboss)
  --job-expire S          a job running longer is taken as dead and retried (default ${QUEUE_DEFAULTS.expireInSeconds})
  --retry-limit N         queue: retries of a job that errs (default ${QUEUE_DEFAULTS.retryLimit}; delay doubles each time);
                          http: triggers again of a game whose run died or was cancelled (default 3)
  --retry-delay S         first retry delay (default ${QUEUE_DEFAULTS.retryDelaySeconds})
  --stale-after S         http: a run whose heartbeat is older than this died (default ${DEFAULT_STALE_AFTER_MS / 1000})
  --json                  print the result as JSON
Exit: 0 every game complete, 1 any failed, 3 time limit hit with games pending.

(--via local also takes every setting of \`playclips run\`.)
${settingsHelp(["stores", "plays", "logging"])}`;

type Via = "local" | "http" | "queue";
export type BatchReport = Omit<WaitResult, "timed_out"> & { timed_out: boolean; via: Via };

export async function batchCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, {
    ...settingFlags(),
    games: { type: "string" },
    via: { type: "string" },
    "function-url": { type: "string" },
    "trigger-timeout": { type: "string" },
    "max-wait": { type: "string" },
    "poll-interval": { type: "string" },
    "queue-url": { type: "string" },
    "queue-schema": { type: "string" },
    "job-expire": { type: "string" },
    "retry-limit": { type: "string" },
    "retry-delay": { type: "string" },
    "stale-after": { type: "string" },
    json: { type: "boolean" },
  });
  const queueFlag = typeof values["queue-url"] === "string" ? values["queue-url"] : "";
  const scrub = (text: string): string => scrubSecrets(scrubUrlPassword(text, queueFlag), io.env, values);
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const format = commandLogFormat(settings, io.stderr);
  const sink = createLogSink(format === "live" ? "text" : format, io.stderr, scrub);
  const log = (message: string, about: { game_id?: string; warn?: boolean } = {}): void => {
    const { warn, ...fields } = about;
    (warn ? sink.warn : sink.info)(message, fields);
  };
  const games = gameList(values.games, log);
  const via = values.via ?? "local";
  if (via !== "local" && via !== "http" && via !== "queue") throw new ValidationError(`--via must be local, http or queue, got ${JSON.stringify(via)}`);
  const wait = {
    maxWaitMs: positiveNumber("max-wait", values["max-wait"] ?? 120) * 60_000,
    pollIntervalMs: positiveNumber("poll-interval", values["poll-interval"] ?? 30) * 1000,
    since: new Date(),
    signal: io.signal,
    onPoll: (states: Array<{ state: string }>) => {
      const open = states.filter((s) => s.state === "pending").length;
      if (open > 0) log(`${open} game(s) still pending`);
    },
  };

  let report: BatchReport;
  if (via === "local") report = await viaLocal(games, settings, io, sink);
  else if (via === "http") {
    const url = values["function-url"];
    if (typeof url !== "string" || !/^https?:\/\//.test(url)) throw new ValidationError("--via http needs --function-url http(s)://…");
    const timeoutMs = positiveNumber("trigger-timeout", values["trigger-timeout"] ?? 10) * 1000;
    const store = await openSettingsStore(settings, "out", io.cwd);
    const trigger = createHttpTrigger({
      url, timeoutMs, token: io.env.PLAYCLIPS_TOKEN, log,
      retryLimit: wholeNumber("retry-limit", values["retry-limit"] ?? QUEUE_DEFAULTS.retryLimit, 0, 100),
      staleAfterMs: positiveNumber("stale-after", values["stale-after"] ?? DEFAULT_STALE_AFTER_MS / 1000) * 1000,
    });
    await trigger.triggerAll(games);
    const result = await waitForGames(store, games, { ...wait, externalFailures: (open, reports) => trigger.check(open, reports) });
    report = { ...result, via };
  } else {
    const url = queueUrlOf(values["queue-url"], settings);
    if (url === null) throw new ValidationError("--via queue needs --queue-url postgres://… or DATABASE_URL");
    const store = await openSettingsStore(settings, "out", io.cwd);
    const queue = await openGameQueue({
      connectionString: url,
      schema: typeof values["queue-schema"] === "string" ? values["queue-schema"] : undefined,
      expireInSeconds: wholeNumber("job-expire", values["job-expire"] ?? QUEUE_DEFAULTS.expireInSeconds, 1, 86_400),
      retryLimit: wholeNumber("retry-limit", values["retry-limit"] ?? QUEUE_DEFAULTS.retryLimit, 0, 100),
      retryDelaySeconds: wholeNumber("retry-delay", values["retry-delay"] ?? QUEUE_DEFAULTS.retryDelaySeconds, 0, 86_400),
      // Only workers run maintenance; this client enqueues and reads.
      supervise: false,
      onError: (error) => log(`queue error: ${errorMessage(error)}`, { warn: true }),
    });
    try {
      const { queued, existing } = await queue.enqueue(games);
      log(`queued ${queued.length} game(s)${existing.length ? `; already queued or running: ${existing.map((j) => `${j.game_id} (${j.state})`).join(", ")}` : ""}`);
      const result = await waitForGames(store, games, {
        ...wait,
        // A job out of retries (play source down) never writes a manifest: the queue knows it failed.
        externalFailures: async (open) => {
          const jobs = await queue.jobs(open);
          return [...jobs.values()]
            .filter((j) => j.state === "failed" || j.state === "cancelled")
            .map((j) => ({ game_id: j.game_id, reason: `job ${j.state} after ${j.retry_count + 1} attempt(s): ${jobError(j.output)}` }));
        },
      });
      report = { ...result, via };
    } finally {
      await queue.stop({ graceMs: 1000 });
    }
  }

  const sentence = summary(report);
  writeResult(io.stdout, format, scrub, { json: values.json === true, result: report, table: () => `${table(report)}\n\n${sentence}`, sentence, failed: report.failed_games.length > 0 });
  if (report.failed_games.length > 0) return 1;
  return report.pending_games.length > 0 ? 3 : 0;
}

/** The original validates that game_ids is an array; ids here must also be UUIDs, as the plays table's are. */
function gameList(raw: unknown, log: (message: string) => void): GameId[] {
  const all = splitList(raw);
  if (all.length === 0) throw new ValidationError("no games: pass --games a,b,c (game UUIDs)");
  const bad = all.filter((id) => !isUuid(id));
  if (bad.length > 0) throw new ValidationError(`not game UUIDs: ${bad.slice(0, 5).map((id) => JSON.stringify(id)).join(", ")}`);
  const games = [...new Set(all.map(parseGameUuid))];
  if (games.length < all.length) log(`${all.length - games.length} duplicate game id(s) dropped: each game runs once`);
  return games;
}

async function viaLocal(games: GameId[], settings: Settings, io: CommandIo, log: LogSink): Promise<BatchReport> {
  const pipeline = await openPipeline(settings, io.cwd, noticesTo(log));
  try {
    const batch = await runBatch(games, pipeline, { gameConcurrency: settings.limits.gameConcurrency, signal: io.signal, onEvent: pipelineEventLogger(log) });
    const { completed_games, failed_games, pending_games, total_time } = batch;
    return { completed_games, failed_games, pending_games, total_time, timed_out: false, via: "local" };
  } finally {
    await pipeline.backends.plays.close?.();
  }
}

function jobError(output: unknown): string {
  const o = output as { message?: unknown; value?: { message?: unknown } } | null;
  return String(o?.message ?? o?.value?.message ?? "no error recorded");
}

function table(report: BatchReport): string {
  const rows = [
    ...report.completed_games.map((id) => [id, "complete", ""]),
    ...report.failed_games.map((f) => [f.game_id, "failed", f.reason]),
    ...report.pending_games.map((id) => [id, "pending", report.timed_out ? "time limit reached" : ""]),
  ];
  return formatTable(["game", "state", "reason"], rows);
}

function summary(report: BatchReport): string {
  return `${report.completed_games.length} complete, ${report.failed_games.length} failed, ${report.pending_games.length} pending, in ${report.total_time}s (via ${report.via})`;
}
