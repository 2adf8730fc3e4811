import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { DEFAULT_TEMPLATES } from "../../src/domain/jsonl.js";
import { videoKey } from "../../src/domain/layout.js";
import { CAMERAS, type Camera } from "../../src/domain/types.js";
import { locateMediaTools } from "../../src/extraction/locate.js";
import type { Backends, CutSettings, Limits, Pipeline } from "../../src/pipeline/parts.js";
import { createPool } from "../../src/pipeline/pool.js";
import { createFilePlaySource } from "../../src/sources/file.js";
import { createLocalStore } from "../../src/stores/local.js";
import { makeTestVideo } from "./media.js";

/** Parts a test replaces; the rest are the workspace's. */
export interface PipelineOverrides {
  backends?: Partial<Backends>;
  cut?: Partial<CutSettings>;
  limits?: Partial<Limits>;
}

/** A scratch workspace: videos/, out/, plays.csv, and a pipeline over them. */
export interface Workspace {
  root: string;
  videos: string;
  out: string;
  playsFile: string;
  pipeline(overrides?: PipelineOverrides): Promise<Pipeline>;
  /** Puts the shared test video in place as the given cameras of a game. */
  addCameras(gameId: string, cameras?: readonly Camera[]): Promise<void>;
  writePlays(rows: ReadonlyArray<Record<string, string | number | null>>): Promise<void>;
  cleanup(): Promise<void>;
}

export async function createWorkspace(videoSeconds = 12): Promise<Workspace> {
  const root = await mkdtemp(join(tmpdir(), "playclips-test-"));
  const videos = join(root, "videos");
  const out = join(root, "out");
  const playsFile = join(root, "plays.csv");
  const sample = join(root, "sample.mp4");
  // One source video serves every camera: these tests are about the pipeline, not the pixels.
  await makeTestVideo(sample, { seconds: videoSeconds, fps: 25, width: 160, height: 90 });
  const tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  return {
    root,
    videos,
    out,
    playsFile,
    async pipeline(overrides = {}) {
      return {
        backends: {
          plays: createFilePlaySource({ path: playsFile }),
          videos: createLocalStore({ root: videos }),
          output: createLocalStore({ root: out }),
          tools,
          tempDir: root,
          ...overrides.backends,
        },
        cut: { mode: "exact", toleranceSec: 0.2, ...overrides.cut },
        reads: { fetch: "auto", cacheBytes: 32 * 1024 * 1024 },
        dataset: { split: { ratio: 0.8, seed: "test" }, format: "gemini", templates: DEFAULT_TEMPLATES },
        limits: { clipPool: createPool(2), uploadPool: createPool(2), clipTimeoutMs: 60_000, ...overrides.limits },
      };
    },
    async addCameras(gameId, cameras = CAMERAS) {
      for (const camera of cameras) {
        const path = join(videos, videoKey(gameId, camera));
        await mkdir(dirname(path), { recursive: true });
        await copyFile(sample, path);
      }
    },
    async writePlays(rows) {
      const header = ["id", "game_id", "angle", "start_timestamp", "end_timestamp", "play_type", "quarter"];
      const cell = (v: unknown): string => (v === null || v === undefined ? "" : String(v));
      const body = rows.map((r) => header.map((h) => cell(r[h])).join(",")).join("\n");
      await writeFile(playsFile, `${header.join(",")}\n${body}\n`);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
