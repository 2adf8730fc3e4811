import { text } from "node:stream/consumers";
import { errorMessage, StoreError } from "../domain/errors.js";
import { manifestKey } from "../domain/layout.js";
import type { ClipRecord, GameManifest, GameResult } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";

export type ManifestRead =
  | { kind: "absent" }
  | { kind: "ok"; manifest: GameManifest }
  | { kind: "invalid"; reason: string };

/**
 * Reads a game's manifest from the store. The file comes from storage, so it
 * is checked before use: a torn or foreign file is reported, never trusted.
 */
export async function readManifest(store: ObjectStore, gameId: string): Promise<ManifestRead> {
  const key = manifestKey(gameId);
  let body: string;
  try {
    body = await text(await store.read(key));
  } catch (error) {
    if (error instanceof StoreError && error.code === "not_found") return { kind: "absent" };
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    return { kind: "invalid", reason: `${key} is not JSON: ${errorMessage(error)}` };
  }
  const problem = manifestProblem(parsed, gameId);
  return problem ? { kind: "invalid", reason: `${key}: ${problem}` } : { kind: "ok", manifest: parsed as GameManifest };
}

function manifestProblem(value: unknown, gameId: string): string | null {
  if (typeof value !== "object" || value === null) return "not an object";
  const m = value as Partial<GameManifest>;
  if (m.version !== 1) return `unsupported version ${JSON.stringify(m.version)}`;
  if (m.gameId !== gameId) return `belongs to game ${JSON.stringify(m.gameId)}`;
  if (!["complete", "partial", "failed"].includes(String(m.status))) return `unknown status ${JSON.stringify(m.status)}`;
  if (!Array.isArray(m.clips)) return "has no clips array";
  for (const clip of m.clips as unknown[]) {
    const c = clip as Partial<ClipRecord> | null;
    if (!c || typeof c.key !== "string" || typeof c.status !== "string") return "has a malformed clip record";
  }
  return null;
}

export async function writeManifest(store: ObjectStore, manifest: GameManifest): Promise<string> {
  const key = manifestKey(manifest.gameId);
  await store.write(key, `${JSON.stringify(manifest, null, 2)}\n`, { contentType: "application/json" });
  return store.uri(key);
}

/** The response shape of the original's process_game, from a manifest. */
export function gameResult(manifest: GameManifest, manifestUri: string): GameResult {
  return {
    game_id: manifest.gameId,
    status: manifest.status,
    reason: manifest.reason,
    total_plays: manifest.counts.rows,
    rejected_plays: manifest.counts.rejectedPlays,
    successful_clips: manifest.counts.clipsOk,
    failed_clips: manifest.counts.clipsFailed,
    reused_clips: manifest.counts.clipsReused,
    jsonl_files: manifest.outputs,
    manifest: manifestUri,
    elapsed_ms: manifest.timings.totalMs,
  };
}
