import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { ValidationError } from "../domain/errors.js";
import { videoKey } from "../domain/layout.js";
import { CAMERAS, type Camera, type RawPlayRow } from "../domain/types.js";
import type { MediaTools } from "../extraction/tools.js";
import { DEMO_PLAY_COLUMNS, MIN_DEMO_DURATION_SEC, demoUuid, makeDemoPlays } from "./plays.js";
import { CAMERA_VIDEO_RECIPE, makeCameraVideo } from "./video.js";

export interface DemoOptions {
  outDir: string;
  games?: number;
  minutes?: number;
  width?: number;
  height?: number;
  fps?: number;
  seed?: string;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface DemoResult {
  gameIds: string[];
  playsFile: string;
  videosRoot: string;
  plays: number;
}

/** Matches the production cameras' GOP, so cut timing behaves as it would on real footage. */
const KEYFRAME_INTERVAL_SEC = 2;
const STATE_FILE = "demo.json";

/** Everything a camera video depends on besides its game and camera. */
interface VideoParams {
  recipe: number;
  durationSec: number;
  width: number;
  height: number;
  fps: number;
  keyframeIntervalSec: number;
}

interface DemoState {
  version: 1;
  params: VideoParams;
  /** Finished videos by key; a file is reused only when its entry and its size still agree. */
  videos: Record<string, { label: string; bytes: number }>;
}

/**
 * Writes synthetic games under outDir: Games/{game_id}/{CAMERA}.mp4 for every
 * camera, plus plays.csv and plays.jsonl. Videos made earlier with the same
 * parameters are kept, so running it again costs almost nothing.
 */
export async function generateDemo(tools: MediaTools, options: DemoOptions): Promise<DemoResult> {
  const { outDir, games, durationSec, width, height, fps, seed } = checkOptions(options);
  const progress = options.onProgress ?? (() => {});
  const params: VideoParams = { recipe: CAMERA_VIDEO_RECIPE, durationSec, width, height, fps, keyframeIntervalSec: KEYFRAME_INTERVAL_SEC };
  const gameIds = Array.from({ length: games }, (_, i) => demoUuid(seed, `game/${i + 1}`));

  await mkdir(outDir, { recursive: true });
  const statePath = join(outDir, STATE_FILE);
  const previous = await readState(statePath);
  const state: DemoState = {
    version: 1,
    params,
    videos: previous && sameParams(previous.params, params) ? previous.videos : {},
  };

  const jobs = gameIds.flatMap((gameId, index) =>
    CAMERAS.map((camera) => ({ gameId, camera, label: `game ${index + 1} ${gameId.slice(0, 8)}`, n: index + 1 })),
  );
  // Concurrent state writes would race on the temp file; chaining them keeps the last one whole.
  let saving = Promise.resolve();
  const saveState = (): Promise<void> => (saving = saving.then(() => writeAtomic(statePath, `${JSON.stringify(state, null, 2)}\n`)));

  const makeOne = async (job: { gameId: string; camera: Camera; label: string; n: number }): Promise<void> => {
    const key = videoKey(job.gameId, job.camera);
    const path = join(outDir, key);
    const where = `game ${job.n}/${games} ${job.camera}`;
    const known = state.videos[key];
    if (known?.label === job.label && (await fileSize(path)) === known.bytes) {
      progress(`${where}: kept ${key}`);
      return;
    }
    delete state.videos[key];
    await mkdir(dirname(path), { recursive: true });
    const startedAt = Date.now();
    await makeCameraVideo(tools, path, {
      camera: job.camera,
      durationSec,
      width,
      height,
      fps,
      keyframeIntervalSec: KEYFRAME_INTERVAL_SEC,
      label: job.label,
      signal: options.signal,
    });
    state.videos[key] = { label: job.label, bytes: (await stat(path)).size };
    await saveState();
    progress(`${where}: made ${key} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  };

  // x264 at ultrafast barely uses a second core, so two renders at once roughly halve the wait.
  await runPool(jobs, Math.min(4, Math.max(1, availableParallelism())), makeOne);
  await saveState();

  const rows: RawPlayRow[] = gameIds.flatMap((gameId) => makeDemoPlays(gameId, { durationSec, seed }));
  const playsFile = join(outDir, "plays.csv");
  await writeAtomic(playsFile, toCsv(rows));
  await writeAtomic(join(outDir, "plays.jsonl"), rows.map((row) => `${JSON.stringify(row)}\n`).join(""));
  progress(`plays: ${rows.length} rows for ${games} games in ${playsFile}`);
  return { gameIds, playsFile, videosRoot: outDir, plays: rows.length };
}

function checkOptions(options: DemoOptions) {
  const { outDir, games = 2, minutes = 3, width = 640, height = 360, fps = 25, seed = "playclips-demo" } = options;
  const problems: string[] = [];
  if (typeof outDir !== "string" || outDir.trim() === "") problems.push("outDir must be a folder path");
  if (!Number.isInteger(games) || games < 1 || games > 50) problems.push(`games must be an integer from 1 to 50, got ${games}`);
  const minMinutes = MIN_DEMO_DURATION_SEC / 60;
  if (!Number.isFinite(minutes) || minutes < minMinutes || minutes > 240) {
    problems.push(`minutes must be from ${minMinutes.toFixed(2)} (${MIN_DEMO_DURATION_SEC} s, room for one play) to 240, got ${minutes}`);
  }
  for (const [name, value, max] of [["width", width, 7680], ["height", height, 4320]] as const) {
    // yuv420p halves the chroma planes, so x264 refuses odd sizes.
    if (!Number.isInteger(value) || value < 16 || value > max || value % 2 !== 0) {
      problems.push(`${name} must be an even integer from 16 to ${max}, got ${value}`);
    }
  }
  if (!Number.isInteger(fps) || fps < 1 || fps > 60) problems.push(`fps must be an integer from 1 to 60, got ${fps}`);
  if (typeof seed !== "string" || seed === "") problems.push("seed must be a non-empty string");
  if (problems.length > 0) throw new ValidationError(`demo options: ${problems.join("; ")}`);
  return { outDir, games, durationSec: Math.round(minutes * 60_000) / 1000, width, height, fps, seed };
}

async function runPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async (): Promise<void> => {
    // After a failure no new work starts; renders already running finish so none is left half-made.
    while (errors.length === 0 && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

async function readState(path: string): Promise<DemoState | null> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as Partial<DemoState>;
    const usable = parsed.version === 1 && typeof parsed.params === "object" && typeof parsed.videos === "object";
    return usable ? (parsed as DemoState) : null;
  } catch {
    // Missing or damaged: everything is simply made again.
    return null;
  }
}

function sameParams(a: VideoParams, b: VideoParams): boolean {
  return (Object.keys(b) as (keyof VideoParams)[]).every((key) => a[key] === b[key]);
}

async function fileSize(path: string): Promise<number | null> {
  try {
    return (await stat(path)).size;
  } catch {
    return null;
  }
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const partial = `${path}.${randomUUID()}.partial`;
  try {
    await writeFile(partial, text);
    await rename(partial, path);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

function toCsv(rows: RawPlayRow[]): string {
  const header = [...DEMO_PLAY_COLUMNS];
  const lines = [header.join(","), ...rows.map((row) => header.map((column) => csvCell(row[column])).join(","))];
  return `${lines.join("\n")}\n`;
}

/** RFC 4180 quoting; null becomes an empty cell, which CSV readers take as NULL. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
