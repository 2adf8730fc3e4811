import { mkdtemp, readFile, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ONE_THREAD, causeText, runMediaTool } from "./run.js";
import type { FfprobeStream, MediaInfo } from "./ffprobe-json.js";
import { type ClipLayout, layoutProblem, readClipLayout, type SeamWindows, seamWindows } from "./smart-seams.js";
import type { ReferenceSeek } from "./smart-steps.js";
import type { MediaTools } from "./tools.js";
import { mediaInputOptions } from "./input-options.js";

/** "seams" (default): decode the re-encoded parts and the copied GOPs beside them; "full": decode every frame. */
export const VERIFY_DEPTHS = ["seams", "full"] as const;
export type VerifyDepth = (typeof VERIFY_DEPTHS)[number];

export interface SmartClipExpectation {
  clip: string;
  source: string;
  /** Seconds from the source's first timestamp, as for the cut. */
  start: number;
  duration: number;
  fps: number;
  /** The first stream-copied frame: its index in the clip and its time in the source. Omit if nothing was spliced. */
  join?: { frame: number; sourceSec: number };
  /** The first frame of a re-encoded tail: its index in the clip and keyframe K2's time in the source. */
  tailJoin?: { frame: number; sourceSec: number };
  timeoutMs: number;
  signal?: AbortSignal;
  verify?: VerifyDepth;
  /** The source's frames to compare, in referenceSeeks' order, written by the cut's own processes (smart-steps.ts); decoded from `source` when absent. */
  references?: Buffer[];
}

export type SmartClipCheck =
  | {
    ok: true; frames: number; firstFramePsnr: number; joinFramePsnr: number | null; tailJoinPsnr: number | null;
    /** The clip's headers as probeMedia reads them, from the check's own ffprobe. */
    media: MediaInfo | null;
  }
  | { ok: false; reason: string };

// Same threshold as the exact-cut tests: the right frame re-encoded scores ~48
// dB, its neighbours 19-27 dB on testsrc2; a broken splice decodes as garbage.
export const SAME_FRAME_DB = 35;
const AUDIO_DURATION_SLACK_SEC = 0.05;

/** A clip frame to compare with the source frame that -ss `seekSec` decodes first. */
interface Comparison {
  n: number;
  seekSec: number;
  /** How a failure names the clip frame and the source frame. */
  clipFrame: string;
  sourceFrame: string;
}

interface Decoded {
  errors: string;
  /** Frames decoded: all of them for a full decode; NaN for the seams (the layout counts them). */
  frames: number;
  /** The compared clip frames, gray, by frame index. */
  pictures: Map<number, Buffer>;
}

/**
 * Every check a spliced clip must pass before it may be published: it decodes
 * without a single decoder error, has as many frames as the exact cut would
 * (±1), starts on the source frame at START, the frames after each join (the
 * first copied one, the first of a re-encoded tail) are the right ones, and
 * the audio covers the video from its first frame.
 * Never throws for a bad clip; ffmpeg failing to run at all does throw.
 */
export async function checkSmartClip(tools: MediaTools, e: SmartClipExpectation): Promise<SmartClipCheck> {
  const comparisons = comparisonsOf(e);
  const picks = [...new Set(comparisons.map((c) => c.n))].sort((a, b) => a - b);
  let layout: ClipLayout;
  try {
    // Headers and packet times come from the index: no decoding.
    layout = await readClipLayout(tools, e.clip, { timeoutMs: e.timeoutMs, signal: e.signal });
  } catch (error) {
    // A clip too broken to probe is a failed check, not a thrown error.
    return { ok: false, reason: `ffprobe could not read ${e.clip}: ${causeText(error)}` };
  }
  const video = layout.streams.find((s) => s.codec_type === "video");
  const size = (video?.width ?? 0) * (video?.height ?? 0);
  const windows = e.verify === "full" ? null : seamWindows(layout, e.join?.frame ?? 0, e.tailJoin?.frame ?? null);
  const decoded = windows ? await decodeSeams(tools, e, windows, picks, size) : await decodeClip(tools, e, picks, size);
  const expectedFrames = Math.round(e.duration * e.fps);
  const problem = decoded.errors ? `decoding ${e.clip} reported errors: ${decoded.errors.slice(0, 300)}`
    : !video ? `${e.clip} has no video stream`
    : layoutProblem(e.clip, layout, expectedFrames)
      ?? (windows || Math.abs(decoded.frames - expectedFrames) <= 1 ? null : `${e.clip} decodes to ${decoded.frames} frames, an exact cut has ${expectedFrames} (±1)`)
      ?? audioProblem(e, video, layout.streams);
  if (problem) return { ok: false, reason: problem };

  // Only now, after the clip decoded cleanly: the references' decoders beside
  // the clip's would raise the pipeline's peak memory for no CPU saved.
  const references = e.references ?? (await smartReferences(tools, e));
  const dbs = new Map<number, number>();
  for (const [i, c] of comparisons.entries()) {
    // A frame the clip lacks leaves nothing, which psnr scores -Infinity.
    const db = psnr(decoded.pictures.get(c.n) ?? Buffer.alloc(0), references[i] ?? Buffer.alloc(0));
    if (!(db > SAME_FRAME_DB)) {
      return { ok: false, reason: `${e.clip}'s ${c.clipFrame} is not the source frame at ${c.sourceFrame} (${db.toFixed(1)} dB)` };
    }
    dbs.set(c.n, db);
  }
  const dbAt = (join: { frame: number } | undefined): number | null => (join ? (dbs.get(join.frame) ?? null) : null);
  return { ok: true, frames: layout.video.length, firstFramePsnr: dbs.get(0) ?? NaN, joinFramePsnr: dbAt(e.join), tailJoinPsnr: dbAt(e.tailJoin),
    media: "problem" in layout.media ? null : layout.media };
}

/**
 * The source frames checkSmartClip compares the clip's with (START, and the
 * keyframes after each join), in its order, decoded by seeking in the
 * source: when the caller did not bring them (a smart cut's processes write
 * them beside its parts).
 */
function smartReferences(tools: MediaTools, e: SmartClipExpectation): Promise<Buffer[]> {
  return referenceFrames(tools, e, comparisonsOf(e).map((c) => c.seekSec));
}

/** The frames checkSmartClip compares, in its order: clip frame n and the seek that finds its source frame. */
export function referenceSeeks(e: SmartClipExpectation): ReferenceSeek[] {
  return comparisonsOf(e).map((c) => ({ n: c.n, seekSec: c.seekSec }));
}

function comparisonsOf(e: SmartClipExpectation): Comparison[] {
  const list: Comparison[] = [{ n: 0, seekSec: e.start, clipFrame: "first frame", sourceFrame: `${e.start} s` }];
  // A keyframe's reference is sought a microsecond before it: -ss is rounded
  // to the stream's time base, so the demuxer lands on that keyframe and
  // accurate seeking keeps it, a frame or two decoded. A quarter frame before
  // it decodes the whole previous GOP; any time after it drops the keyframe.
  // (In a microsecond time base it lands a GOP early: slower, still right.)
  const atKey = (sec: number): number => Math.max(0, sec - 1e-6);
  if (e.join && e.join.frame > 0) {
    list.push({ n: e.join.frame, seekSec: atKey(e.join.sourceSec), clipFrame: `frame ${e.join.frame}, the first copied one,`,
      sourceFrame: `keyframe ${e.join.sourceSec} s` });
  }
  if (e.tailJoin) {
    list.push({ n: e.tailJoin.frame, seekSec: atKey(e.tailJoin.sourceSec),
      clipFrame: `frame ${e.tailJoin.frame}, the first of the re-encoded tail,`, sourceFrame: `keyframe ${e.tailJoin.sourceSec} s` });
  }
  return list;
}

const GRAY = ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray"];
const selectFrames = (picks: readonly number[]): string => `select=${picks.map((n) => `eq(n\\,${n})`).join("+")}`;

/** Cuts what ffmpeg wrote for `picks` (ascending) into one picture per frame. */
function split(bytes: Buffer, picks: readonly number[], size: number, into = new Map<number, Buffer>()): Map<number, Buffer> {
  picks.forEach((n, i) => size > 0 && bytes.length >= (i + 1) * size && into.set(n, bytes.subarray(i * size, (i + 1) * size)));
  return into;
}

/**
 * `--verify full`: one decode pass of the whole clip does three checks:
 * stderr at -v error holds only decoder errors, -progress reports how many
 * video frames came out, and a second output writes the frames to compare,
 * raw, to fd 3. passthrough keeps the null muxer from dropping or
 * duplicating frames, so the count is the decoded one.
 */
async function decodeClip(tools: MediaTools, e: SmartClipExpectation, picks: readonly number[], size: number): Promise<Decoded> {
  const args = ["-nostdin", "-nostats", "-v", "error", "-progress", "pipe:1", ...ONE_THREAD, "-i", e.clip,
    "-fps_mode:v", "passthrough", "-f", "null", "-", "-map", "0:v:0", "-vf", selectFrames(picks), ...GRAY, "pipe:3"];
  try {
    const r = await runMediaTool(tools.ffmpeg, args, { timeoutMs: e.timeoutMs, signal: e.signal, extraPipes: 1 });
    return { errors: r.stderr.trim(), frames: lastProgressFrames(r.stdout), pictures: split(r.extra[0] ?? Buffer.alloc(0), picks, size) };
  } catch (error) {
    return { errors: `ffmpeg could not decode it: ${String(error)}`, frames: NaN, pictures: new Map() };
  }
}

/**
 * The default: decode only the seams, in one ffmpeg reading the clip twice.
 * Input 0 stops after the first copied GOP (the head and the join), input 1
 * starts at the last copied GOP's keyframe (the tail join and the tail); the
 * copied GOPs between are the source's own and are checked at container
 * level. Any decoder error on stderr fails the clip.
 */
async function decodeSeams(tools: MediaTools, e: SmartClipExpectation, w: SeamWindows, picks: readonly number[], size: number): Promise<Decoded> {
  const headPicks = picks.filter((n) => n !== e.tailJoin?.frame);
  const args = ["-nostdin", "-nostats", "-v", "error",
    ...ONE_THREAD, "-t", w.head.untilSec.toFixed(6), "-i", e.clip, ...ONE_THREAD, "-ss", w.tail.seekSec.toFixed(6), "-i", e.clip,
    "-map", "0:v:0", "-vf", selectFrames(headPicks), ...GRAY, "pipe:3",
    "-map", "1:v:0", ...(w.tail.showsTailJoin ? ["-vf", selectFrames([0]), ...GRAY, "pipe:4"] : ["-f", "null", "-"])];
  try {
    const r = await runMediaTool(tools.ffmpeg, args, { timeoutMs: e.timeoutMs, signal: e.signal, extraPipes: 2 });
    const pictures = split(r.extra[0] ?? Buffer.alloc(0), headPicks, size);
    if (e.tailJoin && w.tail.showsTailJoin) split(r.extra[1] ?? Buffer.alloc(0), [e.tailJoin.frame], size, pictures);
    return { errors: r.stderr.trim(), frames: NaN, pictures };
  } catch (error) {
    return { errors: `ffmpeg could not decode it: ${String(error)}`, frames: NaN, pictures: new Map() };
  }
}

/** The frame count of ffmpeg's last -progress block ("frame=N" … "progress=end"); NaN if there is none. */
function lastProgressFrames(progress: string): number {
  const counts = [...progress.matchAll(/^frame=(\d+)\s*$/gm)];
  const last = counts[counts.length - 1];
  return last ? Number(last[1]) : NaN;
}

/** Why the clip's audio does not cover its video, or null. */
function audioProblem(e: SmartClipExpectation, video: FfprobeStream, streams: readonly FfprobeStream[]): string | null {
  const audio = streams.find((s) => s.codec_type === "audio");
  if (!audio) return null;
  const [vStart, vDur, aStart, aDur] = [video.start_time, video.duration, audio.start_time, audio.duration].map(Number);
  // One AAC frame (1024 samples) is the finest step audio can start on.
  const aacFrame = 1024 / (Number(audio.sample_rate) || 48_000);
  if (!(Math.abs((aDur ?? NaN) - (vDur ?? NaN)) <= AUDIO_DURATION_SLACK_SEC)) {
    return `${e.clip}: audio lasts ${aDur} s, video ${vDur} s (more than 50 ms apart)`;
  }
  if (!(Math.abs((aStart ?? NaN) - (vStart ?? NaN)) <= aacFrame + 0.001)) {
    return `${e.clip}: audio starts at ${aStart} s, video at ${vStart} s (more than one AAC frame)`;
  }
  return null;
}

/**
 * For each seek, the first frame, gray, that accurate input seeking to it
 * keeps (what the exact cut's tests prove right). One ffmpeg opens the source
 * once per seek and writes one frame per output: one process start and one
 * index parse instead of one per frame.
 */
async function referenceFrames(tools: MediaTools, e: SmartClipExpectation, seeks: readonly number[]): Promise<Buffer[]> {
  const dir = await mkdtemp(join(dirname(e.clip), ".refs-"));
  try {
    const files = seeks.map((_, i) => join(dir, `ref${i}.gray`));
    const args = ["-nostdin", "-v", "error", "-y"];
    for (const seek of seeks) args.push(...ONE_THREAD, "-ss", seek.toFixed(6), ...mediaInputOptions(e.source), "-i", e.source);
    files.forEach((file, i) => args.push("-map", `${i}:v:0`, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", file));
    await runMediaTool(tools.ffmpeg, args, { timeoutMs: e.timeoutMs, signal: e.signal });
    return await Promise.all(files.map((file) => readFile(file)));
  } finally {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Peak signal-to-noise ratio of two 8-bit images in dB; Infinity when identical, -Infinity if sizes differ. */
export function psnr(a: Buffer, b: Buffer): number {
  if (a.length !== b.length || a.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}
