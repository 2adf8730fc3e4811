import { errorMessage } from "../domain/errors.js";
import type { GameResult } from "../domain/types.js";
import type { Pipeline, RunOptions } from "./parts.js";
import { createPool } from "./pool.js";
import { processGame } from "./process-game.js";

export interface BatchOptions extends RunOptions {
  /** Games processed at once; their clips still share the pipeline's clip pool. */
  gameConcurrency: number;
}

/** The original workflow's return value, plus per-game results and failures. */
export interface BatchResult {
  /** Games whose JSONL files were written (complete or partial). */
  completed_games: string[];
  /** Games that produced no dataset, with the reason. */
  failed_games: Array<{ game_id: string; reason: string }>;
  /** Games not finished; always empty for a local run, which waits for all. */
  pending_games: string[];
  results: GameResult[];
  /** Seconds, as the original reports it. */
  total_time: number;
}

/**
 * Runs many games on this machine with bounded concurrency. A game that throws
 * (its play source is unreachable) is reported as failed; the others go on.
 */
export async function runBatch(gameIds: readonly string[], pipeline: Pipeline, options: BatchOptions): Promise<BatchResult> {
  const started = Date.now();
  const games = [...new Set(gameIds)];
  const pool = createPool(Math.max(1, options.gameConcurrency));
  const outcomes = await Promise.all(
    games.map((gameId) =>
      pool.run(async () => {
        try {
          return { gameId, result: await processGame(gameId, pipeline, options) };
        } catch (error) {
          const reason = errorMessage(error);
          options.onEvent?.({ type: "game-error", gameId, error: reason });
          return { gameId, error: reason };
        }
      }),
    ),
  );
  const batch: BatchResult = { completed_games: [], failed_games: [], pending_games: [], results: [], total_time: 0 };
  for (const outcome of outcomes) {
    if ("result" in outcome && outcome.result) {
      batch.results.push(outcome.result);
      if (outcome.result.status === "failed") {
        batch.failed_games.push({ game_id: outcome.gameId, reason: outcome.result.reason ?? "failed" });
      } else batch.completed_games.push(outcome.gameId);
    } else {
      batch.failed_games.push({ game_id: outcome.gameId, reason: outcome.error ?? "failed" });
    }
  }
  batch.total_time = Math.round((Date.now() - started) / 100) / 10;
  return batch;
}
