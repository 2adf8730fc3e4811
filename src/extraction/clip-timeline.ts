import { MediaError } from "../domain/errors.js";
import { runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";

export interface ClipTimelineOffsets {
  start: number;
  end: number;
}

/**
 * Where a play lies on a stream-copied clip's own presentation timeline, as a
 * player (or ffmpeg's -ss) seeks it: t = 0 is the file's start. The clip's
 * first video packet is the source keyframe K it was copied from, but it is
 * rarely shown at t = 0: with B-frames it carries a composition delay (often
 * 2 frames, so the video starts ~0.08 s after the audio), and make_zero
 * shifts by whichever stream starts first. So the offset is K's own time in
 * the file plus START - K, not START - K alone (that lands 2-3 frames early).
 */
export async function clipTimelineOffsets(
  tools: MediaTools, file: string, play: { start: number; duration: number; keyframe: number }, timeoutMs: number,
): Promise<ClipTimelineOffsets> {
  const args = [
    "-v", "error", "-select_streams", "v:0", "-read_intervals", "%+#1",
    "-show_entries", "packet=pts_time,flags:format=start_time", "-of", "json", file,
  ];
  const { stdout } = await runMediaTool(tools.ffprobe, args, { timeoutMs });
  const json = JSON.parse(stdout) as { packets?: Array<{ pts_time?: string; flags?: string }>; format?: { start_time?: string } };
  const first = json.packets?.[0];
  const keyframeAt = Number(first?.pts_time);
  const fileStart = Number(json.format?.start_time ?? 0);
  if (!first?.flags?.startsWith("K") || !Number.isFinite(keyframeAt) || !Number.isFinite(fileStart)) {
    throw new MediaError(`cannot place the play on ${file}'s timeline: its first video packet is not a keyframe with a time`);
  }
  const start = round(keyframeAt - fileStart + Math.max(0, play.start - play.keyframe));
  return { start, end: round(start + play.duration) };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
