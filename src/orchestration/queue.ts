import PgBoss from "pg-boss";
import { ValidationError, errorMessage } from "../domain/errors.js";

/** One queue for every game; a job's data is {game_id}. */
export const GAME_QUEUE = "playclips-games";

export interface GameQueueOptions {
  connectionString: string;
  /** Postgres schema holding pg-boss's tables (default "pgboss"). */
  schema?: string;
  /** A job active longer than this is failed and retried: its worker is gone (SIGKILL, lost VM). Default 2 h. */
  expireInSeconds?: number;
  /** Attempts after the first; default 3. */
  retryLimit?: number;
  /** First retry delay; doubled per attempt (retryBackoff). Default 30 s. */
  retryDelaySeconds?: number;
  /**
   * How often pg-boss runs maintenance, which is what notices expired jobs:
   * a dead worker's game is retried at most expire + this later. Default 60 s.
   */
  maintenanceIntervalSeconds?: number;
  /** How often an idle worker asks for a job (default 2 s). */
  pollingIntervalSeconds?: number;
  /** Workers run maintenance; a client that only enqueues need not. */
  supervise?: boolean;
  /** pg-boss's background errors (lost connection, a failed poll): reported here, never thrown. */
  onError?: (error: Error) => void;
}

export type JobState = "created" | "retry" | "active" | "completed" | "cancelled" | "failed";

export interface GameJobInfo {
  game_id: string;
  job_id: string;
  state: JobState;
  retry_count: number;
  /** What the handler returned, or for a failed job the error pg-boss recorded. */
  output: unknown;
}

export interface EnqueueResult {
  /** Jobs created now. */
  queued: GameJobInfo[];
  /** Games already waiting, retrying or running: not queued a second time. */
  existing: GameJobInfo[];
}

export interface GameJob {
  id: string;
  gameId: string;
  retryCount: number;
  expireInSeconds: number;
}

export interface GameQueue {
  enqueue(gameIds: readonly string[]): Promise<EnqueueResult>;
  /** Runs `concurrency` loops taking one job at a time; the handler's throw fails (and retries) the job. */
  work(handler: (job: GameJob) => Promise<object | undefined>, options: { concurrency: number }): Promise<void>;
  /** The newest job of each game, if it has one. */
  jobs(gameIds: readonly string[]): Promise<Map<string, GameJobInfo>>;
  /** Stops taking jobs, waits up to graceMs for running ones, then fails the rest (retried elsewhere). */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** Opens the queue: installs pg-boss's schema on first use and creates the queue. */
export async function createGameQueue(options: GameQueueOptions): Promise<GameQueue> {
  const schema = options.schema ?? "pgboss";
  // The schema is spliced into SQL below, so only a plain identifier is accepted.
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new ValidationError(`queue schema ${JSON.stringify(schema)} must be a lowercase identifier`);
  const retry = {
    retryLimit: options.retryLimit ?? 3,
    retryDelay: options.retryDelaySeconds ?? 30,
    retryBackoff: true,
    expireInSeconds: options.expireInSeconds ?? 7200,
  };
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
  await boss.start();
  // Stately: at most one queued, one retrying and one active job per singleton key (the game id),
  // enforced by a unique index, so two workers can never run the same game at once.
  if (!(await boss.getQueue(GAME_QUEUE))) await boss.createQueue(GAME_QUEUE, { name: GAME_QUEUE, policy: "stately", ...retry });
  else await boss.updateQueue(GAME_QUEUE, { name: GAME_QUEUE, ...retry });

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
            const gameId = typeof job.data?.game_id === "string" ? job.data.game_id : "";
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

/** The queue URL is not a setting, so scrubSecrets does not know its password: messages pass through this too. */
export function scrubUrlPassword(message: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.split(password).join("[redacted]") : message;
  } catch {
    return message;
  }
}
