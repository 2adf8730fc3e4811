import { copyFile, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { videoKey } from "../src/domain/layout.js";
import { CAMERAS } from "../src/domain/types.js";
import { runMediaTool } from "../src/extraction/run.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { checkFreeDisk, renderScaleCameras, scaleCached } from "./scale-game.js";

export interface BenchParams {
  durationSec: number;
  width: number;
  height: number;
  fps: number;
  /** Bump when the render recipe below changes, so a cached video is rebuilt. */
  recipe: number;
  playsPerAngle: number;
  /** Play lengths are drawn uniformly from [min, max] seconds. */
  playSeconds: { min: number; max: number };
  /** Full scale: one camera file made by stream-copy joins (scale-game.ts), no 2x-long game. */
  scale?: boolean;
}

/**
 * Plays of 6-18 s (12 s on average): an NBA possession averages ~14 s, and the
 * issue's own reference workload (60 clips, 1,005 s) averages 16.75 s per clip.
 * ~13 % of each camera's footage, as the issue asks (10-15 %).
 */
const PLAY_SECONDS = { min: 6, max: 18 };
export const QUICK: BenchParams = { durationSec: 360, width: 1280, height: 720, fps: 30, recipe: 1, playsPerAngle: 4, playSeconds: PLAY_SECONDS };
export const FULL: BenchParams = { durationSec: 1200, width: 1920, height: 1080, fps: 30, recipe: 1, playsPerAngle: 13, playSeconds: PLAY_SECONDS };
/** The original design's headline game: 4 h cameras, ~100 plays of 8-30 s (~200 clips). */
export const SCALE: BenchParams = { durationSec: 4 * 3600, width: 1920, height: 1080, fps: 30, recipe: 1, playsPerAngle: 50, playSeconds: { min: 8, max: 30 }, scale: true };

export interface BenchPlay {
  id: string;
  angle: "LEFT" | "RIGHT";
  start: number;
  end: number;
}

export interface BenchGame {
  root: string;
  /** The folder the HTTP store serves: Games/{game}/{CAMERA}.mp4. */
  videos: string;
  gameId: string;
  /** Same plays, cameras twice as long: does cost follow the plays or the video? Null at full scale. */
  longGameId: string | null;
  playsCsv: string;
  plays: BenchPlay[];
  /** One camera's file, for the encode-rate measurement and packet sizes. */
  sample: string;
  longSample: string;
  params: BenchParams;
}

export const GAME_ID = "bench-game";
export const LONG_GAME_ID = "bench-game-long";

/**
 * Builds (or reuses) the benchmark game under cacheDir. One render is copied
 * to all four cameras: the pipeline's cost depends on resolution, bitrate and
 * GOP structure, not on which pixels each camera saw, and rendering one
 * realistic 1080p camera already takes minutes on 2 cores.
 */
export async function ensureBenchGame(tools: MediaTools, cacheDir: string, params: BenchParams, log: (m: string) => void): Promise<BenchGame> {
  // The videos are cached by what they look like; the plays are cheap and rewritten every run.
  const tag = `${params.width}x${params.height}-${params.durationSec}s-${params.fps}fps-r${params.recipe}${params.scale ? "-scale" : ""}`;
  const root = join(cacheDir, tag);
  const videos = join(root, "videos");
  const playsCsv = join(root, "plays.csv");
  const sample = join(videos, videoKey(GAME_ID, "FAR_LEFT"));
  const longSample = join(videos, videoKey(LONG_GAME_ID, "FAR_LEFT"));
  const plays = makePlays(params);
  const game: BenchGame = { root, videos, gameId: GAME_ID, longGameId: params.scale ? null : LONG_GAME_ID, playsCsv, plays, sample, longSample, params };
  const doneMarker = join(root, "done.json");
  const { durationSec, width, height, fps, recipe } = params;
  const wanted = JSON.stringify({ durationSec, width, height, fps, recipe });
  if (params.scale) {
    // ~5 Mbit/s x 4 h = ~9 GiB for the camera, as much again for the original design's download of it, and some slack.
    if (await scaleCached(doneMarker, wanted)) {
      log(`reusing the scale camera in ${root}`);
      // The original design's run still downloads one camera whole to temp disk.
      await checkFreeDisk(cacheDir, 10 * 2 ** 30, log);
    } else {
      await checkFreeDisk(cacheDir, 21 * 2 ** 30, log);
      await rm(root, { recursive: true, force: true });
      await mkdir(root, { recursive: true });
      await renderScaleCameras(tools, root, videos, GAME_ID, params, log);
      await writeFile(doneMarker, wanted);
    }
    await writeFile(playsCsv, playsToCsv(plays, [GAME_ID]));
    return game;
  }
  if ((await readFile(doneMarker, "utf8").catch(() => "")) === wanted) {
    log(`reusing the benchmark videos in ${root}`);
    await writeFile(playsCsv, playsToCsv(plays));
    return game;
  }
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const base = join(root, "base.mp4");
  const started = Date.now();
  log(`rendering a ${params.durationSec} s ${params.width}x${params.height} camera video (once, cached in ${root})…`);
  await renderCamera(tools, base, params);
  // The long video is the same footage twice, joined without re-encoding:
  // same GOPs and bitrate, and the plays (all in the first half) see the same frames.
  const long = join(root, "long.mp4");
  const list = join(root, "long.txt");
  await writeFile(list, `file '${base}'\nfile '${base}'\n`);
  await runMediaTool(tools.ffmpeg, ["-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list,
    "-map", "0", "-c", "copy", "-f", "mp4", long], { timeoutMs: 600_000 });
  for (const camera of CAMERAS) {
    for (const [gameId, file] of [[GAME_ID, base], [LONG_GAME_ID, long]] as const) {
      const target = join(videos, videoKey(gameId, camera));
      await mkdir(dirname(target), { recursive: true });
      await copyFile(file, target);
    }
  }
  await rm(base);
  await rm(long);
  await writeFile(playsCsv, playsToCsv(plays));
  await writeFile(doneMarker, wanted);
  log(`rendered in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return game;
}

/**
 * A camera-like recording: H.264 High profile with B-frames (superfast), a
 * keyframe every 2 s and no scene-cut keyframes, AAC audio, and the moov index
 * at the END (no +faststart: a camera cannot know the index before it stops).
 * testsrc2 moves, and temporal noise gives every frame sensor-like detail:
 * libx264 on flat synthetic patterns is unrealistically cheap. Bitrate lands
 * near what court cameras record (~4 Mbit/s at 720p, ~8 at 1080p).
 */
async function renderCamera(tools: MediaTools, out: string, p: BenchParams): Promise<void> {
  const gop = 2 * p.fps;
  const partial = `${out}.partial.mp4`;
  const args = ["-nostdin", "-v", "error", "-y",
    "-f", "lavfi", "-i", `testsrc2=size=${p.width}x${p.height}:rate=${p.fps}`,
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:beep_factor=4",
    "-t", String(p.durationSec), "-map", "0:v", "-map", "1:a",
    "-vf", `noise=alls=6:allf=t,drawbox=x='mod(t*iw/6,iw-${p.height / 9})':y=ih*0.6:w=${p.height / 9}:h=${p.height / 9}:color=orange:t=fill,format=yuv420p`,
    "-c:v", "libx264", "-preset", "superfast", "-crf", "26", "-profile:v", "high",
    "-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0",
    "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-f", "mp4", partial];
  await runMediaTool(tools.ffmpeg, args, { timeoutMs: 4 * 3600_000 });
  await rename(partial, out);
}

/** Deterministic plays of playSeconds each, spread over the game, every fourth overlapping its predecessor. */
export function makePlays(p: BenchParams): BenchPlay[] {
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const plays: BenchPlay[] = [];
  for (const angle of ["LEFT", "RIGHT"] as const) {
    const slot = (p.durationSec - 20) / p.playsPerAngle;
    let previous: BenchPlay | null = null;
    for (let i = 0; i < p.playsPerAngle; i++) {
      const length = p.playSeconds.min + (p.playSeconds.max - p.playSeconds.min) * rand();
      // Times on a millisecond grid, like annotations; not on frame or GOP boundaries.
      const start = previous && i % 4 === 3
        ? previous.start + 0.5 * (previous.end - previous.start)
        : 10 + i * slot + rand() * (slot - length);
      const play: BenchPlay = { id: `${angle.toLowerCase()}${i + 1}`, angle, start: round3(start), end: round3(start + length) };
      plays.push(play);
      previous = play;
    }
  }
  return plays;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

function playsToCsv(plays: readonly BenchPlay[], games: readonly string[] = [GAME_ID, LONG_GAME_ID]): string {
  const header = "id,game_id,angle,start_timestamp,end_timestamp,play_type,quarter";
  const rows: string[] = [];
  for (const gameId of games) {
    for (const p of plays) rows.push(`${gameId}-${p.id},${gameId},${p.angle},${p.start},${p.end},drive,1`);
  }
  return `${header}\n${rows.join("\n")}\n`;
}
