import { text } from "node:stream/consumers";
import { errorMessage, StoreError } from "../domain/errors.js";
import { manifestKey } from "../domain/layout.js";
import type { CameraRecord, ClipRecord, GameManifest, GameResult, ValidatedPlays } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";

export type ManifestRead =
  | { kind: "absent" }
  | { kind: "ok"; manifest: GameManifest }
  | { kind: "invalid"; reason: string };

/**
 * Reads a game's manifest from the store. The file comes from storage, so it
 * is checked before use: a torn or foreign file is reported, never trusted.
 */
export async function readManifest(store: ObjectStore, gameId: string, key = manifestKey(gameId)): Promise<ManifestRead> {
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

export function serializeManifest(manifest: GameManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
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

/** What a finished run knows about its game; everything the manifest records. */
export interface FinishedRun {
  gameId: string;
  runId: string;
  startedAt: Date;
  fetchPlaysMs: number;
  rows: number;
  validated: ValidatedPlays;
  status: GameManifest["status"];
  reason: string | null;
  cameras: CameraRecord[];
  clips: ClipRecord[];
  clipsMs?: number;
}

export function buildManifest(
  game: FinishedRun,
  settings: {
    split: GameManifest["split"];
    lines: { trainingLines: number; validationLines: number; assignments: GameManifest["assignments"]; warnings?: string[] } | null;
    outputs: GameManifest["outputs"];
    plays: GameManifest["plays"];
    /** The rejections the manifest lists, and the side file with all of them when there are many. */
    listed: { rejectedPlays: GameManifest["rejectedPlays"]; rejectedPlaysFile: string | null };
  },
): GameManifest {
  const finishedAt = new Date();
  const clipsOk = game.clips.filter((c) => c.status === "ok").length;
  return {
    version: 1,
    gameId: game.gameId,
    runId: game.runId,
    status: game.status,
    reason: game.reason,
    startedAt: game.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    timings: { fetchPlaysMs: game.fetchPlaysMs, clipsMs: game.clipsMs ?? 0, totalMs: finishedAt.getTime() - game.startedAt.getTime() },
    counts: {
      rows: game.rows,
      validPlays: game.validated.plays.length,
      rejectedPlays: game.validated.rejected.length,
      clipsPlanned: game.clips.length,
      clipsOk,
      clipsFailed: game.clips.length - clipsOk,
      clipsReused: game.clips.filter((c) => c.reused).length,
      uploadRetries: game.clips.reduce((sum, c) => sum + (c.uploadRetries ?? 0), 0),
      trainingLines: settings.lines?.trainingLines ?? 0,
      validationLines: settings.lines?.validationLines ?? 0,
    },
    split: settings.split,
    cameras: game.cameras,
    rejectedPlays: settings.listed.rejectedPlays,
    rejectedPlaysFile: settings.listed.rejectedPlaysFile,
    plays: settings.plays,
    clips: [...game.clips].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    warnings: settings.lines?.warnings ?? [],
    assignments: settings.lines?.assignments ?? {},
    outputs: settings.outputs,
  };
}
