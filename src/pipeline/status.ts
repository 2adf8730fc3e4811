import { parseGameId } from "../domain/ids.js";
import { gameLayout } from "../domain/layout.js";
import type { GameManifest } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";
import { readManifest } from "./manifest.js";
import { readStatusObject, type AttemptRecord } from "./status-object.js";

export type GameState = "complete" | "failed" | "pending";

export interface GameStatusReport {
  game_id: string;
  state: GameState;
  /** The published result's own status (complete/partial/failed), when there is one. */
  manifest_status: GameManifest["status"] | null;
  reason: string | null;
  counts: GameManifest["counts"] | null;
  /** When the published result was written, so a poller can tell this run's result from an earlier one. */
  finished_at: string | null;
  /** The run whose outputs are published, when the game has a status object. */
  run_id?: string | null;
  /** The latest run that started, finished or not (its failure shows here while an earlier dataset stays). */
  attempt?: AttemptRecord | null;
}

/**
 * A game's state read from the output store alone. With a status object
 * (games/{id}/status.json) that small object is all that is read. Outputs of
 * older versions have none: then both JSONL files present means complete, as
 * the original's poller checks, and a manifest that says failed means failed.
 */
export async function readGameStatus(store: ObjectStore, id: string): Promise<GameStatusReport> {
  const layout = gameLayout(parseGameId(id));
  const gameId = layout.gameId;
  // Pollers need no version: a plain read, so any store (or wrapper) serves it.
  const found = await readStatusObject(store, gameId, { versioned: false });
  if (found && (found.status.attempt !== null || found.status.run_id !== null)) {
    const s = found.status;
    return {
      game_id: gameId,
      state: s.state === "partial" ? "complete" : s.state,
      manifest_status: s.state === "pending" ? null : s.state,
      reason: s.reason ?? s.attempt?.reason ?? null,
      counts: s.counts,
      finished_at: s.finished_at,
      run_id: s.run_id,
      attempt: s.attempt,
    };
  }
  const [manifest, training, validation] = await Promise.all([
    readManifest(store, gameId),
    store.stat(layout.training),
    store.stat(layout.validation),
  ]);
  const m = manifest.kind === "ok" ? manifest.manifest : null;
  const report: GameStatusReport = {
    game_id: gameId,
    state: "pending",
    manifest_status: m?.status ?? null,
    reason: m?.reason ?? (manifest.kind === "invalid" ? manifest.reason : null),
    counts: m?.counts ?? null,
    finished_at: m?.finishedAt ?? null,
  };
  if (m?.status === "failed") report.state = "failed";
  else if (training && validation) report.state = "complete";
  return report;
}
