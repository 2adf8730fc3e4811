import type { GameId } from "../domain/ids.js";

// What the worker, batch and status commands need of a queue of games; the
// engine (pg-boss on Postgres: pg-boss-queue.ts) is chosen by the entry point.

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
  /** Parsed from the job's payload, as any edge parses a game id. */
  gameId: GameId;
  retryCount: number;
  expireInSeconds: number;
}

export interface GameQueue {
  enqueue(gameIds: readonly GameId[]): Promise<EnqueueResult>;
  /** Runs `concurrency` loops taking one job at a time; the handler's throw fails (and retries) the job. */
  work(handler: (job: GameJob) => Promise<object | undefined>, options: { concurrency: number }): Promise<void>;
  /** The newest job of each game, if it has one. */
  jobs(gameIds: readonly string[]): Promise<Map<string, GameJobInfo>>;
  /** Stops taking jobs, waits up to graceMs for running ones, then fails the rest (retried elsewhere). */
  stop(options?: { graceMs?: number }): Promise<void>;
}

/** The queue's retry defaults, in one place: the engine and `batch`'s flags and help read them. */
export const QUEUE_DEFAULTS = { expireInSeconds: 7200, retryLimit: 3, retryDelaySeconds: 30 } as const;

export interface GameQueueOptions {
  /** Where the queue lives; its scheme picks the engine (queue-engines.ts). */
  connectionString: string;
  /** The engine's namespace: for pg-boss, the Postgres schema holding its tables (default "pgboss"). */
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
