import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { copyFile, mkdir, rm, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { Play } from "../src/domain/types.js";
import type { PlannedClip } from "../src/pipeline/plan.js";
import type { ObjectStore } from "../src/stores/object-store.js";

export interface BaselineResult {
  clipsOk: number;
  clipsFailed: number;
  downloadMs: number;
  errors: string[];
}

/**
 * The original design (original-design.md, extract_all_clips and
 * _extract_clip_from_local_video), faithfully: per camera video, download it
 * whole to temp disk, then one ffmpeg per clip, one after another, with the
 * original's exact argv and 60 s timeout; "upload" copies the clip to the
 * output folder; temp clip and temp video are deleted as in the original.
 * The clip list is the same as playclips cuts (planClips), so both do the same work.
 */
export async function runBaseline(
  ffmpeg: string,
  videos: ObjectStore,
  plan: ReadonlyMap<string, readonly PlannedClip[]>,
  tempDir: string,
  outDir: string,
  onClip: (done: number) => void = () => {},
): Promise<BaselineResult> {
  const result: BaselineResult = { clipsOk: 0, clipsFailed: 0, downloadMs: 0, errors: [] };
  for (const [camera, clips] of plan) {
    const first = clips[0];
    if (!first) continue;
    const tempVideo = join(tempDir, `${camera}.mp4`);
    const started = Date.now();
    await pipeline(await videos.read(first.source), createWriteStream(tempVideo));
    result.downloadMs += Date.now() - started;
    for (const clip of clips) {
      const ok = await extractClipFromLocalVideo(ffmpeg, tempVideo, clip.play, join(outDir, clip.key), tempDir, result.errors);
      if (ok) result.clipsOk++;
      else result.clipsFailed++;
      onClip(result.clipsOk + result.clipsFailed);
    }
    await unlink(tempVideo);
  }
  return result;
}

async function extractClipFromLocalVideo(
  ffmpeg: string,
  localVideo: string,
  play: Play,
  output: string,
  tempDir: string,
  errors: string[],
): Promise<boolean> {
  const duration = play.end - play.start;
  const tempClip = join(tempDir, `clip_${process.pid}_${play.start}.mp4`);
  try {
    const cmd = ["-ss", pyStr(play.start), "-i", localVideo, "-t", pyStr(duration),
      "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-c:a", "aac", "-y", tempClip];
    await run(ffmpeg, cmd, 60_000);
    await mkdir(dirname(output), { recursive: true });
    await copyFile(tempClip, output);
    return true;
  } catch (error) {
    errors.push(String(error).slice(0, 300));
    return false;
  } finally {
    await rm(tempClip, { force: true });
  }
}

/** Python's str(float): shortest round-trip digits, like JS, but whole numbers keep ".0". */
function pyStr(x: number): string {
  return Number.isInteger(x) ? `${x}.0` : String(x);
}

/** subprocess.run(check=True, capture_output=True, timeout=…). */
function run(bin: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr.slice(-300)}`))));
  });
}
