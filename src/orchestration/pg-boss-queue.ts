import PgBoss from "pg-boss";
import { ValidationError, errorMessage } from "../domain/errors.js";
import { startQueueRacing } from "./queue-start.js";
import { parseGameId } from "../domain/ids.js";
import { QUEUE_DEFAULTS, type EnqueueResult, type GameJobInfo, type GameQueue, type GameQueueOptions, type JobState } from "./game-queue.js";

/**
 * The game queue on Postgres, with pg-boss: one job per game, at most one
 * running per game (a stately queue keyed by game id), retries with backoff,
 * and a dead worker's job retried once it expires. The interface is
 * game-queue.ts; this is its only engine so far.
 */

/** One queue for every game; a job's data is {game_id}. */
export const GAME_QUEUE = "playclips-games";

/** Opens the queue: installs pg-boss's schema on first use and creates the queue. */
export async function createGameQueue(options: GameQueueOptions): Promise<GameQueue> {
  const schema = options.schema ?? "pgboss";
  // The schema is spliced into SQL below, so only a plain identifier is accepted.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new ValidationError(`queue schema ${JSON.stringify(schema)} must be a lowercase identifier`);
  const retry = {
    retryLimit: options.retryLimit ?? QUEUE_DEFAULTS.retryLimit,
    retryDelay: options.retryDelaySeconds ?? QUEUE_DEFAULTS.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: options.expireInSeconds ?? QUEUE_DEFAULTS.expireInSeconds,
  };
  const boss = await startQueueRacing(() => {
    const boss = new PgBoss({
      connectionString: options.connectionString,
      schema,
      application_name: "playclips",
      supervise: options.supervise ?? true,
      schedule: false,
      maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
      ...retry,
    });
    boss.on("error", (error) => options.onError?.(error));
    return boss;
  }, async (boss) => {
    // Stately: at most one queued, one retrying and one active job per singleton key (the game id),
    // enforced by a unique index, so two workers can never run the same game at once.
    if (!(await boss.getQueue(GAME_QUEUE))) await boss.createQueue(GAME_QUEUE, { name: GAME_QUEUE, policy: "stately", ...retry });
    else await boss.updateQueue(GAME_QUEUE, { name: GAME_QUEUE, ...retry });
  });

  const pollingIntervalSeconds = options.pollingIntervalSeconds ?? 2;

  async function jobs(gameIds: readonly string[]): Promise<Map<string, GameJobInfo>> {
    const { rows } = await boss.getDb().executeSql(
      `SELECT DISTINCT ON (singleton_key) singleton_key, id, state, retry_count, output
         FROM ${schema}.job WHERE name = $1 AND singleton_key = ANY($2::text[])
         ORDER BY singleton_key, created_on DESC`,
      [GAME_QUEUE, [...gameIds]],
    );
    const found = new Map<string, GameJobInfo>();
    for (const row of rows as Array<{ singleton_key: string; id: string; state: JobState; retry_count: number; output: unknown }>) {
      found.set(row.singleton_key, { game_id: row.singleton_key, job_id: row.id, state: row.state, retry_count: row.retry_count, output: row.output });
    }
    return found;
  }

  return {
    async enqueue(gameIds) {
      const result: EnqueueResult = { queued: [], existing: [] };
      const before = await jobs(gameIds);
      for (const gameId of new Set(gameIds)) {
        const open = before.get(gameId);
        // Stately would still accept a queued job behind a running one; that job would then
        // fail to activate (unique index) and stall the queue's head, so it is never sent.
        if (open && ["created", "retry", "active"].includes(open.state)) {
          result.existing.push(open);
          continue;
        }
        const id = await boss.send(GAME_QUEUE, { game_id: gameId }, { singletonKey: gameId, ...retry });
        if (id) result.queued.push({ game_id: gameId, job_id: id, state: "created", retry_count: 0, output: null });
        else {
          // Another client queued it between our look and our send: the index kept one.
          const now = (await jobs([gameId])).get(gameId);
          if (now) result.existing.push(now);
        }
      }
      return result;
    },

    async work(handler, { concurrency }) {
      // pg-boss v10 has no teamSize/localConcurrency: each work() call is one fetch loop,
      // so N loops of batchSize 1 run N games at once and take no job they cannot start.
      for (let i = 0; i < concurrency; i += 1) {
        await boss.work<{ game_id: string }>(
          GAME_QUEUE,
          { batchSize: 1, includeMetadata: true, pollingIntervalSeconds },
          async ([job]) => {
            if (!job) return undefined;
            // A payload is input like any other: a bad one fails its job with the reason.
            const gameId = parseGameId(job.data?.game_id);
            // pg returns the numeric epoch as a string.
            return handler({ id: job.id, gameId, retryCount: job.retryCount, expireInSeconds: Number(job.expireInSeconds) });
          },
        );
      }
    },

    jobs,

    async stop({ graceMs = 30_000 } = {}) {
      try {
        await boss.stop({ graceful: true, wait: true, timeout: graceMs });
      } catch (error) {
        options.onError?.(new Error(`queue did not stop cleanly: ${errorMessage(error)}`));
      }
    },
  };
}
