import { parseGameId } from "../domain/ids.js";
import { unknownTemplateNames } from "../domain/jsonl.js";
import { gameLayout, type GameLayout } from "../domain/layout.js";
import type { ClipRecord, GameResult, ValidatedPlays } from "../domain/types.js";
import { validatePlayRows } from "../domain/validate-plays.js";
import { commitRun, finishDeadPublish } from "./commit.js";
import { cutCamera } from "./cut-camera.js";
import { buildDataset, datasetUris, playSummary } from "./dataset.js";
import { buildManifest, gameResult, readManifest, type FinishedRun } from "./manifest.js";
import type { Pipeline, RunOptions } from "./parts.js";
import { createPool } from "./pool.js";
import { planClips } from "./plan.js";
import { manifestRejections } from "./rejections.js";
import { readProgress } from "./progress.js";
import { openRunScope, type RunScope } from "./run-scope.js";

// Cameras of one game open at once: at most two, and the next one only once
// every clip of the one before has started (its tail), so the clip pool stays
// busy while a camera is probed, without holding two cameras' caches and
// indexes (~50 MB each at 4 h, which the memory gate counts against a
// clip) for a camera's whole run. With two cameras open throughout, smart on
// 24 clips of 4 h 1080p took 79 s; with one at a time 61 s, but a 16-clip
// 720p run then took 5-15 % longer (docs/cutting.md).
const CAMERAS_AT_ONCE = 2;

/**
 * Turns one game's plays and camera videos into clips, a manifest and the two
 * JSONL files, published by the commit protocol (commit.ts). Bad rows, missing
 * cameras and failed clips are recorded in the manifest. Throws when the play
 * source is unreadable or the game id bad, GameBusyError when another live run
 * holds the game, and RunCancelledError once the run is cancelled: nothing of
 * it is published after that.
 */
export async function processGame(id: string, pipeline: Pipeline, run: RunOptions = {}): Promise<GameResult> {
  // The id is parsed here, the library's edge (a UUID in any case is one game).
  const layout = gameLayout(parseGameId(id));
  const scope = await openRunScope(layout.gameId, pipeline, run);
  try {
    return await runGame(layout, scope);
  } catch (error) {
    throw await scope.failed(error);
  } finally {
    await scope.close();
  }
}

async function runGame(layout: GameLayout, scope: RunScope): Promise<GameResult> {
  const { pipeline, run } = scope;
  const { gameId } = layout;
  const startedAt = new Date();
  run.onEvent?.({ type: "game-start", gameId });
  await finishDeadPublish(pipeline.backends.output, scope.lease, () => scope.guard());

  const rows = await pipeline.backends.plays.fetchPlays(gameId);
  const fetchPlaysMs = Date.now() - startedAt.getTime();
  const validated = validatePlayRows(gameId, rows);
  const base = { gameId, runId: scope.runId, startedAt, fetchPlaysMs, rows: rows.length, validated };

  const fatal = gameFatalReason(pipeline, validated, rows.length);
  if (fatal) return finish(scope, { ...base, status: "failed", reason: fatal, cameras: [], clips: [] });

  const plan = planClips(layout, validated.plays);
  const planned = [...plan.values()].reduce((n, clips) => n + clips.length, 0);
  scope.planned(planned);
  run.onEvent?.({ type: "game-planned", gameId, clips: planned, rejectedPlays: validated.rejected.length });

  const reuse = run.reuse ?? true;
  const previous = reuse ? await earlierClips(scope, gameId) : new Map<string, ClipRecord>();
  const clipsStarted = Date.now();
  const cameraPool = createPool(CAMERAS_AT_ONCE);
  const camerasRun = { ...run, gameId, reuse, previous };
  let turn: Promise<void> = Promise.resolve();
  const outcomes = await Promise.all(
    [...plan].map(([camera, clips]) => {
      const mine = turn;
      let allStarted = (): void => {};
      turn = new Promise<void>((resolve) => (allStarted = resolve));
      return cameraPool.run(async () => {
        await mine;
        try {
          return await cutCamera(pipeline, camerasRun, camera, clips, allStarted);
        } finally {
          allStarted();
        }
      });
    }),
  );
  // A cancelled run's clips failed because it was cancelled: that is no result to record.
  scope.guard();
  const clips = outcomes.flatMap((o) => o.clips);
  const cameras = outcomes.map((o) => o.camera);
  const clipsMs = Date.now() - clipsStarted;

  const ok = clips.filter((c) => c.status === "ok").length;
  if (ok === 0) {
    const reasons = [...new Set(clips.map((c) => c.reason ?? "unknown"))].slice(0, 3).join("; ");
    return finish(scope, { ...base, status: "failed", reason: `no clip could be cut: ${reasons}`, cameras, clips, clipsMs });
  }
  const whole = ok === clips.length && validated.rejected.length === 0;
  return finish(scope, { ...base, status: whole ? "complete" : "partial", reason: null, cameras, clips, clipsMs });
}

/**
 * Good clips an earlier run made: those of the published manifest, and those
 * a later attempt that never finished (killed, cancelled) had recorded as it went.
 */
async function earlierClips(scope: RunScope, gameId: string): Promise<Map<string, ClipRecord>> {
  const store = scope.pipeline.backends.output;
  const before = await readManifest(store, gameId);
  const found = new Map<string, ClipRecord>(before.kind === "ok" ? before.manifest.clips.map((c) => [c.key, c]) : []);
  const attempt = scope.lease.before.attempt;
  if (attempt && attempt.state !== "done" && attempt.state !== "failed") {
    for (const clip of await readProgress(store, gameId, attempt.run_id)) found.set(clip.key, clip);
  }
  return found;
}

function gameFatalReason(pipeline: Pipeline, validated: ValidatedPlays, rows: number): string | null {
  if (rows === 0) return `no plays found for this game in ${pipeline.backends.plays.name}`;
  if (validated.plays.length === 0) return `none of the ${rows} plays is valid: see rejectedPlays`;
  const unknown = unknownTemplateNames(pipeline.dataset.templates, validated.plays);
  if (unknown.length > 0) return `the prompt/label templates name fields no play has: ${unknown.map((n) => `{${n}}`).join(", ")}`;
  return null;
}

async function finish(scope: RunScope, game: FinishedRun): Promise<GameResult> {
  const { pipeline, run } = scope;
  const { output } = pipeline.backends;
  const { split, format } = pipeline.dataset;
  const dataset = game.status === "failed" ? null : buildDataset(pipeline.dataset, output, game.validated.plays, game.clips);
  const layout = gameLayout(parseGameId(game.gameId));
  const outputs = dataset ? datasetUris(output, layout) : null;
  const listed = await manifestRejections(output, layout, game.validated.rejected);
  const manifest = buildManifest(game, { split: { ratio: split.ratio, seed: split.seed, format }, lines: dataset, outputs, listed, plays: game.validated.plays.map((play) => playSummary(pipeline.dataset, play)) });
  await scope.progress.flush();
  await commitRun(output, scope.lease, manifest, dataset, { guard: () => scope.guard(), discardOnFailure: run.discardDatasetOnFailure === true });
  const result = gameResult(manifest, output.uri(layout.manifest));
  run.onEvent?.({ type: "game-done", gameId: game.gameId, result });
  return result;
}
