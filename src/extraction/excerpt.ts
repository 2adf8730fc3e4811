import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { AudioSource } from "./cut-smart.js";
import type { VideoStreamInfo } from "./ffprobe-json.js";
import { mediaInputOptions } from "./input-options.js";
import { withAnnouncedReads } from "./announced-reads.js";
import { keyframeAtOrBefore, keyframeBeforeStart, probeStreamAndPackets, readPacketsAtStarts, readVideoPackets, type VideoPacket } from "./keyframes.js";
import { FFMPEG_QUIET, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";
import type { CameraReads, ClipSpan, ModeCutRequest } from "./modes/mode.js";

/**
 * How far past END the excerpt runs: the plan needs the decode-order packets
 * just past END to see B-frame reordering (a few frames); a second is ample,
 * and every second more is read from the bucket for every clip.
 */
export const EXCERPT_PAST_END_SEC = 1;
// A shifted excerpt moves by an edit-list rounding (a millisecond or so); ffprobe prints microseconds.
const SAME_TIME_SEC = 1e-4;

/** What a smart cut works from: the source itself, or an excerpt of it, with START on that input's timeline. */
export interface CutInput {
  input: string;
  info: VideoStreamInfo;
  start: number;
  /** Video packets from the keyframe at or before START to past END. */
  packets: VideoPacket[];
  /** Where the mux copies the clip's audio from; null without audio. */
  audio: AudioSource | null;
  /** The excerpt's files, which the cut may delete once it has read them; [] for the source. */
  files: string[];
}

/**
 * Runs `cut` on an excerpt of the clip's span in a work folder beside
 * `req.output` (null when none can be made: `cut` then reads the source),
 * and deletes the folder after. Needs the camera's probed stream.
 */
export async function withExcerpt<T>(tools: MediaTools, req: ModeCutRequest, info: VideoStreamInfo,
  cut: (excerpt: CutInput | null, work: string) => Promise<T>): Promise<T> {
  await mkdir(dirname(req.output), { recursive: true });
  const work = await mkdtemp(join(dirname(req.output), `.${basename(req.output)}.cut-`));
  try {
    return await cut(await cutExcerpt(tools, req, info, join(work, "excerpt.mp4")), work);
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * In one read per camera: the keyframe before every START (each excerpt's
 * first keyframe is checked against it) and where each excerpt ends in the
 * file (its reads are fetched ahead): smart's prepareCamera.
 */
export async function prepareExcerpts(tools: MediaTools, input: string, stream: VideoStreamInfo,
  clips: readonly ClipSpan[], timeoutMs: number): Promise<CameraReads> {
  return { packets: await readPacketsAtStarts(tools, input, stream, clips.flatMap((c) => [c.start, c.end + EXCERPT_PAST_END_SEC]), timeoutMs) };
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
export async function cutExcerpt(tools: MediaTools, req: ModeCutRequest, info: VideoStreamInfo, file: string): Promise<CutInput | null> {
  const movie = movieTimescale(info);
  if (movie === null || !info.timescales) return null;
  const end = info.originSec + req.start + req.duration + EXCERPT_PAST_END_SEC;
  const run = { timeoutMs: req.timeoutMs, signal: req.signal };
  // The audio alone as well, for the mux: the excerpt can then be deleted
  // before the clip is written, so a clip's temp files peak at twice its size, not three times.
  const audioScale = info.hasAudio ? info.timescales.audio : null;
  const audioFile = audioScale ? join(dirname(file), "audio.mp4") : null;
  const audioOutput = audioFile && audioScale
    ? ["-map", "0:a:0", "-c", "copy", "-to", end.toFixed(6), "-movie_timescale", String(audioScale), "-f", "mp4", audioFile] : [];
  const args = [...FFMPEG_QUIET, "-ss", req.start.toFixed(6), ...mediaInputOptions(req.input), "-copyts",
    "-i", req.input, "-map", "0:v:0", "-map", "0:a:0?", "-c", "copy", "-to", end.toFixed(6),
    "-video_track_timescale", String(info.timescales.video), "-movie_timescale", String(movie), "-f", "mp4", file, ...audioOutput];
  try {
    await withAnnouncedReads(req, req.start, req.start + req.duration + EXCERPT_PAST_END_SEC, info.fps, () => runMediaTool(tools.ffmpeg, args, run));
  } catch (error) {
    // An audio codec MP4 cannot hold, say: the source path still works.
    if (req.signal?.aborted) throw error;
    return null;
  }
  const probed = await probeStreamAndPackets(tools, file, req.timeoutMs).catch(() => null);
  if (!probed) return null;
  const { stream: local, packets } = probed;
  const start = req.start + info.originSec - local.originSec;
  const first = keyframeAtOrBefore(packets, start, local.fps);
  const expected = await keyframeBeforeStart(tools, req.input, req.start, info, req.packets, req.timeoutMs).catch(() => null);
  if (!first || !expected || Math.abs(first.pts + local.originSec - (expected.pts + info.originSec)) > SAME_TIME_SEC) return null;
  // Its own timestamps are the source's: -seek_timestamp seeks to START's absolute time in it.
  const audio = audioFile ? { input: audioFile, seek: ["-seek_timestamp", "1", "-ss", (info.originSec + req.start).toFixed(6)] } : null;
  return { input: file, info: local, start, packets, audio, files: audioFile ? [file, audioFile] : [file] };
}

/** The source itself, as a smart cut read it before excerpts (and still does when cutExcerpt says null). */
export async function sourceInput(tools: MediaTools, req: ModeCutRequest, info: VideoStreamInfo): Promise<CutInput> {
  const range = { fromSec: req.start, toSec: req.start + req.duration + 2, originSec: info.originSec };
  return { input: req.input, info, start: req.start, packets: await readVideoPackets(tools, req.input, range, req.timeoutMs),
    audio: info.hasAudio ? { input: req.input, seek: ["-ss", req.start.toFixed(6)] } : null, files: [] };
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
