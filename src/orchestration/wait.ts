import { errorMessage } from "../domain/errors.js";
import { readGameStatus, type GameStatusReport } from "../pipeline/status.js";
import type { ObjectStore } from "../stores/object-store.js";

export interface WaitOptions {
  /** Give up after this long; the original waits at most 2 hours. */
  maxWaitMs: number;
  /** Pause between two looks at the store; the original polls every 30 s. */
  pollIntervalMs: number;
  /**
   * Results whose manifest was written before this instant belong to an
   * earlier run: they are not what this batch waits for. Without it, any
   * existing result counts (the original's behaviour, wrong on reruns).
   * Compared with the worker's clock, so machines must keep NTP time.
   */
  since?: Date;
  /** Stops waiting early; the games still open are returned as pending. */
  signal?: AbortSignal;
  /** Called after every poll with the latest report of each game still open at its start. */
  onPoll?: (states: GameStatusReport[]) => void;
  /**
   * Failures the store cannot show, e.g. a queue job out of retries because
   * its play source was down: no manifest is ever written for those.
   */
  externalFailures?: (openGames: string[], reports: GameStatusReport[]) => Promise<Array<{ game_id: string; reason: string }>>;
}

/** The original workflow's return value, plus failures and whether the limit was hit. */
export interface WaitResult {
  completed_games: string[];
  failed_games: Array<{ game_id: string; reason: string }>;
  pending_games: string[];
  /** Seconds, as the original reports it. */
  total_time: number;
  timed_out: boolean;
}

type Settled = { state: "complete" } | { state: "failed"; reason: string };

/**
 * Polls the output store until every game is complete (both JSONL files, as
 * the original checks) or failed (its manifest says so: not waited on until
 * the limit), or until maxWaitMs passes.
 */
export async function waitForGames(store: ObjectStore, gameIds: string[], options: WaitOptions): Promise<WaitResult> {
  const started = Date.now();
  const games = [...new Set(gameIds)];
  const settled = new Map<string, Settled>();
  const since = options.since?.getTime();
  let timedOut = false;

  for (;;) {
    const open = games.filter((id) => !settled.has(id));
    const reports = await Promise.all(open.map((id) => readOrPending(store, id)));
    for (const report of reports) {
      const outcome = settledState(report, since);
      if (outcome) settled.set(report.game_id, outcome);
    }
    const stillOpen = games.filter((id) => !settled.has(id));
    if (options.externalFailures && stillOpen.length > 0) {
      try {
        for (const failure of await options.externalFailures(stillOpen, reports)) {
          if (!settled.has(failure.game_id)) settled.set(failure.game_id, { state: "failed", reason: failure.reason });
        }
      } catch {
        // A queue that cannot be read this time is asked again at the next poll; the store still decides.
      }
    }
    options.onPoll?.(reports);

    if (games.every((id) => settled.has(id))) break;
    const remaining = options.maxWaitMs - (Date.now() - started);
    if (remaining <= 0) {
      timedOut = true;
      break;
    }
    if (!(await sleep(Math.min(options.pollIntervalMs, remaining), options.signal))) break;
  }

  const result: WaitResult = { completed_games: [], failed_games: [], pending_games: [], total_time: 0, timed_out: timedOut };
  for (const id of games) {
    const outcome = settled.get(id);
    if (!outcome) result.pending_games.push(id);
    else if (outcome.state === "complete") result.completed_games.push(id);
    else result.failed_games.push({ game_id: id, reason: outcome.reason });
  }
  result.total_time = Math.round((Date.now() - started) / 100) / 10;
  return result;
}

function settledState(report: GameStatusReport, since: number | undefined): Settled | null {
  // With a status object, the latest attempt says whether this batch's run ended, and how.
  if (since !== undefined && report.attempt !== undefined) {
    const attempt = report.attempt;
    if (!attempt?.finished_at || !(Date.parse(attempt.finished_at) >= since)) return null;
    if (attempt.state === "done") return { state: "complete" };
    // A failed rerun that kept an earlier dataset still failed: this batch got no new data.
    if (attempt.state === "failed") return { state: "failed", reason: attempt.reason ?? report.reason ?? "failed" };
    return null;
  }
  if (report.state === "pending") return null;
  // A result from before this batch is stale: the game is being (re)run and will be rewritten.
  if (since !== undefined) {
    const finished = report.finished_at === null ? NaN : Date.parse(report.finished_at);
    if (!(finished >= since)) return null;
  }
  return report.state === "complete" ? { state: "complete" } : { state: "failed", reason: report.reason ?? "failed" };
}

/** A store that fails one look (network, throttling) must not end a two-hour wait: the game stays pending. */
async function readOrPending(store: ObjectStore, gameId: string): Promise<GameStatusReport> {
  try {
    return await readGameStatus(store, gameId);
  } catch (error) {
    const reason = `status could not be read: ${errorMessage(error)}`;
    return { game_id: gameId, state: "pending", manifest_status: null, reason, counts: null, finished_at: null };
  }
}

/** Resolves true after ms, or false at once when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (value: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      resolve(value);
    };
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
