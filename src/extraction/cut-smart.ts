import type { CutRequest } from "./cut.js";
import type { VideoPacket, VideoStreamInfo } from "./keyframes.js";
import { mediaInputOptions } from "./input-options.js";

/** How a smart cut splits [START, END): re-encode frames before K, copy from K. */
export type SmartPlan =
  | {
      kind: "splice";
      /** The first keyframe at or after START, seconds from the source's first timestamp. */
      keyframeSec: number;
      /** Frames in [START, K): re-encoded. 0 when START is on a keyframe. */
      headFrames: number;
      /** Frames in [K, END): copied. */
      tailFrames: number;
      /** Packets to copy from K in decode order; equals tailFrames unless B-frames reorder. */
      tailPackets: number;
    }
  | { kind: "exact"; reason: string };

// Frame times from ffprobe are rounded to microseconds; anything below a
// frame's length decides which side of START or END a frame is on.
const EPS = 1e-4;
const X264_PROFILES: Record<string, string> = {
  "Constrained Baseline": "baseline", Baseline: "baseline", Main: "main", High: "high",
};
const SPLICEABLE_PIX_FMTS = new Set(["yuv420p", "yuvj420p"]);

/**
 * Decides from packet flags and timestamps alone (nothing decoded) whether
 * [START, END) can be spliced from re-encoded and copied frames, and why not.
 * `packets` must be in decode order and reach past END.
 */
export function planSmartCut(info: VideoStreamInfo, packets: readonly VideoPacket[], start: number, duration: number): SmartPlan {
  const end = start + duration;
  if (info.codec !== "h264") return { kind: "exact", reason: `smart cuts splice H.264 only; the source is ${info.codec}` };
  if (!SPLICEABLE_PIX_FMTS.has(info.pixFmt)) return { kind: "exact", reason: `pixel format ${info.pixFmt} is not spliceable` };
  if (!info.profile || !(info.profile in X264_PROFILES)) {
    return { kind: "exact", reason: `H.264 profile ${info.profile ?? "unknown"} cannot be matched by the encoder` };
  }
  // ffmpeg's exact cut keeps the frames with START <= pts < END.
  const inClip = (p: VideoPacket): boolean => p.pts >= start - EPS && p.pts < end - EPS;
  const clipFrames = packets.filter(inClip);
  const lastPts = Math.max(...packets.map((p) => p.pts));
  if (clipFrames.length === 0 || lastPts < end - 1.5 / info.fps) {
    return { kind: "exact", reason: "the source ends before the clip does" };
  }
  const keyIndex = packets.findIndex((p) => p.key && inClip(p));
  const keyframe = packets[keyIndex];
  if (!keyframe) return { kind: "exact", reason: "no keyframe between START and END: the whole clip is re-encoded" };

  const after = packets.slice(keyIndex);
  // Open GOP: a frame decoded after K but shown before it references the GOP before K, which is not copied.
  const leading = after.find((p) => p.pts < keyframe.pts - EPS);
  if (leading) return { kind: "exact", reason: `open GOP: the frame at ${leading.pts.toFixed(3)} s follows keyframe ${keyframe.pts.toFixed(3)} s in decode order` };

  const tailFrames = clipFrames.filter((p) => p.pts >= keyframe.pts - EPS).length;
  let tailPackets = 0;
  for (let i = 0, seen = 0; i < after.length && seen < tailFrames; i++) {
    tailPackets = i + 1;
    if (inClip(after[i] as VideoPacket)) seen++;
  }
  const extra = tailPackets - tailFrames;
  if (extra > 0) {
    // A copy ends after a whole decode-order prefix; with B-frames that prefix can hold frames shown after END.
    return { kind: "exact", reason: `B-frame reordering at END: copying up to END would add ${extra} frame(s) after it` };
  }
  return { kind: "splice", keyframeSec: keyframe.pts, headFrames: clipFrames.length - tailFrames, tailFrames, tailPackets };
}

/** Encoder settings that make the re-encoded head decodable in the same stream as the copied tail. */
export function matchingEncoderArgs(info: VideoStreamInfo): string[] {
  // The same B-frame depth gives the head the same decode delay as the copied
  // tail, so decode timestamps stay monotonic across the join.
  const args = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-bf", String(info.reorderDepth), "-pix_fmt", info.pixFmt];
  const profile = info.profile ? X264_PROFILES[info.profile] : undefined;
  if (profile) args.push("-profile:v", profile);
  if (info.level) args.push("-level:v", (info.level / 10).toFixed(1));
  const names = { color_range: "-color_range", color_space: "-colorspace", color_primaries: "-color_primaries",
    color_transfer: "-color_trc" } as const;
  for (const [key, flag] of Object.entries(names) as Array<[keyof typeof names, string]>) {
    const value = info.colour[key];
    if (value) args.push(flag, value);
  }
  return args;
}

/** Re-encodes the head [START, K) to MPEG-TS: Annex B carries its own SPS/PPS in-band. */
export function headArgs(req: CutRequest, info: VideoStreamInfo, frames: number, out: string): string[] {
  return ["-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", req.start.toFixed(6),
    ...mediaInputOptions(req.input), "-i", req.input, "-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", String(frames), ...matchingEncoderArgs(info),
    "-fps_mode", "passthrough", "-f", "mpegts", out];
}

/**
 * Copies [K, END) to MPEG-TS; the muxer adds h264_mp4toannexb, which repeats
 * the source's SPS/PPS before K, so the decoder switches parameter sets there.
 * -ss a quarter frame after K: seeking to K itself can round to just before it
 * and start a GOP early.
 */
export function tailArgs(req: CutRequest, info: VideoStreamInfo, plan: { keyframeSec: number; tailPackets: number }, out: string): string[] {
  return ["-hide_banner", "-nostdin", "-v", "error", "-y", "-ss", (plan.keyframeSec + 0.25 / info.fps).toFixed(6),
    ...mediaInputOptions(req.input), "-i", req.input, "-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", String(plan.tailPackets), "-c:v", "copy",
    "-f", "mpegts", out];
}

/** Joins the parts with the concat demuxer (-c copy) and re-encodes the audio of [START, END) beside them. */
export function muxArgs(req: CutRequest, list: string, withAudio: boolean): string[] {
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", list];
  if (withAudio) args.push("-ss", req.start.toFixed(6), "-t", req.duration.toFixed(6), ...mediaInputOptions(req.input), "-i", req.input);
  args.push("-map", "0:v:0", "-c:v", "copy");
  if (withAudio) args.push("-map", "1:a:0?", "-c:a", "aac");
  args.push("-movflags", "+faststart", req.output.startsWith("-") ? `./${req.output}` : req.output);
  return args;
}

/** A concat-demuxer list; the head's duration is given so its end is K exactly, not a guess from TS timestamps. */
export function concatList(parts: Array<{ file: string; durationSec?: number }>): string {
  return parts
    .map((p) => `file '${p.file.replace(/'/g, "'\\''")}'\n${p.durationSec !== undefined ? `duration ${p.durationSec.toFixed(6)}\n` : ""}`)
    .join("");
}
