import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { MediaError } from "../domain/errors.js";
import { type CutRequest, validateCutRequest } from "./cut.js";
import { keyframeAtOrBefore, probeVideoStream, readVideoPackets, type VideoPacket, type VideoStreamInfo } from "./keyframes.js";
import { causeText, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";
import { mediaInputOptions } from "./input-options.js";

/** What a caller cutting many clips of one source already read once for all of them. */
export interface KnownSource {
  stream?: VideoStreamInfo;
  /** Packets from readVideoPacketsIn with a range starting at this clip's START (the keyframe before it is among them). */
  packets?: readonly VideoPacket[];
  /** The caller verifies the clip's duration itself (the pipeline's verifyClip): skip the copy's own ffprobe. */
  callerVerifies?: boolean;
}

export interface CopyCutResult {
  /** Where the clip really starts, in seconds from the source's first timestamp: the keyframe at or before START. */
  actualStart: number;
  /** START - actualStart: the clip's extra lead-in; the play starts this far into the clip. */
  offset: number;
}

// A copy clip must be DUR + offset long; a frame of rounding plus an AAC frame
// is normal, more means the copy started somewhere else than computed.
const COPY_DURATION_SLACK_SEC = 0.1;

/**
 * Stream copy, no re-encoding: fast and lossless, but a copied H.264 stream can
 * only start on a keyframe, so the clip starts at the keyframe at or before
 * START and runs to START + DUR. The caller gets the offset to find the play.
 */
export async function cutCopyClip(tools: MediaTools, req: CutRequest, known: KnownSource = {}): Promise<CopyCutResult> {
  validateCutRequest(req);
  const info = known.stream ?? (await probeVideoStream(tools, req.input, req.timeoutMs));
  // From a GOP or two before START: the keyframe at or before START is in it,
  // because -read_intervals seeks to the keyframe before its start.
  // Shared packets count only if their read reached START: one read runs on
  // from its keyframe, so the keyframe before START is then among them.
  const reachesStart = (p: VideoPacket): boolean => Math.abs(p.pts - req.start) < 1 / info.fps;
  const packets = known.packets?.some(reachesStart) ? known.packets : await readVideoPackets(
    tools, req.input, { fromSec: req.start, toSec: req.start + 1, originSec: info.originSec }, req.timeoutMs,
  );
  const keyframe = keyframeAtOrBefore(packets, req.start, info.fps);
  if (!keyframe) throw new MediaError(`cannot copy-cut ${req.input} at ${req.start} s: no keyframe at or before it`);
  const actualStart = Math.max(0, keyframe.pts);
  const offset = Math.max(0, req.start - actualStart);

  await mkdir(dirname(req.output), { recursive: true });
  try {
    await runMediaTool(tools.ffmpeg, copyCutArgs(req), { timeoutMs: req.timeoutMs, signal: req.signal });
    // A copy ends on a decode-order boundary: with B-frames it can hold up to
    // reorderDepth + 1 frames shown after END; it is never shorter.
    const late = (info.reorderDepth > 0 ? info.reorderDepth + 1 : 0) / info.fps;
    if (!known.callerVerifies) await expectDuration(tools, req.output, req.duration + offset, late, req.timeoutMs);
  } catch (error) {
    await rm(req.output, { force: true }).catch(() => undefined);
    throw new MediaError(`copy-cutting ${req.start} s + ${req.duration} s of ${req.input} failed: ${causeText(error)}`, {
      cause: error,
    });
  }
  return { actualStart, offset };
}

/**
 * `-ss` before `-i` with `-c copy` keeps the packets from the keyframe before
 * START (they cannot be dropped without re-encoding); `-t` still ends at
 * START + DUR. make_zero shifts the lead-in's negative timestamps to 0 rather
 * than hiding it behind an edit list, so every player shows the same frames.
 */
export function copyCutArgs(req: Pick<CutRequest, "input" | "start" | "duration" | "output">): string[] {
  return [
    "-hide_banner", "-nostdin", "-v", "error", "-y",
    "-ss", req.start.toFixed(6),
    ...mediaInputOptions(req.input),
    "-i", req.input,
    "-t", req.duration.toFixed(6),
    "-map", "0:v:0", "-map", "0:a:0?",
    "-c", "copy",
    "-avoid_negative_ts", "make_zero",
    "-movflags", "+faststart",
    req.output.startsWith("-") ? `./${req.output}` : req.output,
  ];
}

async function expectDuration(tools: MediaTools, path: string, expected: number, late: number, timeoutMs: number): Promise<void> {
  const args = ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=duration", "-of", "csv=p=0", path];
  const { stdout } = await runMediaTool(tools.ffprobe, args, { timeoutMs });
  const measured = Number(stdout.trim());
  const off = measured - expected;
  if (!Number.isFinite(measured) || off < -COPY_DURATION_SLACK_SEC || off > COPY_DURATION_SLACK_SEC + late) {
    throw new MediaError(`the copied clip's video is ${stdout.trim()} s long, expected ${expected.toFixed(3)} s`);
  }
}
