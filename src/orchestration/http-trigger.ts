import { errorMessage } from "../domain/errors.js";
import type { GameStatusReport } from "../pipeline/status.js";

export interface HttpTriggerOptions {
  url: string;
  token?: string;
  /** How long each POST waits for an answer; the game keeps running after we hang up. */
  timeoutMs: number;
  /** Triggers of one game after its first, when its run died or was cancelled. */
  retryLimit: number;
  /** A running attempt whose heartbeat is older than this died with its instance. */
  staleAfterMs: number;
  /** warn: a trigger that failed, or a run found dead; else an ordinary step. */
  log: (message: string, about: { game_id: string; warn?: boolean }) => void;
}

type Failure = { game_id: string; reason: string };

/**
 * Fire and forget, as the original, plus what the original lacked: a game
 * whose run died (stale heartbeat), was cancelled or never started is
 * triggered again, up to retryLimit times, then reported failed with the
 * reason. 429 (the instance is full) and 409 (another instance runs it) are
 * not verdicts: the trigger is retried after Retry-After / the poll goes on.
 * Any other 4xx is: the service refused the game.
 */
export function createHttpTrigger(options: HttpTriggerOptions): {
  triggerAll(games: string[]): Promise<void>;
  /** Called after each poll with the open games' reports; returns the games that will not complete. */
  check(open: string[], reports: GameStatusReport[]): Promise<Failure[]>;
} {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const triggers = new Map<string, number>();
  const lastTrigger = new Map<string, number>();
  // When the last trigger's POST ended (answered, refused or timed out): a run
  // it started may take a while to show, and a POST the server held past our
  // timeout was taken up, so "no run started" is counted from here.
  const settled = new Map<string, number>();
  const retryAt = new Map<string, number>();
  const failed = new Map<string, string>();

  const trigger = async (gameId: string): Promise<void> => {
    triggers.set(gameId, (triggers.get(gameId) ?? 0) + 1);
    lastTrigger.set(gameId, Date.now());
    settled.delete(gameId);
    retryAt.delete(gameId);
    try {
      const res = await fetch(options.url, { method: "POST", headers, body: JSON.stringify({ game_id: gameId }), signal: AbortSignal.timeout(options.timeoutMs) });
      const body = (await res.text()).slice(0, 300);
      options.log(`game ${gameId}: trigger answered HTTP ${res.status}`, { game_id: gameId, warn: res.status >= 400 });
      if (res.status === 429 || res.status === 503) {
        // Nothing started: not a death, so it does not count against the retry limit.
        triggers.set(gameId, (triggers.get(gameId) ?? 1) - 1);
        retryAt.set(gameId, Date.now() + Math.max(1, Number(res.headers.get("retry-after")) || 10) * 1000);
      } else if (res.status >= 400 && res.status < 500 && res.status !== 409) {
        failed.set(gameId, `trigger refused: HTTP ${res.status} ${body}`);
      }
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
      options.log(`game ${gameId}: ${timedOut ? `no answer within ${options.timeoutMs / 1000}s (expected: it keeps running)` : `trigger failed: ${errorMessage(error)}`}`, { game_id: gameId, warn: !timedOut });
    } finally {
      settled.set(gameId, Date.now());
    }
  };

  /** Why the game's run is over without a result, or null while it may still come. */
  const deadReason = (gameId: string, report: GameStatusReport | undefined, now: number): string | null => {
    const since = lastTrigger.get(gameId) ?? now;
    const attempt = report?.attempt;
    if (!attempt || Date.parse(attempt.started_at) < since - options.staleAfterMs) {
      const answered = settled.get(gameId);
      return answered !== undefined && now - answered > options.staleAfterMs ? "no run started after the trigger" : null;
    }
    if (attempt.state === "cancelled" || attempt.state === "error") return `run ${attempt.run_id} ${attempt.state}: ${attempt.reason ?? "no reason"}`;
    if ((attempt.state === "running" || attempt.state === "publishing") && now - Date.parse(attempt.heartbeat_at) > options.staleAfterMs) {
      return `run ${attempt.run_id} stopped beating (last heartbeat ${attempt.heartbeat_at}): its instance died`;
    }
    return null;
  };

  return {
    async triggerAll(games) {
      await Promise.all(games.map(trigger));
    },
    async check(open, reports) {
      const now = Date.now();
      const byGame = new Map(reports.map((r) => [r.game_id, r]));
      const again: string[] = [];
      for (const gameId of open) {
        if (failed.has(gameId)) continue;
        const waitUntil = retryAt.get(gameId);
        if (waitUntil !== undefined) {
          if (now >= waitUntil) again.push(gameId);
          continue;
        }
        const dead = deadReason(gameId, byGame.get(gameId), now);
        if (!dead) continue;
        if ((triggers.get(gameId) ?? 0) > options.retryLimit) failed.set(gameId, `gave up after ${triggers.get(gameId)} triggers: ${dead}`);
        else {
          options.log(`game ${gameId}: ${dead}; triggering it again`, { game_id: gameId, warn: true });
          again.push(gameId);
        }
      }
      await Promise.all(again.map(trigger));
      return open.filter((id) => failed.has(id)).map((id) => ({ game_id: id, reason: failed.get(id) ?? "failed" }));
    },
  };
}
