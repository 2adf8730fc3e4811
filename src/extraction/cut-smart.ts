import { join } from "node:path";
import type { CutRequest } from "./cut.js";
import type { VideoStreamInfo } from "./ffprobe-json.js";
import { mediaInputOptions } from "./input-options.js";
import { FFMPEG_QUIET } from "./run.js";
import { type SmartPlan, X264_PROFILES } from "./smart-plan.js";

export { planSmartCut, type SmartPlan } from "./smart-plan.js";

/** Encoder settings that make re-encoded frames decodable in the same stream as the copied ones. */
export function matchingEncoderArgs(info: VideoStreamInfo): string[] {
  // The same B-frame depth gives the re-encoded parts the same decode delay
  // as the copied one, so decode timestamps stay monotonic across both joins.
  // ultrafast at CRF 18: the re-encoded frames are about one GOP per clip, so
  // their extra bytes are small, and veryfast cost 2x the CPU per frame
  // (docs/cut-modes.md); CRF 18 keeps them close to the copied source frames.
  const args = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-bf", String(info.reorderDepth), "-pix_fmt", info.pixFmt];
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

type Splice = Extract<SmartPlan, { kind: "splice" }>;

/** One part of a smart cut: how ffmpeg reads it from the source, how it writes it, and its length for the concat list. */
export interface SmartPart {
  file: string;
  /** Options before this part's own `-i SOURCE` (its seek). */
  input: string[];
  /** Options of this part's output, after `-map N:v:0`. */
  output: string[];
  /** Omitted for the last part, whose end is the clip's. */
  durationSec?: number;
}

/** The parts of a spliced clip in order: [head,] copy[, tail], each an MPEG-TS file in `work`. */
export function smartParts(req: CutRequest, info: VideoStreamInfo, plan: Splice, work: string): SmartPart[] {
  const out = (file: string): string => join(work, file);
  const parts: SmartPart[] = [];
  if (plan.headFrames > 0) {
    parts.push({ file: "head.ts", ...headPart(req, info, plan, out("head.ts")), durationSec: plan.headFrames / info.fps });
  }
  const copy: SmartPart = { file: "copy.ts", ...copyPart(info, { ...plan, untilSec: plan.tailKeyframeSec ?? req.start + req.duration }, out("copy.ts")) };
  parts.push(copy);
  if (plan.tailKeyframeSec !== null) {
    // The source's own timestamps, not a frame count: K2 lands where it was shown even if the rate wobbles.
    copy.durationSec = plan.tailKeyframeSec - plan.keyframeSec;
    parts.push({ file: "tail.ts", ...tailPart(info, { keyframeSec: plan.tailKeyframeSec, frames: plan.tailFrames }, out("tail.ts")) });
  }
  return parts;
}

/**
 * Re-encodes the head [START, K1) to MPEG-TS: Annex B carries its own SPS/PPS
 * in-band. Its input reads to one frame past K1 (-t): the check's reference
 * at K1 comes from the same decode (smart-steps.ts), and in an ffmpeg with
 * more inputs an unbounded one goes on being decoded until every output is
 * done (measured: 3.28 s of CPU against 0.99 s with -t, one 1080p head).
 */
export function headPart(req: CutRequest, info: VideoStreamInfo, plan: Pick<Splice, "keyframeSec" | "headFrames">, out: string): Pick<SmartPart, "input" | "output"> {
  return {
    input: ["-ss", req.start.toFixed(6), "-t", (plan.keyframeSec - req.start + 1 / info.fps).toFixed(6)],
    output: ["-an", "-sn", "-dn", "-frames:v", String(plan.headFrames), ...matchingEncoderArgs(info), "-fps_mode", "passthrough", "-f", "mpegts", out],
  };
}

/**
 * Copies `copiedFrames` packets from K1 to MPEG-TS; the muxer adds
 * h264_mp4toannexb, which repeats the source's SPS/PPS before K1, so the
 * decoder switches parameter sets there. -ss a quarter frame after K1: seeking
 * to K1 itself can round to just before it and start a GOP early. Its input
 * reads a second past where the copied frames end (-t, a bound only: -frames:v ends the
 * copy), so it cannot read on through the source while the other parts of
 * its ffmpeg finish.
 */
export function copyPart(info: VideoStreamInfo, plan: { keyframeSec: number; copiedFrames: number; untilSec: number }, out: string): Pick<SmartPart, "input" | "output"> {
  return {
    input: ["-ss", (plan.keyframeSec + 0.25 / info.fps).toFixed(6), "-t", (plan.untilSec - plan.keyframeSec + 1).toFixed(6)],
    output: ["-an", "-sn", "-dn", "-frames:v", String(plan.copiedFrames), "-c:v", "copy", "-f", "mpegts", out],
  };
}

/**
 * Re-encodes the tail [K2, END) to MPEG-TS. The demuxer seeks to the last
 * keyframe at or before -ss, so a quarter frame after K2 lands on K2 in any
 * time base; accurate seeking would then drop K2 itself (it is before -ss),
 * hence -noaccurate_seek: with a closed GOP at K2 (planSmartCut checks) the
 * first frame decoded is K2. This also differs from how checkSmartClip
 * fetches its reference frame, so the check does not share a seek mistake.
 */
export function tailPart(info: VideoStreamInfo, tail: { keyframeSec: number; frames: number }, out: string): Pick<SmartPart, "input" | "output"> {
  return {
    input: ["-noaccurate_seek", "-ss", (tail.keyframeSec + 0.25 / info.fps).toFixed(6)],
    output: ["-an", "-sn", "-dn", "-frames:v", String(tail.frames), ...matchingEncoderArgs(info), "-fps_mode", "passthrough", "-f", "mpegts", out],
  };
}

/** Where a smart clip's audio is copied from: a file, and the options before its -i that seek to START. */
export interface AudioSource {
  input: string;
  seek: string[];
}

/**
 * Joins the parts with the concat demuxer (-c copy) and copies the audio of
 * [START, END) beside them. Copied, not re-encoded: ffmpeg's AAC encoder cost
 * 0.45 s of CPU per 12 s of stereo here, a third of a smart cut's own work.
 * A copied AAC track starts on a packet boundary, at most one AAC frame
 * (~21 ms) before START; checkSmartClip allows exactly that.
 */
export function muxArgs(req: CutRequest, list: string, audio: AudioSource | null): string[] {
  const args = [...FFMPEG_QUIET, "-f", "concat", "-safe", "0", "-i", list];
  if (audio) args.push(...audio.seek, "-t", req.duration.toFixed(6), ...mediaInputOptions(audio.input), "-i", audio.input);
  args.push("-map", "0:v:0", "-c:v", "copy");
  if (audio) args.push("-map", "1:a:0?", "-c:a", "copy");
  args.push("-movflags", "+faststart", req.output.startsWith("-") ? `./${req.output}` : req.output);
  return args;
}

/**
 * A concat-demuxer list. Every part but the last gets its duration: the
 * demuxer then starts the next part exactly there rather than where it
 * estimates the previous one ends from its MPEG-TS timestamps.
 */
export function concatList(parts: ReadonlyArray<{ file: string; durationSec?: number }>): string {
  return parts
    .map((p) => `file '${p.file.replace(/'/g, "'\\''")}'\n${p.durationSec !== undefined ? `duration ${p.durationSec.toFixed(6)}\n` : ""}`)
    .join("");
}
