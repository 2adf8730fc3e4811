import { parseGameId } from "../domain/ids.js";
import { unknownTemplateNames } from "../domain/jsonl.js";
import { gameLayout, type GameLayout } from "../domain/layout.js";
import type { CameraRecord, ClipRecord, GameManifest, GameResult, PlayRejection, ValidatedPlays } from "../domain/types.js";
import { validatePlayRows } from "../domain/validate-plays.js";
import type { Pipeline, RunOptions } from "./parts.js";
import { cutCamera } from "./cut-camera.js";
import { buildDataset, datasetUris, playSummary, removeDataset, writeDataset } from "./dataset.js";
import { gameResult, readManifest, writeManifest } from "./manifest.js";
import { createPool } from "./pool.js";
import { planClips } from "./plan.js";
import { manifestRejections } from "./rejections.js";

// Cameras of one game are opened two at a time: enough to keep the clip pool
// busy at a camera's tail, without holding four full downloads on disk at once.
const CAMERAS_AT_ONCE = 2;

/**
 * Turns one game's plays and camera videos into clips, a manifest and the two
 * JSONL files. Bad rows, missing cameras and failed clips are recorded in the
 * manifest; only an unreadable play source or a bad game id throws. The id
 * is parsed here, the library's edge (a UUID in any case is one game).
 */
export async function processGame(id: string, pipeline: Pipeline, run: RunOptions = {}): Promise<GameResult> {
  const layout = gameLayout(parseGameId(id));
  const { gameId } = layout;
  const startedAt = new Date();
  run.onEvent?.({ type: "game-start", gameId });

  const rows = await pipeline.backends.plays.fetchPlays(gameId);
  const fetchPlaysMs = Date.now() - startedAt.getTime();
  const validated = validatePlayRows(gameId, rows);
  const base = { layout, startedAt, fetchPlaysMs, rows: rows.length, validated };

  const fatal = gameFatalReason(pipeline, validated, rows.length);
  if (fatal) return finish(pipeline, run, { ...base, status: "failed", reason: fatal, cameras: [], clips: [] });

  const plan = planClips(layout, validated.plays);
  const planned = [...plan.values()].reduce((n, clips) => n + clips.length, 0);
  run.onEvent?.({ type: "game-planned", gameId, clips: planned, rejectedPlays: validated.rejected.length });

  const reuse = run.reuse ?? true;
  const before = reuse ? await readManifest(pipeline.backends.output, gameId) : { kind: "absent" as const };
  const previous = new Map<string, ClipRecord>(before.kind === "ok" ? before.manifest.clips.map((c) => [c.key, c]) : []);

  const clipsStarted = Date.now();
  const cameraPool = createPool(CAMERAS_AT_ONCE);
  const camerasRun = { ...run, gameId, reuse, previous };
  const outcomes = await Promise.all(
    [...plan].map(([camera, clips]) => cameraPool.run(() => cutCamera(pipeline, camerasRun, camera, clips))),
  );
  const clips = outcomes.flatMap((o) => o.clips);
  const cameras = outcomes.map((o) => o.camera);
  const clipsMs = Date.now() - clipsStarted;

  const ok = clips.filter((c) => c.status === "ok").length;
  if (ok === 0) {
    const reasons = [...new Set(clips.map((c) => c.reason ?? "unknown"))].slice(0, 3).join("; ");
    return finish(pipeline, run, { ...base, status: "failed", reason: `no clip could be cut: ${reasons}`, cameras, clips, clipsMs });
  }
  const whole = ok === clips.length && validated.rejected.length === 0;
  return finish(pipeline, run, { ...base, status: whole ? "complete" : "partial", reason: null, cameras, clips, clipsMs });
}

function gameFatalReason(pipeline: Pipeline, validated: ValidatedPlays, rows: number): string | null {
  if (rows === 0) return `no plays found for this game in ${pipeline.backends.plays.name}`;
  if (validated.plays.length === 0) return `none of the ${rows} plays is valid: see rejectedPlays`;
  const unknown = unknownTemplateNames(pipeline.dataset.templates, validated.plays);
  if (unknown.length > 0) return `the prompt/label templates name fields no play has: ${unknown.map((n) => `{${n}}`).join(", ")}`;
  return null;
}

interface Finished {
  layout: GameLayout;
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

/** Writes the manifest first and the JSONL last, so a dataset is never visible without its record. */
async function finish(pipeline: Pipeline, run: RunOptions, game: Finished): Promise<GameResult> {
  const { output } = pipeline.backends;
  const { split, format } = pipeline.dataset;
  const dataset = game.status === "failed" ? null : buildDataset(pipeline.dataset, output, game.validated.plays, game.clips);
  const rejected: PlayRejection[] = game.validated.rejected;
  const listed = await manifestRejections(output, game.layout, rejected);
  const finishedAt = new Date();
  const clipsOk = game.clips.filter((c) => c.status === "ok").length;
  const manifest: GameManifest = {
    version: 1,
    gameId: game.layout.gameId,
    status: game.status,
    reason: game.reason,
    startedAt: game.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    timings: {
      fetchPlaysMs: game.fetchPlaysMs,
      clipsMs: game.clipsMs ?? 0,
      totalMs: finishedAt.getTime() - game.startedAt.getTime(),
    },
    counts: {
      rows: game.rows,
      validPlays: game.validated.plays.length,
      rejectedPlays: rejected.length,
      clipsPlanned: game.clips.length,
      clipsOk,
      clipsFailed: game.clips.length - clipsOk,
      clipsReused: game.clips.filter((c) => c.reused).length,
      uploadRetries: game.clips.reduce((sum, c) => sum + (c.uploadRetries ?? 0), 0),
      trainingLines: dataset?.trainingLines ?? 0,
      validationLines: dataset?.validationLines ?? 0,
    },
    split: { ratio: split.ratio, seed: split.seed, format },
    cameras: game.cameras,
    rejectedPlays: listed.rejectedPlays,
    rejectedPlaysFile: listed.rejectedPlaysFile,
    plays: game.validated.plays.map((play) => playSummary(pipeline.dataset, play)),
    clips: [...game.clips].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
    assignments: dataset?.assignments ?? {},
    outputs: dataset ? datasetUris(output, game.layout) : null,
  };
  if (!dataset) await removeDataset(output, game.layout);
  const manifestUri = await writeManifest(output, manifest);
  if (dataset) await writeDataset(output, game.layout, dataset);
  const result = gameResult(manifest, manifestUri);
  run.onEvent?.({ type: "game-done", gameId: game.layout.gameId, result });
  return result;
}
