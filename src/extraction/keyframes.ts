import { MediaError } from "../domain/errors.js";
import { causeText, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";
import { mainVideoStream, parseMediaInfo, type FfprobeJson, type FfprobePacket, type MediaInfo, type VideoStreamInfo } from "./ffprobe-json.js";
import { mediaInputOptions } from "./input-options.js";

/** One video packet; times are relative to the container start, like `-ss`. */
export interface VideoPacket {
  pts: number;
  dts: number | null;
  key: boolean;
  /** Byte offset of the packet in the file, when ffprobe knows it. */
  pos?: number;
}


/** The source's video stream, probed for a cut (a library caller's; the pipeline probes once per camera). */
export async function probeVideoStream(tools: MediaTools, input: string, timeoutMs: number): Promise<VideoStreamInfo> {
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...mediaInputOptions(input), input];
  const media = parseMediaInfo(JSON.parse((await runProbe(tools, input, args, timeoutMs)).stdout) as FfprobeJson);
  if ("problem" in media) throw new MediaError(`cannot cut ${input}: ${media.problem}`);
  return cuttableStream(media, input);
}

/** The media's video stream, when copy and smart cuts can work with it: it has one, with a frame rate. */
export function cuttableStream(media: MediaInfo, input: string): VideoStreamInfo {
  if (!media.video) throw new MediaError(`cannot cut ${input}: it has no video stream`);
  if (media.video.fps === 0) throw new MediaError(`cannot cut ${input}: its video has no frame rate`);
  return media.video;
}

/**
 * Video packets in decode order from the keyframe at or before `fromSec` up to
 * `toSec` (plus what the demuxer reads past it). Packets carry the keyframe
 * flag, so nothing is decoded: cheap even in a two-hour game.
 */
export async function readVideoPackets(
  tools: MediaTools,
  input: string,
  range: { fromSec: number; toSec: number; originSec: number },
  timeoutMs: number,
): Promise<VideoPacket[]> {
  return readVideoPacketsIn(tools, input, [range], range.originSec, timeoutMs);
}

/**
 * readVideoPackets for many ranges in one ffprobe: one process and one index
 * parse per camera instead of per clip. Each range starts from its own seek,
 * so the result holds, for every range, the keyframe at or before its start.
 */
export async function readVideoPacketsIn(
  tools: MediaTools,
  input: string,
  ranges: ReadonlyArray<{ fromSec: number; toSec: number }>,
  originSec: number,
  timeoutMs: number,
): Promise<VideoPacket[]> {
  if (ranges.length === 0) return [];
  // -read_intervals takes absolute timestamps in ascending order; -ss counts from the start time.
  const intervals = [...ranges]
    .sort((a, b) => a.fromSec - b.fromSec)
    .map((r) => `${(originSec + r.fromSec).toFixed(6)}%${(originSec + r.toSec).toFixed(6)}`)
    .join(",");
  const args = ["-v", "error", "-select_streams", "v:0", "-read_intervals", intervals,
    "-show_entries", "packet=pts_time,dts_time,flags,pos", "-print_format", "json", ...mediaInputOptions(input), input];
  const { stdout } = await runProbe(tools, input, args, timeoutMs);
  return videoPackets((JSON.parse(stdout) as FfprobeJson).packets ?? [], originSec);
}

/**
 * A small file's stream and every one of its video packets, in one ffprobe
 * (a smart clip's excerpt: a probe and a packet read were two processes).
 */
export async function probeStreamAndPackets(tools: MediaTools, input: string, timeoutMs: number): Promise<{ stream: VideoStreamInfo; packets: VideoPacket[] }> {
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams",
    "-show_entries", "packet=stream_index,pts_time,dts_time,flags,pos", ...mediaInputOptions(input), input];
  const json = JSON.parse((await runProbe(tools, input, args, timeoutMs)).stdout) as FfprobeJson;
  const media = parseMediaInfo(json);
  if ("problem" in media) throw new MediaError(`cannot cut ${input}: ${media.problem}`);
  const stream = cuttableStream(media, input);
  const index = mainVideoStream(json.streams ?? [])?.index;
  return { stream, packets: videoPackets((json.packets ?? []).filter((p) => p.stream_index === index), stream.originSec) };
}

/** ffprobe's packets as VideoPackets, with times from `originSec`; packets without a time are left out. */
function videoPackets(raw: readonly FfprobePacket[], originSec: number): VideoPacket[] {
  return raw.flatMap((p) => {
    const pts = Number(p.pts_time);
    if (p.pts_time === undefined || !Number.isFinite(pts)) return [];
    const dts = Number(p.dts_time);
    return [{
      pts: pts - originSec,
      dts: p.dts_time !== undefined && Number.isFinite(dts) ? dts - originSec : null,
      key: (p.flags ?? "").includes("K"),
      ...(p.pos !== undefined && /^\d+$/.test(p.pos) ? { pos: Number(p.pos) } : {}),
    }];
  });
}

/**
 * One read per camera of the packets around every clip's START: one ffprobe
 * and one index parse instead of one per clip (copy and smart prepareCamera).
 * Each interval runs reorderDepth + 2 frames past START: ffprobe stops an
 * interval at the first packet in decode order shown at or past its end, and
 * with B-frames the reference frame after START comes before START's own
 * packet. With 2 frames a START on the first B-frame after a reference was
 * never read (a third of starts at 4 h 1080p, has_b_frames=2), and each such
 * clip then read its keyframe itself: one more ffprobe of the whole index.
 */
export function readPacketsAtStarts(tools: MediaTools, input: string, stream: Pick<VideoStreamInfo, "fps" | "originSec" | "reorderDepth">,
  starts: readonly number[], timeoutMs: number): Promise<VideoPacket[]> {
  const frames = stream.reorderDepth + 2;
  const ranges = starts.map((start) => ({ fromSec: start, toSec: start + frames / stream.fps }));
  return readVideoPacketsIn(tools, input, ranges, stream.originSec, timeoutMs);
}

/**
 * The keyframe at or before START: from the camera's shared packets when
 * their read reached START (one read runs on from its keyframe, so the
 * keyframe before START is then among them), else a small read of its own.
 */
export async function keyframeBeforeStart(tools: MediaTools, input: string, start: number,
  stream: Pick<VideoStreamInfo, "fps" | "originSec">, shared: readonly VideoPacket[] | undefined, timeoutMs: number): Promise<VideoPacket | null> {
  const reachesStart = (p: VideoPacket): boolean => Math.abs(p.pts - start) < 1 / stream.fps;
  const packets = shared?.some(reachesStart) ? shared
    : await readVideoPackets(tools, input, { fromSec: start, toSec: start + 1, originSec: stream.originSec }, timeoutMs);
  return keyframeAtOrBefore(packets, start, stream.fps);
}

/** The last keyframe at or before `sec` (half a frame of slack for rounding), or null. */
export function keyframeAtOrBefore(packets: readonly VideoPacket[], sec: number, fps: number): VideoPacket | null {
  const limit = sec + 0.5 / fps;
  let best: VideoPacket | null = null;
  for (const p of packets) if (p.key && p.pts <= limit && (!best || p.pts > best.pts)) best = p;
  return best;
}

async function runProbe(tools: MediaTools, input: string, args: string[], timeoutMs: number) {
  try {
    return await runMediaTool(tools.ffprobe, args, { timeoutMs });
  } catch (error) {
    throw new MediaError(`reading the keyframes of ${input} failed: ${causeText(error)}`, { cause: error });
  }
}
