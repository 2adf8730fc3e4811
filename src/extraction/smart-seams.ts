import { type FfprobeJson, type FfprobeStream, type MediaInfo, parseMediaInfo } from "./ffprobe-json.js";
import { runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";

/** A smart clip as its container describes it: stream headers and every packet's times (no decoding). */
export interface ClipLayout {
  streams: FfprobeStream[];
  /** The container's start: ffmpeg's `-ss` on the clip counts from it. */
  startSec: number;
  /** Video packets in file (decode) order. */
  video: Array<{ pts: number; dts: number; key: boolean }>;
  /** The clip as probeMedia reads it (the cut's duration check needs no ffprobe of its own), or why it cannot be. */
  media: MediaInfo | { problem: string };
}

/**
 * One ffprobe of the clip's index: headers and packet times, read from the
 * file without decoding a frame. Whole headers, as probeMedia reads them: the
 * clip's duration check reuses them rather than start one more ffprobe.
 */
export async function readClipLayout(tools: MediaTools, clip: string, run: { timeoutMs: number; signal?: AbortSignal }): Promise<ClipLayout> {
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams",
    "-show_entries", "packet=codec_type,pts_time,dts_time,flags", clip];
  const json = JSON.parse((await runMediaTool(tools.ffprobe, args, run)).stdout) as FfprobeJson;
  const video = (json.packets ?? []).filter((p) => p.codec_type === "video")
    .map((p) => ({ pts: Number(p.pts_time), dts: Number(p.dts_time ?? p.pts_time), key: (p.flags ?? "").includes("K") }));
  return { streams: json.streams ?? [], startSec: Number(json.format?.start_time ?? 0) || 0, video, media: parseMediaInfo(json) };
}

/**
 * The copied middle checked at container level: as many frames as an exact
 * cut (±1), decode timestamps strictly rising, every frame with a time, and
 * presentation times spaced within half to twice the median spacing (no lost
 * GOP or skipped join, no overlapping parts). What it cannot see, corrupt bytes in a
 * packet, the seam decode and the copy's own source decode (cut-copy) cover.
 */
export function layoutProblem(clip: string, layout: ClipLayout, expectedFrames: number): string | null {
  const frames = layout.video;
  if (!(Math.abs(frames.length - expectedFrames) <= 1)) return `${clip} has ${frames.length} frames, an exact cut has ${expectedFrames} (±1)`;
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i] as { pts: number; dts: number };
    if (!Number.isFinite(f.pts)) return `${clip}: video packet ${i} has no presentation time`;
    const before = frames[i - 1];
    if (before && !(f.dts > before.dts)) return `${clip}: decode times do not rise at video packet ${i} (${before.dts} then ${f.dts})`;
  }
  const shown = frames.map((f) => f.pts).sort((a, b) => a - b);
  const steps = shown.slice(1).map((t, i) => t - (shown[i] as number));
  const median = [...steps].sort((a, b) => a - b)[Math.floor(steps.length / 2)] ?? 0;
  // Too close is as wrong as too far: a re-encoded part timed at the average
  // rate against copied frames of a variable-rate source overlaps them.
  const odd = steps.findIndex((d) => d > 2 * median + 1e-4 || d < median / 2 - 1e-4);
  if (odd >= 0) return `${clip}: ${(steps[odd] as number).toFixed(3)} s between frames at ${(shown[odd] as number).toFixed(3)} s, ${median.toFixed(3)} s elsewhere`;
  return null;
}

/** The parts of a clip the seam check decodes, as input options for the clip (seconds in the clip's own timeline). */
export interface SeamWindows {
  /** From the first frame through the first copied GOP. */
  head: { untilSec: number };
  /**
   * From the last copied GOP's keyframe through the end (ffmpeg seeks to the
   * keyframe before `seekSec` and decodes from there). With a re-encoded tail
   * `seekSec` is just before its first frame, which is then the first shown.
   */
  tail: { seekSec: number; showsTailJoin: boolean };
}

/**
 * Which frames to decode: the re-encoded head, the copied GOP after the join,
 * and the copied GOP before the tail join with the re-encoded tail. The
 * copied GOPs between are the source's own bitstream from its IDR keyframes,
 * so they decode as they did in the source; the layout check above proves
 * they are all there and in order. `tailFrame`: the clip frame where the tail
 * starts, or null when the clip ends on copied frames (its last GOP is then
 * decoded). Null when the windows would cover most of the clip: decode it all.
 */
export function seamWindows(layout: ClipLayout, joinFrame: number, tailFrame: number | null): SeamWindows | null {
  const shown = layout.video.map((f) => f.pts).sort((a, b) => a - b);
  const keys = layout.video.filter((f) => f.key).map((f) => f.pts).sort((a, b) => a - b);
  const first = shown[0] ?? 0;
  const joinSec = shown[joinFrame] ?? first;
  // End of the first copied GOP: the next keyframe after the join's.
  const headEnd = keys.find((k) => k > joinSec + 1e-6) ?? Infinity;
  const lastFrame = tailFrame ?? shown.length - 1;
  const lastSec = shown[lastFrame] ?? Infinity;
  // The keyframe that starts the last copied GOP, at or before the tail's first frame (or the clip's last).
  const tailKey = [...keys].reverse().find((k) => k < lastSec - 1e-6 || (tailFrame === null && k <= lastSec)) ?? first;
  if (!(tailKey > headEnd)) return null;
  const quarter = ((shown[1] ?? first) - first) / 4;
  // Just before the tail's keyframe lands on the copied GOP before it; just after the last copied keyframe, on it.
  const seek = tailFrame !== null ? lastSec - quarter : tailKey + quarter;
  return { head: { untilSec: headEnd - layout.startSec }, tail: { seekSec: Math.max(0, seek - layout.startSec), showsTailJoin: tailFrame !== null } };
}
