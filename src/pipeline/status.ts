import { parseGameId } from "../domain/ids.js";
import { gameLayout } from "../domain/layout.js";
import type { GameManifest } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";
import { readManifest } from "./manifest.js";

export type GameState = "complete" | "failed" | "pending";

export interface GameStatusReport {
  game_id: string;
  state: GameState;
  /** The manifest's own status (complete/partial/failed), when there is one. */
  manifest_status: GameManifest["status"] | null;
  reason: string | null;
  counts: GameManifest["counts"] | null;
  /** When the manifest was written, so a poller can tell this run's result from an earlier one. */
  finished_at: string | null;
}

/**
 * A game's state read from the output store alone, as the original's poller
 * does: both JSONL files present means complete. A manifest that says failed
 * ends the wait early instead of at the time limit.
 */
export async function readGameStatus(store: ObjectStore, id: string): Promise<GameStatusReport> {
  const layout = gameLayout(parseGameId(id));
  const gameId = layout.gameId;
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
