import { MediaError } from "../domain/errors.js";
import { causeText, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";
import { parseRate, type FfprobeJson } from "./ffprobe-json.js";
import { mediaInputOptions } from "./input-options.js";

/** What a smart cut must know to re-encode frames that splice onto copied ones. */
export interface VideoStreamInfo {
  codec: string;
  width: number;
  height: number;
  pixFmt: string;
  /** ffprobe's words, e.g. "High" or "Constrained Baseline". */
  profile: string | null;
  /** ffprobe's number: 31 means level 3.1. */
  level: number | null;
  fps: number;
  /** Container start time: ffmpeg's `-ss` counts from here, so every time below does too. */
  originSec: number;
  /** ffprobe colour words, only those it knows ("unknown" is dropped). */
  colour: Partial<Record<"color_range" | "color_space" | "color_primaries" | "color_transfer", string>>;
  hasAudio: boolean;
  /** has_b_frames: how many frames decode order runs ahead of display order (0 = no B-frames). */
  reorderDepth: number;
}

/** One video packet; times are relative to the container start, like `-ss`. */
export interface VideoPacket {
  pts: number;
  dts: number | null;
  key: boolean;
}


export async function probeVideoStream(tools: MediaTools, input: string, timeoutMs: number): Promise<VideoStreamInfo> {
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...mediaInputOptions(input), input];
  return videoStreamInfoOf(JSON.parse((await runProbe(tools, input, args, timeoutMs)).stdout) as FfprobeJson, input);
}


/** The smart/copy view of a probe, from output probeMedia has already parsed: no second ffprobe. */
export function videoStreamInfoOf(json: FfprobeJson, input: string): VideoStreamInfo {
  const streams = json.streams ?? [];
  const video = streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
  if (!video) throw new MediaError(`cannot cut ${input}: it has no video stream`);
  const fps = parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);
  if (fps === null) throw new MediaError(`cannot cut ${input}: its video has no frame rate`);
  const colour: VideoStreamInfo["colour"] = {};
  for (const key of ["color_range", "color_space", "color_primaries", "color_transfer"] as const) {
    const value = video[key];
    if (value && value !== "unknown") colour[key] = value;
  }
  return {
    codec: video.codec_name ?? "unknown",
    width: video.width ?? 0,
    height: video.height ?? 0,
    pixFmt: video.pix_fmt ?? "unknown",
    profile: video.profile ?? null,
    level: typeof video.level === "number" && video.level > 0 ? video.level : null,
    fps,
    originSec: Number(json.format?.start_time ?? 0) || 0,
    colour,
    hasAudio: streams.some((s) => s.codec_type === "audio"),
    reorderDepth: video.has_b_frames ?? 0,
  };
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
    "-show_entries", "packet=pts_time,dts_time,flags", "-print_format", "json", ...mediaInputOptions(input), input];
  const { stdout } = await runProbe(tools, input, args, timeoutMs);
  const raw = (JSON.parse(stdout) as { packets?: Array<{ pts_time?: string; dts_time?: string; flags?: string }> })
    .packets ?? [];
  return raw.flatMap((p) => {
    const pts = Number(p.pts_time);
    if (p.pts_time === undefined || !Number.isFinite(pts)) return [];
    const dts = Number(p.dts_time);
    return [{
      pts: pts - originSec,
      dts: p.dts_time !== undefined && Number.isFinite(dts) ? dts - originSec : null,
      key: (p.flags ?? "").includes("K"),
    }];
  });
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
