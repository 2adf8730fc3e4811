import { link, mkdir, readFile, rename, rm, statfs, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { videoKey } from "../src/domain/layout.js";
import { CAMERAS } from "../src/domain/types.js";
import { runMediaTool } from "../src/extraction/run.js";
import type { MediaTools } from "../src/extraction/tools.js";
import type { BenchParams } from "./generate.js";

/**
 * The full-scale camera (`--scale`): 4 h of 1080p30 at ~5 Mbit/s (~9 GB), the
 * original design's headline size. Rendering 4 h at 1080p would take most of
 * a day on 2 cores, so one 118 s body is rendered and joined to itself by
 * stream copy, each copy preceded by a 2 s slate (one GOP) saying which
 * segment it is; the body carries a burned-in timecode. A clip is then
 * checkable by eye: slate number x 120 s + timecode = where it was cut.
 * The four cameras are hard links to one file.
 */
export const SEGMENT_SEC = 120;
const SLATE_SEC = 2;
const FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
const GiB = 2 ** 30;

/** Encoder settings shared by body and slates: the concat demuxer reuses the first file's SPS/PPS. */
function encoderArgs(p: BenchParams): string[] {
  const gop = 2 * p.fps;
  return ["-c:v", "libx264", "-preset", "superfast", "-crf", "28", "-profile:v", "high", "-level", "4.2",
    "-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0", "-pix_fmt", "yuv420p",
    "-c:a", "aac", "-b:a", "128k", "-ac", "2", "-ar", "48000"];
}

function sources(p: BenchParams, seconds: number): string[] {
  return ["-f", "lavfi", "-i", `testsrc2=size=${p.width}x${p.height}:rate=${p.fps}`,
    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:beep_factor=4",
    "-t", String(seconds), "-map", "0:v", "-map", "1:a"];
}

/** Fails with what it needs when the disk cannot hold the camera file plus the original design's download of it. */
export async function checkFreeDisk(dir: string, bytesNeeded: number, log: (m: string) => void): Promise<void> {
  await mkdir(dir, { recursive: true });
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  log(`disk: ${(free / GiB).toFixed(1)} GiB free in ${dir}, the scale run needs ${(bytesNeeded / GiB).toFixed(1)} GiB`);
  if (free < bytesNeeded) {
    throw new Error(`not enough disk for --scale: ${(bytesNeeded / GiB).toFixed(1)} GiB needed in ${dir} ` +
      `(one ~9 GiB camera file, hard-linked 4x, plus the original design's ~9 GiB temp download), ${(free / GiB).toFixed(1)} GiB free`);
  }
}

/**
 * Writes the camera to `target` (once; the caller caches it by params) and
 * hard-links it as every camera of gameId under videos/.
 */
export async function renderScaleCameras(tools: MediaTools, root: string, videos: string, gameId: string, p: BenchParams, log: (m: string) => void): Promise<string> {
  const segments = Math.round(p.durationSec / SEGMENT_SEC);
  const work = join(root, "segments");
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  const run = (args: string[]): Promise<unknown> => runMediaTool(tools.ffmpeg, ["-nostdin", "-v", "error", "-y", ...args], { timeoutMs: 4 * 3600_000 });
  const t0 = Date.now();

  log(`scale: rendering a ${SEGMENT_SEC - SLATE_SEC} s ${p.width}x${p.height} body with a burned-in timecode…`);
  const body = join(work, "body.mp4");
  const box = p.height / 9;
  await run([...sources(p, SEGMENT_SEC - SLATE_SEC),
    "-vf", `noise=alls=5:allf=t,drawbox=x='mod(t*iw/6,iw-${box})':y=ih*0.6:w=${box}:h=${box}:color=orange:t=fill,` +
      `drawtext=fontfile=${FONT}:fontsize=${p.height / 12}:fontcolor=white:box=1:boxcolor=black:x=40:y=40:text='T+%{pts\\:hms}'`,
    ...encoderArgs(p), "-f", "mp4", body]);

  log(`scale: rendering ${segments} slates (${SLATE_SEC} s each) and splitting them…`);
  const slates = join(work, "slates.mp4");
  await run([...sources(p, segments * SLATE_SEC),
    "-vf", `drawtext=fontfile=${FONT}:fontsize=${p.height / 6}:fontcolor=white:box=1:boxcolor=black:x=(w-tw)/2:y=(h-th)/2:` +
      `text='SEGMENT %{eif\\:floor(t/${SLATE_SEC})+1\\:d} of ${segments}'`,
    ...encoderArgs(p), "-f", "mp4", slates]);
  // One GOP per slate, keyframes every 2 s: the segment muxer cuts on them without re-encoding.
  await run(["-i", slates, "-map", "0", "-c", "copy", "-f", "segment", "-segment_time", String(SLATE_SEC),
    "-reset_timestamps", "1", join(work, "slate%04d.mp4")]);

  log(`scale: joining ${segments} x (slate + body) into one ${p.durationSec / 3600} h camera file (stream copy)…`);
  const list = join(work, "list.txt");
  const lines: string[] = [];
  for (let i = 0; i < segments; i++) lines.push(`file '${join(work, `slate${String(i).padStart(4, "0")}.mp4`)}'`, `file '${body}'`);
  await writeFile(list, `${lines.join("\n")}\n`);
  const camera = join(root, "camera.mp4");
  await run(["-f", "concat", "-safe", "0", "-i", list, "-map", "0", "-c", "copy", "-f", "mp4", `${camera}.partial`]);
  await rename(`${camera}.partial`, camera);
  await rm(work, { recursive: true, force: true });

  for (const cam of CAMERAS) {
    const target = join(videos, videoKey(gameId, cam));
    await mkdir(dirname(target), { recursive: true });
    await rm(target, { force: true });
    await link(camera, target);
  }
  log(`scale: camera file ready in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  return camera;
}

/** True when a finished render for these params is cached. */
export async function scaleCached(marker: string, wanted: string): Promise<boolean> {
  return (await readFile(marker, "utf8").catch(() => "")) === wanted;
}
