import { stat } from "node:fs/promises";
import type { MediaInfo } from "./ffprobe-json.js";
import { probeMedia } from "./probe.js";
import { causeText } from "./run.js";
import type { MediaTools } from "./tools.js";

/**
 * How far a good clip's duration may be from the request. An exact cut is
 * frame-accurate, but the container duration is still rounded to whole frames
 * (40 ms at 25 fps, 33 ms at 30 fps) and the AAC track to whole 1024-sample
 * frames (~21 ms at 48 kHz) plus encoder priming, so a correct clip can be
 * off by a frame or two; 0.2 s allows that at any common rate while still
 * catching a clip cut from a truncated source or at the wrong place.
 */
export const DEFAULT_DURATION_TOLERANCE_SEC = 0.2;

export interface ClipExpectation {
  duration: number;
  toleranceSec: number;
}

export type ClipCheck =
  | { ok: true; info: MediaInfo; bytes: number }
  | { ok: false; reason: string };

/**
 * Checks that a clip on disk is a playable video of the expected length.
 * Never throws for a bad clip: the reason is data for the manifest.
 * `probed`: the clip's headers as probeMedia would read them, when the cut's
 * own check already ran ffprobe on the finished file (smart's seam check).
 */
export async function verifyClip(tools: MediaTools, path: string, expected: ClipExpectation, probed?: MediaInfo): Promise<ClipCheck> {
  const bytes = await stat(path).then((s) => (s.isFile() ? s.size : null), () => null);
  if (bytes === null) return { ok: false, reason: `clip ${path} does not exist` };
  if (bytes === 0) return { ok: false, reason: `clip ${path} is empty (0 bytes)` };

  let info: MediaInfo;
  try {
    // Our own ffmpeg wrote it whole (exit 0, index at the front last): the
    // duration check below is what catches a short clip, and an extra ffprobe
    // of the last GOP costs a process start (~0.1 s CPU) per clip.
    info = probed ?? (await probeMedia(tools, path, undefined, { checkTruncation: false }));
  } catch (error) {
    return { ok: false, reason: causeText(error) };
  }

  if (!info.video) return { ok: false, reason: `clip ${path} has no video stream` };

  // The video track is what the dataset is about; the container duration also
  // counts an audio track that can run a few AAC frames longer.
  const measured = info.video.duration ?? info.duration;
  const source = info.video.duration !== null ? "video stream" : "container";
  const off = Math.abs(measured - expected.duration);
  if (!(off <= expected.toleranceSec)) {
    return {
      ok: false,
      reason:
        `clip ${path} is ${measured.toFixed(3)} s long (${source}), expected ` +
        `${expected.duration.toFixed(3)} s ± ${expected.toleranceSec.toFixed(3)} s (off by ${off.toFixed(3)} s)`,
    };
  }
  return { ok: true, info, bytes };
}
