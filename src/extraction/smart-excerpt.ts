import type { VideoStreamInfo } from "./ffprobe-json.js";
import { mediaInputOptions } from "./input-options.js";
import { keyframeAtOrBefore, keyframeBeforeStart, probeVideoStream, readVideoPackets, type VideoPacket } from "./keyframes.js";
import { FFMPEG_QUIET, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";
import type { ModeCutRequest } from "./modes/mode.js";

/**
 * How far past END the excerpt runs: the plan needs the decode-order packets
 * just past END to see B-frame reordering (a few frames); a second is ample,
 * and every second more is read from the bucket for every clip.
 */
const PAST_END_SEC = 1;
// A shifted excerpt moves by an edit-list rounding (a millisecond or so); ffprobe prints microseconds.
const SAME_TIME_SEC = 1e-4;

/** What a smart cut works from: the source itself, or an excerpt of it, with START on that input's timeline. */
export interface SmartInput {
  input: string;
  info: VideoStreamInfo;
  start: number;
  /** Video packets from the keyframe at or before START to 2 s past END. */
  packets: VideoPacket[];
}

/**
 * One read of the source per smart clip. Every process of a smart cut (its
 * packets, head, copied middle, tail, audio and the check's reference frames)
 * opened the 4 h camera itself, and each open parses its whole index (~0.2 s
 * of CPU and ~110 MB at 4 h) and reads the clip's range again through the
 * range cache: 6 to 8 opens per clip, 1.8x the covered bytes (issue 13).
 * Instead one ffmpeg stream-copies the clip's span, from the keyframe at or
 * before START to past END, into a small local MP4 with the source's own
 * timestamps (-copyts; the track keeps the source's timescale, and a movie
 * timescale both tracks divide keeps the edit list exact), and the rest of
 * the cut reads that. Its frames are the source's bytes: the check's
 * references decoded from it are the source's frames.
 *
 * Null when an excerpt cannot be trusted to keep time exactly — time bases
 * that are not 1/N, or an excerpt whose first keyframe is not the source's
 * keyframe before START — and the caller reads the source as before.
 */
export async function smartExcerpt(tools: MediaTools, req: ModeCutRequest, info: VideoStreamInfo, file: string): Promise<SmartInput | null> {
  const movie = movieTimescale(info);
  if (movie === null || !info.timescales) return null;
  const end = info.originSec + req.start + req.duration + PAST_END_SEC;
  const run = { timeoutMs: req.timeoutMs, signal: req.signal };
  try {
    await runMediaTool(tools.ffmpeg, [...FFMPEG_QUIET, "-ss", req.start.toFixed(6), ...mediaInputOptions(req.input), "-copyts",
      "-i", req.input, "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-to", end.toFixed(6),
      "-video_track_timescale", String(info.timescales.video), "-movie_timescale", String(movie), "-f", "mp4", file], run);
  } catch (error) {
    // An audio codec MP4 cannot hold, say: the source path still works.
    if (req.signal?.aborted) throw error;
    return null;
  }
  const local = await probeVideoStream(tools, file, req.timeoutMs).catch(() => null);
  if (!local) return null;
  const start = req.start + info.originSec - local.originSec;
  const packets = await readVideoPackets(tools, file, { fromSec: start, toSec: start + req.duration + PAST_END_SEC, originSec: local.originSec }, req.timeoutMs)
    .catch(() => []);
  const first = keyframeAtOrBefore(packets, start, local.fps);
  const expected = await keyframeBeforeStart(tools, req.input, req.start, info, req.packets, req.timeoutMs).catch(() => null);
  if (!first || !expected || Math.abs(first.pts + local.originSec - (expected.pts + info.originSec)) > SAME_TIME_SEC) return null;
  return { input: file, info: local, start, packets };
}

/** The source itself, as a smart cut read it before excerpts (and still does when smartExcerpt says null). */
export async function sourceInput(tools: MediaTools, req: ModeCutRequest, info: VideoStreamInfo): Promise<SmartInput> {
  const range = { fromSec: req.start, toSec: req.start + req.duration + 2, originSec: info.originSec };
  return { input: req.input, info, start: req.start, packets: await readVideoPackets(tools, req.input, range, req.timeoutMs) };
}

/** MP4's movie timescale that states both tracks' offsets exactly; null when there is none small enough. */
export function movieTimescale(info: Pick<VideoStreamInfo, "timescales" | "hasAudio">): number | null {
  const scales = info.timescales;
  if (!scales) return null;
  if (info.hasAudio && scales.audio === null) return null;
  const movie = scales.audio === null ? scales.video : lcm(scales.video, scales.audio);
  return movie <= 2 ** 31 - 1 ? movie : null;
}

function lcm(a: number, b: number): number {
  let [x, y] = [a, b];
  while (y !== 0) [x, y] = [y, x % y];
  return (a / x) * b;
}
