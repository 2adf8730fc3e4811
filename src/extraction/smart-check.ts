import { spawn } from "node:child_process";
import { MediaError } from "../domain/errors.js";
import { describeCommand, runMediaTool, stderrTail } from "./run.js";
import type { MediaTools } from "./tools.js";
import { mediaInputOptions } from "./input-options.js";

export interface SmartClipExpectation {
  clip: string;
  source: string;
  /** Seconds from the source's first timestamp, as for the cut. */
  start: number;
  duration: number;
  fps: number;
  /** The first stream-copied frame: its index in the clip and its time in the source. Omit if nothing was spliced. */
  join?: { frame: number; sourceSec: number };
  timeoutMs: number;
  signal?: AbortSignal;
}

export type SmartClipCheck =
  | { ok: true; frames: number; firstFramePsnr: number; joinFramePsnr: number | null }
  | { ok: false; reason: string };

// Same threshold as the exact-cut tests: the right frame re-encoded scores ~48
// dB, its neighbours 19-27 dB on testsrc2; a broken splice decodes as garbage.
export const SAME_FRAME_DB = 35;
const AUDIO_DURATION_SLACK_SEC = 0.05;

interface ProbedStream {
  codec_type?: string;
  start_time?: string;
  duration?: string;
  sample_rate?: string;
}

/** The frame count of ffmpeg's last -progress block ("frame=N" … "progress=end"); NaN if there is none. */
function lastProgressFrames(progress: string): number {
  const counts = [...progress.matchAll(/^frame=(\d+)\s*$/gm)];
  const last = counts[counts.length - 1];
  return last ? Number(last[1]) : NaN;
}

/**
 * Every check a spliced clip must pass before it may be published: it decodes
 * without a single decoder error, has as many frames as the exact cut would
 * (±1), starts on the source frame at START, the spliced-in copied frame is the
 * right one, and the audio covers the video from its first frame.
 * Never throws for a bad clip; ffmpeg failing to run at all does throw.
 */
export async function checkSmartClip(tools: MediaTools, e: SmartClipExpectation): Promise<SmartClipCheck> {
  const run = { timeoutMs: e.timeoutMs, signal: e.signal };
  // One decode pass does two checks: stderr at -v error holds only decoder
  // errors, and -progress reports how many video frames came out. Decoding a
  // clip is most of a check's cost; counting frames in a second ffprobe
  // -count_frames pass decoded every frame again. passthrough keeps the null
  // muxer from dropping or duplicating frames, so the count is the decoded one.
  const decodeArgs = ["-nostdin", "-nostats", "-v", "error", "-progress", "pipe:1", "-i", e.clip,
    "-fps_mode:v", "passthrough", "-f", "null", "-"];
  // Container durations and start times come from the headers: no decoding.
  const probeArgs = ["-v", "error", "-print_format", "json",
    "-show_entries", "stream=codec_type,start_time,duration,sample_rate", e.clip];
  const [decoded, probed] = await Promise.all([
    runMediaTool(tools.ffmpeg, decodeArgs, run).then(
      (r) => ({ errors: r.stderr.trim(), frames: lastProgressFrames(r.stdout) }),
      (error: unknown) => ({ errors: `ffmpeg could not decode it: ${String(error)}`, frames: NaN }),
    ),
    // A clip too broken to probe is a failed check, not a thrown error (the decode reports why).
    runMediaTool(tools.ffprobe, probeArgs, run).then((r) => r.stdout, (error: unknown) => error),
  ]);
  if (decoded.errors) return { ok: false, reason: `decoding ${e.clip} reported errors: ${decoded.errors.slice(0, 300)}` };
  if (typeof probed !== "string") return { ok: false, reason: `ffprobe could not read ${e.clip}: ${String(probed)}` };

  const streams = (JSON.parse(probed) as { streams?: ProbedStream[] }).streams ?? [];
  const video = streams.find((s) => s.codec_type === "video");
  if (!video) return { ok: false, reason: `${e.clip} has no video stream` };
  const frames = decoded.frames;
  const expectedFrames = Math.round(e.duration * e.fps);
  if (!(Math.abs(frames - expectedFrames) <= 1)) {
    return { ok: false, reason: `${e.clip} has ${frames} frames, an exact cut has ${expectedFrames} (±1)` };
  }

  const audio = streams.find((s) => s.codec_type === "audio");
  if (audio) {
    const [vStart, vDur, aStart, aDur] = [video.start_time, video.duration, audio.start_time, audio.duration].map(Number);
    // One AAC frame (1024 samples) is the finest step audio can start on.
    const aacFrame = 1024 / (Number(audio.sample_rate) || 48_000);
    if (!(Math.abs((aDur ?? NaN) - (vDur ?? NaN)) <= AUDIO_DURATION_SLACK_SEC)) {
      return { ok: false, reason: `${e.clip}: audio lasts ${aDur} s, video ${vDur} s (more than 50 ms apart)` };
    }
    if (!(Math.abs((aStart ?? NaN) - (vStart ?? NaN)) <= aacFrame + 0.001)) {
      return { ok: false, reason: `${e.clip}: audio starts at ${aStart} s, video at ${vStart} s (more than one AAC frame)` };
    }
  }

  const firstFramePsnr = await compareFrame(tools, e, 0, e.start);
  if (!(firstFramePsnr > SAME_FRAME_DB)) {
    return { ok: false, reason: `${e.clip}'s first frame is not the source frame at ${e.start} s (${firstFramePsnr.toFixed(1)} dB)` };
  }
  let joinFramePsnr: number | null = null;
  if (e.join && e.join.frame > 0 && e.join.frame < frames) {
    // A quarter frame early: -ss keeps the first frame at or after it, and the keyframe's time may be rounded.
    joinFramePsnr = await compareFrame(tools, e, e.join.frame, e.join.sourceSec - 0.25 / e.fps);
    if (!(joinFramePsnr > SAME_FRAME_DB)) {
      const at = `frame ${e.join.frame}, the first copied one`;
      return { ok: false, reason: `${e.clip}'s ${at}, does not match the source (${joinFramePsnr.toFixed(1)} dB)` };
    }
  }
  return { ok: true, frames, firstFramePsnr, joinFramePsnr };
}

/**
 * Clip frame `n` against the source frame at `sourceSec`. The reference uses
 * accurate input seeking, which decodes from the previous keyframe (what the
 * exact cut's tests prove right) instead of decoding a whole game from 0.
 */
async function compareFrame(tools: MediaTools, e: SmartClipExpectation, n: number, sourceSec: number): Promise<number> {
  const run = { timeoutMs: e.timeoutMs, signal: e.signal };
  const gray = ["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"];
  const clipArgs = ["-nostdin", "-v", "error", "-i", e.clip, "-map", "0:v:0",
    "-vf", `select=eq(n\\,${n})`, "-fps_mode", "passthrough", ...gray];
  // Same -ss semantics as the cut itself: the first frame at or after sourceSec.
  const refArgs = ["-nostdin", "-v", "error", "-ss", sourceSec.toFixed(6), ...mediaInputOptions(e.source), "-i", e.source,
    "-map", "0:v:0", ...gray];
  const [clipFrame, refFrame] = await Promise.all([
    runBinary(tools.ffmpeg, clipArgs, run), runBinary(tools.ffmpeg, refArgs, run),
  ]);
  return psnr(clipFrame, refFrame);
}

/** runMediaTool decodes stdout as UTF-8, which would mangle raw pixels; this keeps the bytes. */
function runBinary(bin: string, args: string[], run: { timeoutMs: number; signal?: AbortSignal }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"], signal: run.signal, timeout: run.timeoutMs });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(chunks));
      else reject(new MediaError(`${describeCommand(bin, args)} failed (${code ?? "killed"}): ${stderrTail(stderr)}`));
    });
  });
}

/** Peak signal-to-noise ratio of two 8-bit images in dB; Infinity when identical, -Infinity if sizes differ. */
export function psnr(a: Buffer, b: Buffer): number {
  if (a.length !== b.length || a.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
