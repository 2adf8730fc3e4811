/**
 * ffprobe's -print_format json output, as far as playclips reads it: one
 * shape for every probe (probe.ts, keyframes.ts, smart-seams.ts), and the one
 * parser of it into MediaInfo.
 */
export interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  profile?: string;
  level?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  color_range?: string;
  color_space?: string;
  color_primaries?: string;
  color_transfer?: string;
  has_b_frames?: number;
  start_time?: string;
  duration?: string;
  sample_rate?: string;
  /** "1/15360": the unit of the stream's timestamps. */
  time_base?: string;
  disposition?: { attached_pic?: number };
}

/** One packet of -show_entries packet=…: only the fields asked for are there. */
export interface FfprobePacket {
  codec_type?: string;
  stream_index?: number;
  pts_time?: string;
  dts_time?: string;
  duration_time?: string;
  flags?: string;
  /** Byte offset in the file ("N/A" when unknown). */
  pos?: string;
}

export interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: { format_name?: string; start_time?: string; duration?: string };
  packets?: FfprobePacket[];
}

/** "30000/1001" or "25" as frames per second; null when absent, zero or malformed. */
export function parseRate(rate: string | undefined): number | null {
  const match = /^(\d+)(?:\/(\d+))?$/.exec(rate ?? "");
  if (!match) return null;
  const value = Number(match[1]) / Number(match[2] ?? "1");
  return Number.isFinite(value) && value > 0 ? value : null;
}

/**
 * A video stream as ffprobe describes it: what the pipeline checks of a
 * camera, and what a cut that re-encodes frames must match to splice them
 * onto copied ones.
 */
export interface VideoStreamInfo {
  codec: string;
  width: number;
  height: number;
  pixFmt: string;
  /** ffprobe's words, e.g. "High" or "Constrained Baseline". */
  profile: string | null;
  /** ffprobe's number: 31 means level 3.1. */
  level: number | null;
  /** Frames per second; 0 when the stream gives no rate at all (some variable-rate streams). */
  fps: number;
  /** The stream's own duration, when the container says it. */
  duration: number | null;
  /** Container start time: ffmpeg's `-ss` counts from here, so every cut time does too. */
  originSec: number;
  /** ffprobe colour words, only those it knows ("unknown" is dropped). */
  colour: Partial<Record<"color_range" | "color_space" | "color_primaries" | "color_transfer", string>>;
  hasAudio: boolean;
  /** has_b_frames: how many frames decode order runs ahead of display order (0 = no B-frames). */
  reorderDepth: number;
  /**
   * Ticks per second of the video's timestamps and of the first audio
   * stream's (null: none, or not 1/N): what an excerpt keeps them exact in.
   */
  timescales?: { video: number; audio: number | null };
}

/** What one ffprobe (-show_format -show_streams) says about a media file: the one parsed view of it. */
export interface MediaInfo {
  /** Container duration in seconds, measured from the first timestamp. */
  duration: number;
  /** First timestamp of the container in seconds (non-zero with edit lists or camera offsets). */
  startTime: number;
  video: VideoStreamInfo | null;
  audio: { codec: string } | null;
}

/** The one parser of ffprobe's JSON; a `problem` in plain words when it is not a usable media file. */
export function parseMediaInfo(json: FfprobeJson): MediaInfo | { problem: string } {
  const format = json.format;
  if (!format) return { problem: "ffprobe found no container format" };
  const streams = json.streams ?? [];
  const startTime = toNumber(format.start_time) ?? 0;
  const duration = mediaDuration(format.duration, streams, startTime);
  if (duration === null) return { problem: "it has no duration (a still image, or a stream with no index?)" };
  const video = mainVideoStream(streams);
  const audio = streams.find((s) => s.codec_type === "audio");
  const colour: VideoStreamInfo["colour"] = {};
  for (const key of ["color_range", "color_space", "color_primaries", "color_transfer"] as const) {
    const value = video?.[key];
    if (value && value !== "unknown") colour[key] = value;
  }
  return {
    duration,
    startTime,
    video: video
      ? {
          codec: video.codec_name ?? "unknown",
          width: video.width ?? 0,
          height: video.height ?? 0,
          pixFmt: video.pix_fmt ?? "unknown",
          profile: video.profile ?? null,
          level: typeof video.level === "number" && video.level > 0 ? video.level : null,
          fps: parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate) ?? 0,
          duration: positive(toNumber(video.duration)),
          originSec: startTime,
          colour,
          hasAudio: audio !== undefined,
          reorderDepth: video.has_b_frames ?? 0,
          ...timescalesOf(video, audio),
        }
      : null,
    audio: audio ? { codec: audio.codec_name ?? "unknown" } : null,
  };
}

/** The timestamps' ticks per second of a "1/N" time base; null for any other. */
export function timescaleOf(timeBase: string | undefined): number | null {
  const match = /^1\/([1-9]\d*)$/.exec(timeBase ?? "");
  return match ? Number(match[1]) : null;
}

function timescalesOf(video: FfprobeStream, audio: FfprobeStream | undefined): Pick<VideoStreamInfo, "timescales"> {
  const scale = timescaleOf(video.time_base);
  return scale === null ? {} : { timescales: { video: scale, audio: audio ? timescaleOf(audio.time_base) : null } };
}

/** The video stream a cut reads: the first that is not cover art. */
export function mainVideoStream(streams: readonly FfprobeStream[]): FfprobeStream | undefined {
  return streams.find((s) => s.codec_type === "video" && s.disposition?.attached_pic !== 1);
}

/**
 * Duration from the first timestamp to the end of the last stream. In MP4 the
 * container duration counts from 0 and so includes a leading empty edit (a
 * camera offset): a video starting at 1.5 s with 10 s of frames says 11.5 s.
 */
function mediaDuration(formatDuration: string | undefined, streams: readonly FfprobeStream[], startTime: number): number | null {
  const ends = streams.flatMap((s) => {
    const start = toNumber(s.start_time);
    const length = toNumber(s.duration);
    return start !== null && length !== null && length > 0 ? [start + length] : [];
  });
  if (ends.length > 0) return positive(Math.max(...ends) - startTime);
  return positive(toNumber(formatDuration));
}

/** An ffprobe number field ("12.5", "N/A", absent) as a number, or null. */
export function toNumber(value: string | undefined): number | null {
  if (value === undefined || value === "N/A") return null;
  const number = Number(value);
  return Number.isFinite(number) ? number : null;
}

function positive(value: number | null): number | null {
  return value !== null && value > 0 ? value : null;
}
