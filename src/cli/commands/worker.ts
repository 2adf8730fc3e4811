import { hostname } from "node:os";
import { ValidationError, errorMessage } from "../../domain/errors.js";
import { pipelineEventLogger } from "../../interfaces/logging/event-log.js";
import { createLogSink, logFormatFor, noticesTo } from "../../interfaces/logging/log-sink.js";
import { openGameQueue } from "../../orchestration/queue-engines.js";
import { processGame } from "../../pipeline/process-game.js";
import { openPipeline } from "../../config/open-pipeline.js";
import { scrubSecrets, scrubUrlPassword } from "../../config/secrets.js";
import { loadSettings, queueUrlOf } from "../../config/settings.js";
import { positiveNumber } from "../../config/validate.js";
import { ALL_GROUPS, settingsHelp } from "../../config/settings-table.js";
import { parseFlags, settingFlags } from "../args.js";
import type { CommandIo } from "./io.js";

export const WORKER_HELP = `playclips worker [--queue-url postgres://…] [--concurrency N] [--grace S] [options]

Takes games from the Postgres queue "playclips-games" (pg-boss) and runs
them, N at once. Start as many workers on as many machines as you like,
all with the same queue and the same output store. A game whose result is
"failed" completes its job (the reason is in its manifest); an error such
as an unreachable play source fails the job, and pg-boss retries it.
On SIGTERM or SIGINT: takes no new game, lets running ones finish for up to
the grace period, hands the rest back to the queue, exits 0.

  --queue-url URL           Postgres holding the queue (default DATABASE_URL / --database-url)
  --concurrency N           games at once (the setting of the same name)
  --grace S                 seconds to let running games finish on shutdown (default 60)
  --maintenance-interval S  how often expired jobs (dead workers) are noticed (default 60)
  --queue-schema NAME       pg-boss schema (default pgboss)
  --config FILE             settings file (default ./playclips.config.json)

${settingsHelp(ALL_GROUPS)}`;

export async function workerCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, {
    ...settingFlags(),
    "queue-url": { type: "string" },
    "queue-schema": { type: "string" },
    grace: { type: "string" },
    "maintenance-interval": { type: "string" },
  });
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const url = queueUrlOf(values["queue-url"], settings);
  if (url === null) throw new ValidationError("no queue: pass --queue-url postgres://… or set DATABASE_URL");
  const graceMs = positiveNumber("grace", values.grace ?? 60) * 1000;
  const maintenance = positiveNumber("maintenance-interval", values["maintenance-interval"] ?? 60);

  const workerId = `${hostname()}:${process.pid}`;
  const scrub = (message: string): string => scrubSecrets(scrubUrlPassword(message, url), io.env, values);
  const log = createLogSink(logFormatFor(settings.log.format, io.stderr), io.stderr, scrub).child({ worker_id: workerId }, `worker ${workerId}: `);

  // One context for the worker's life: backends are opened once, and clips of all its games share one ffmpeg pool.
  const pipeline = await openPipeline(settings, io.cwd, noticesTo(log));
  const gameConcurrency = settings.limits.gameConcurrency;
  const queue = await openGameQueue({
    connectionString: url,
    schema: typeof values["queue-schema"] === "string" ? values["queue-schema"] : undefined,
    maintenanceIntervalSeconds: maintenance,
    onError: (error) => log.error(`queue error: ${errorMessage(error)}`, { event: "queue-error" }),
  });

  // Aborted when the grace period runs out: ffmpeg children die, and nothing more is published.
  const abandon = new AbortController();
  const running = new Set<Promise<unknown>>();
  await queue.work(
    async (job) => {
      const attempt = job.retryCount + 1;
      // Every line of this job names it, its attempt and its game.
      const jobLog = log.child({ job_id: job.id, attempt });
      jobLog.info(`game ${job.gameId}: started (job ${job.id}, attempt ${attempt})`, { event: "game-start", game_id: job.gameId });
      // The line above names the job and attempt in text too; the events say the rest.
      const onEvent = pipelineEventLogger(jobLog, { skip: ["game-start"] });
      // pg-boss gives the job to another worker once it expires: stop this run then, so two never overlap.
      const signal = AbortSignal.any([abandon.signal, AbortSignal.timeout(Math.max(1, job.expireInSeconds) * 1000)]);
      // A retried job was given up by its previous worker (expired, or it failed): take the game over at once.
      const run = processGame(job.gameId, pipeline, { onEvent, signal, lease: { takeOver: job.retryCount > 0 } });
      running.add(run);
      try {
        const result = await run;
        // A failed game is a finished job: its reason is data in the manifest, and a retry would fail the same way.
        return { status: result.status, reason: result.reason, successful_clips: result.successful_clips, failed_clips: result.failed_clips };
      } catch (error) {
        jobLog.error(`game ${job.gameId}: error, job ${job.id} will be retried if attempts remain: ${errorMessage(error)}`, { event: "game-error", game_id: job.gameId, reason: errorMessage(error) });
        throw new Error(scrub(errorMessage(error)));
      } finally {
        running.delete(run);
      }
    },
    { concurrency: gameConcurrency },
  );
  // Handlers first: whoever reads this line may signal at once.
  const stopping = stopRequested(io.signal);
  log.info(`waiting for games, ${gameConcurrency} at once`, { event: "ready" });
  await stopping;
  log.info(`stopping: no new games; waiting up to ${graceMs / 1000}s for ${running.size} running`, { event: "stopping", running: running.size });
  await queue.stop({ graceMs });
  abandon.abort();
  await Promise.allSettled([...running]);
  await pipeline.backends.plays.close?.();
  log.info("stopped", { event: "stopped" });
  return 0;
}

/** Resolves on SIGTERM, SIGINT, or the caller's signal (tests run the command in-process). */
function stopRequested(signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGTERM", done);
      process.off("SIGINT", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    process.once("SIGTERM", done);
    process.once("SIGINT", done);
    if (signal?.aborted) done();
    else signal?.addEventListener("abort", done, { once: true });
  });
}
