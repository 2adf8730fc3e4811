import type { CutRequest } from "../cut.js";
import type { MediaInfo, VideoStreamInfo } from "../ffprobe-json.js";
import type { VideoPacket } from "../keyframes.js";
import type { VerifyDepth } from "../smart-check.js";
import type { MediaTools } from "../tools.js";
import { verifyClip, type ClipCheck } from "../verify.js";

/** What every mode may be asked to do beyond cutting [START, START + DUR). */
export interface ScaleOptions {
  /** Scale down to at most this height, keeping the aspect ratio (needs every frame re-encoded). */
  maxHeight?: number;
  /** Drop frames down to at most this rate (needs every frame re-encoded). */
  maxFps?: number;
  /** How much of a spliced clip its check decodes: "seams" (default) or "full" (every frame). */
  verify?: VerifyDepth;
}

/** A clip's START and END, seconds from the source's first timestamp. */
export interface ClipSpan {
  start: number;
  end: number;
}

/** What a camera's clips share, read once per camera by `prepareCamera`. */
export interface CameraReads {
  /** The source's video stream, when the mode needs codec details. */
  stream?: VideoStreamInfo;
  /** Packets around every clip's START (copy: the keyframe before each; smart: and past each END). */
  packets?: readonly VideoPacket[];
  /**
   * Tells the source's reader that one process is about to read the bytes
   * [fromByte, toByte] in order, so it fetches them ahead in parallel
   * (ServedObject.expectRead); call the result when the process is done.
   * Only for a source read over ranged requests.
   */
  expectRead?: (fromByte: number, toByte: number) => () => void;
}

export interface ModeCutRequest extends CutRequest, ScaleOptions, CameraReads {}

export interface CutClipResult {
  /** The mode that produced the file: smart falls back to exact when it cannot splice safely. */
  mode: string;
  /** Seconds from the source's first timestamp where the clip's first frame is. START, except for copy. */
  actualStart: number;
  /** START - actualStart: how far into the clip the play starts. 0 except for copy. */
  offset: number;
  fallbackReason?: string;
  /** Smart: frames re-encoded, before the first copied keyframe plus after the last copied frame. */
  reencodedFrames?: number;
  /** Copy: the play's START and END on the clip file's own timeline (Gemini's videoMetadata offsets). */
  videoOffsets?: { start: number; end: number };
  /** The finished clip's headers, when the mode's own check already probed it: verify then starts no ffprobe. */
  probed?: MediaInfo;
}

/** The clip to check against its play. */
export interface ClipExpectation {
  file: string;
  /** The play's duration. */
  duration: number;
  toleranceSec: number;
  /** The source's stream (codec details), when probed. */
  stream?: VideoStreamInfo;
  /** The source's frame rate from its probe. */
  fps: number;
}

/** How one clip's ffmpeg processes use memory (clipMemoryBytes in src/pipeline/clip-memory.ts). */
export interface ClipMemoryShape {
  /** Whether it runs libx264 on the source's frames. */
  encodes: boolean;
  /** Inputs of the source one of its processes opens at once (each parses the whole index). */
  sourceInputs: number;
  /** Its encoder reads a small local excerpt, never the source: the index and the encoder are not in one process. */
  encodesExcerpt?: boolean;
  /**
   * Its clip's size per byte of the source span it covers, until clips of the
   * camera have shown theirs (clipTempBytes): what the temp gate reserves.
   */
  outputPerSourceByte: number;
  /** Source-span bytes it keeps in temp beside its clip (smart's excerpt: 1), lead-in included. */
  tempBesideOutput: number;
  /** How far past END what it keeps beside its clip runs, in seconds (smart's excerpt: EXCERPT_PAST_END_SEC). */
  besidePastEndSec?: number;
}

/**
 * Everything one cut mode means, in one object: adding a mode is one file in
 * this folder and one line in registry.ts. Nothing outside this folder
 * compares a mode's name.
 */
export interface CutModeStrategy {
  readonly name: string;
  /** One line for --help: what the mode gives up and gains. */
  readonly summary: string;
  /** Clips cut at once when the user does not say, on this many cores. */
  concurrency(cores: number): number;
  /** What its clips' processes hold in memory, for the memory gate. */
  readonly memory: ClipMemoryShape;
  /** Why this mode cannot honour the options (a sentence), or null. The settings check it before any run; `cut` refuses them too. */
  refuses(options: ScaleOptions): string | null;
  /** How it reads the source: whether its cuts need the stream's codec details probed once per camera. */
  needsStream(options: ScaleOptions): boolean;
  /** Reads once per camera what every clip's cut would otherwise read itself. A failure costs only speed. */
  prepareCamera(tools: MediaTools, input: string, stream: VideoStreamInfo, clips: readonly ClipSpan[], timeoutMs: number): Promise<CameraReads>;
  /** The modes of an earlier run's clip that a rerun in this mode may keep instead of cutting again. */
  reuses: readonly string[];
  cut(tools: MediaTools, req: ModeCutRequest): Promise<CutClipResult>;
  /** Checks the cut clip before it is published; never throws for a bad clip. */
  verify(tools: MediaTools, made: CutClipResult, expected: ClipExpectation): Promise<ClipCheck>;
}

/** The check every mode's clip passes: a playable video as long as its play (plus a copy's lead-in and slack). */
export function verifyDuration(tools: MediaTools, made: CutClipResult, expected: ClipExpectation, endSlackSec = 0): Promise<ClipCheck> {
  return verifyClip(tools, expected.file, { duration: expected.duration + made.offset, toleranceSec: expected.toleranceSec + endSlackSec }, made.probed);
}

/** For modes that read nothing per camera beyond the probe. */
export const NOTHING_TO_PREPARE = async (): Promise<CameraReads> => ({});
