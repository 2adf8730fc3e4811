import { mkdir, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { MediaError, ValidationError } from "../../domain/errors.js";
import { type CutRequest, validateCutRequest } from "../cut.js";
import { mediaInputOptions } from "../input-options.js";
import { keyframeBeforeStart, probeVideoStream, readPacketsAtStarts } from "../keyframes.js";
import type { VideoStreamInfo } from "../ffprobe-json.js";
import { clipTimelineOffsets } from "../clip-timeline.js";
import { FFMPEG_QUIET, ONE_THREAD, causeText, runMediaTool } from "../run.js";
import type { MediaTools } from "../tools.js";
import { verifyDuration, type CameraReads, type CutModeStrategy } from "./mode.js";

/**
 * Stream copy from the keyframe at or before START: no re-encoding, so it
 * barely uses CPU and waits on the store, the loopback range server and the
 * upload. One clip per core: its decode check (#9.8) fills a core, and at
 * 2x the cores a 4 h camera ran three at once within the memory gate's
 * estimates and peaked at 498-502 MiB (the worker grows after admitting a
 * clip by more than any estimate saw), over the 500 MiB bound, for a wall
 * time no better than two at once. It cannot scale.
 * Its clips run DUR + offset, plus up to a reorder's worth of frames past END.
 */
export const copyMode: CutModeStrategy = {
  name: "copy",
  summary: "starts on the keyframe before the play (offset recorded), no re-encode",
  concurrency: (cores) => Math.max(1, Math.floor(cores)),
  memory: { encodes: false, sourceInputs: 1, outputPerSourceByte: 1.1, tempBesideOutput: 0 },
  refuses: (o) =>
    o.maxHeight !== undefined || o.maxFps !== undefined
      ? "copy mode cannot scale or drop frames (--max-height/--max-fps): it does not re-encode; use exact or smart"
      : null,
  needsStream: () => true,
  // One ffprobe finds the keyframe before every clip's START, instead of one process (and index parse) per clip.
  prepareCamera: async (tools, input, stream, clips, timeoutMs) => ({
    packets: await readPacketsAtStarts(tools, input, stream, clips.map((c) => c.start), timeoutMs),
  }),
  reuses: ["copy"],
  cut: async (tools, req) => {
    // Also here, not only at the settings' edge: a library caller's options reach this too.
    const refused = copyMode.refuses(req);
    if (refused) throw new ValidationError(refused);
    const made = await cutCopyClip(tools, req, req);
    // The clip holds more than the play: say where the play is, for Gemini's videoMetadata.
    const play = { start: req.start, duration: req.duration, keyframe: made.actualStart };
    return { mode: "copy", ...made, videoOffsets: await clipTimelineOffsets(tools, req.output, play, req.timeoutMs) };
  },
  verify: (tools, made, expected) => verifyDuration(tools, made, expected, copyEndSlackSec(expected.stream, expected.fps)),
};

/**
 * A copy ends on a decode-order boundary: with B-frames it can hold up to
 * reorderDepth + 1 frames shown after END; it is never shorter.
 */
export function copyEndSlackSec(stream: Pick<VideoStreamInfo, "reorderDepth"> | undefined, fps: number): number {
  // Unprobed (never in the pipeline, which probes for copy): assume libx264's usual depth of 2.
  const depth = stream?.reorderDepth ?? 2;
  return (depth > 0 ? depth + 1 : 0) / (fps > 0 ? fps : 25);
}

export interface CopyCutResult {
  /** Where the clip really starts, in seconds from the source's first timestamp: the keyframe at or before START. */
  actualStart: number;
  /** START - actualStart: the clip's extra lead-in; the play starts this far into the clip. */
  offset: number;
}

/**
 * Stream copy, no re-encoding: fast and lossless, but a copied H.264 stream can
 * only start on a keyframe, so the clip starts at the keyframe at or before
 * START and runs to START + DUR. The caller gets the offset to find the play,
 * and checks the clip's length (copyMode.verify).
 */
export async function cutCopyClip(tools: MediaTools, req: CutRequest, known: CameraReads = {}): Promise<CopyCutResult> {
  validateCutRequest(req);
  const info = known.stream ?? (await probeVideoStream(tools, req.input, req.timeoutMs));
  const keyframe = await keyframeBeforeStart(tools, req.input, req.start, info, known.packets, req.timeoutMs);
  if (!keyframe) throw new MediaError(`cannot copy-cut ${req.input} at ${req.start} s: no keyframe at or before it`);
  const actualStart = Math.max(0, keyframe.pts);
  const offset = Math.max(0, req.start - actualStart);

  await mkdir(dirname(req.output), { recursive: true });
  try {
    await runMediaTool(tools.ffmpeg, copyCutArgs(req), { timeoutMs: req.timeoutMs, signal: req.signal });
  } catch (error) {
    await rm(req.output, { force: true }).catch(() => undefined);
    const cause = causeText(error);
    const corrupt = /corrupt decoded frame|error while decoding|invalid data found/i.test(cause) ? "its source bytes do not decode (corrupt video or audio in the copied range): " : "";
    throw new MediaError(`copy-cutting ${req.start} s + ${req.duration} s of ${req.input} failed: ${corrupt}${cause}`, {
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
 *
 * The same process also decodes what it copies (second output, to null):
 * copied bytes are the source's, so corrupt source bytes would be published
 * as they are, and only a decoder sees them (a container-level check cannot:
 * the damage is inside slice data). `-err_detect explode` turns a concealed
 * decoding error into a failed frame and `-xerror` into exit 1 ("corrupt
 * decoded frame"). One decoder thread per clip: the clip pool already keeps
 * the cores busy, and each thread costs memory. No deblocking: it cannot
 * reveal an error and the frames are thrown away. Cost: docs/performance.md.
 */
export function copyCutArgs(req: Pick<CutRequest, "input" | "start" | "duration" | "output">, decodeCheck = true): string[] {
  const duration = req.duration.toFixed(6);
  return [
    ...FFMPEG_QUIET,
    ...(decodeCheck ? ["-xerror", "-err_detect", "explode", ...ONE_THREAD, "-skip_loop_filter", "all"] : []),
    "-ss", req.start.toFixed(6),
    ...mediaInputOptions(req.input),
    "-i", req.input,
    "-t", duration,
    "-map", "0:v:0", "-map", "0:a:0?",
    "-c", "copy",
    "-avoid_negative_ts", "make_zero",
    "-movflags", "+faststart",
    req.output.startsWith("-") ? `./${req.output}` : req.output,
    ...(decodeCheck ? ["-t", duration, "-map", "0:v:0", "-map", "0:a:0?", "-f", "null", "-"] : []),
  ];
}
