import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { MediaError } from "../domain/errors.js";
import { FFMPEG_QUIET, causeText, codecThreads, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";
import { mediaInputOptions } from "./input-options.js";

export interface CutRequest {
  input: string;
  /** Seconds from the source's first timestamp (ffmpeg adds the file's start_time). */
  start: number;
  duration: number;
  output: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Threads of the decoder and the encoder of a re-encoding cut. Default 1:
   * the clip pool runs one clip per core. More when the memory budget lets
   * fewer clips run at once than there are cores (cutCamera).
   */
  threads?: number;
}

/**
 * The original design's exact command. `-ss` stays before `-i`: ffmpeg then
 * seeks to the keyframe before START, decodes up to START and drops the frames
 * before it, so the clip starts on the frame at START rather than on a
 * keyframe, and START is measured from the file's first timestamp. Re-encoding
 * is what makes that possible; `-c copy` would start on a keyframe. Unlike
 * the original, the clip holds exactly the source's frames in [START, END),
 * each once (see the comments below); `filters` (scale, fps) follow.
 */
export function exactCutArgs(req: Pick<CutRequest, "input" | "start" | "duration" | "output" | "threads">, filters: readonly string[] = []): string[] {
  return [
    ...FFMPEG_QUIET,
    ...codecThreads(req.threads),
    // -t on the input: the frames whose source time is in [START, END), not
    // a length counted from wherever the first kept frame lands.
    "-ss", formatTime(req.start), "-t", formatTime(req.duration),
    ...mediaInputOptions(req.input),
    "-i", req.input,
    "-map", "0:v:0", "-map", "0:a:0?",
    // Every kept frame once, at its own time from the first: ffmpeg's default
    // constant-rate output duplicated the first frame and dropped the last
    // (every frame one slot late) when the source's timestamps had a gap,
    // as a camera file joined from segments does (docs/cutting.md).
    "-vf", ["setpts=PTS-STARTPTS", ...filters].join(","), "-fps_mode", "passthrough",
    "-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", ...codecThreads(req.threads),
    "-c:a", "aac",
    "-movflags", "+faststart",
    // An output named "-x.mp4" would otherwise be read as an option.
    req.output.startsWith("-") ? `./${req.output}` : req.output,
  ];
}

/**
 * Cuts [start, start + duration) of the input into an H.264/AAC MP4. On any
 * failure the partial output is removed, so a file at `output` is never a
 * half-written clip left behind by this function.
 */
/** Start and duration must be usable numbers, whatever the mode. */
export function validateCutRequest(req: CutRequest): void {
  if (!Number.isFinite(req.start) || req.start < 0) {
    throw new MediaError(`cannot cut ${req.input}: start must be a number of seconds >= 0, got ${req.start}`);
  }
  if (!Number.isFinite(req.duration) || req.duration <= 0) {
    throw new MediaError(`cannot cut ${req.input}: duration must be a number of seconds > 0, got ${req.duration}`);
  }
}

/**
 * Runs the exact command; `filters` (scale, fps) go in as one -vf. A failed
 * cut leaves no output file behind.
 */
export async function cutExactClip(tools: MediaTools, req: CutRequest, filters: readonly string[] = []): Promise<void> {
  validateCutRequest(req);
  const args = exactCutArgs(req, filters);
  await mkdir(dirname(req.output), { recursive: true });
  try {
    await runMediaTool(tools.ffmpeg, args, { timeoutMs: req.timeoutMs, signal: req.signal });
  } catch (error) {
    await rm(req.output, { force: true }).catch(() => undefined);
    const span = `${formatTime(req.start)} s + ${formatTime(req.duration)} s`;
    throw new MediaError(`cutting ${span} of ${req.input} into ${req.output} failed: ${causeText(error)}`, {
      cause: error,
    });
  }
}

function formatTime(seconds: number): string {
  return seconds.toFixed(6);
}
