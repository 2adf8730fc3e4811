import type { VideoStreamInfo } from "./ffprobe-json.js";
import { mediaInputOptions } from "./input-options.js";
import { FFMPEG_QUIET, ONE_THREAD, codecThreads, runMediaTool, type RunOptions } from "./run.js";
import type { SmartPart } from "./cut-smart.js";

/** A source frame the check compares with clip frame `n`: the first frame that accurate seeking to `seekSec` keeps. */
export interface ReferenceSeek {
  n: number;
  seekSec: number;
}

/**
 * One ffmpeg process of a smart cut: the parts it writes, and the check's
 * reference frames it writes beside them, raw gray, to fd 3, 4, ….
 */
export interface SmartStep {
  args: string[];
  /** For each extra pipe, in fd order, the indices (into the references list) of the frames it carries, in order. */
  pipes: number[][];
}

const GRAY = ["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray"];
const selectFrames = (picks: readonly number[]): string => `select=${picks.map((n) => `eq(n\\,${n})`).join("+")}`;

/**
 * The processes that write a smart clip's parts and the check's references.
 * Two at most, run one after the other (two libx264 encoders at once would
 * raise a clip's peak memory): the head's, which also stream-copies the
 * middle, and the tail's. Every process costs ~0.2 s of CPU here before it
 * does any work (measured, issue 13), and a separate copy process and a
 * references process were two more per clip.
 *
 * References at clip frames 0 … headFrames (START and K1) come out of the
 * head's own decoder, counted in frames from START: the frame headFrames
 * after START is what a frame-accurate cut puts there, whatever the copy's
 * seek found. Any other reference (K2; START without a head) is a second
 * input of that step seeking to it, a method that differs from how the part
 * itself seeks, so the check does not share a seek mistake.
 */
export function smartSteps(source: string, parts: readonly SmartPart[], headFrames: number, refs: readonly ReferenceSeek[], fps: number,
  threads = 1): SmartStep[] {
  const head = parts.find((p) => p.file === "head.ts");
  const tail = parts.find((p) => p.file === "tail.ts");
  const middle = parts.filter((p) => p !== head && p !== tail);
  const fromHead = head ? refs.flatMap((r, i) => (r.n <= headFrames ? [i] : [])) : [];
  const bySeek = refs.flatMap((r, i) => (fromHead.includes(i) ? [] : [i]));
  const seeks = bySeek.map((i) => ({ index: i, seekSec: refs[i]?.seekSec ?? 0 }));
  const decoded = head ? { picks: fromHead.map((i) => refs[i]?.n ?? 0), indices: fromHead } : null;
  // A reference input reads a few frames (-t): unbounded, it would be decoded until the step's last part is done.
  const readSec = fps > 0 ? 3 / fps : 1;
  const steps = [step(source, [...(head ? [head] : []), ...middle], threads, decoded, tail ? [] : seeks, readSec)];
  if (tail) steps.push(step(source, [tail], threads, null, seeks, readSec));
  return steps;
}

/**
 * One process: each part is an input of its own (its seek) and an output;
 * `decoded` picks frames of the first part's decode; each of `seeks` is one
 * more input whose first kept frame is written.
 */
function step(source: string, parts: readonly SmartPart[], threads: number, decoded: { picks: number[]; indices: number[] } | null,
  seeks: ReadonlyArray<{ index: number; seekSec: number }>, readSec: number): SmartStep {
  const args: string[] = [...FFMPEG_QUIET];
  const input = (seek: readonly string[], decoderThreads: readonly string[]): void => {
    args.push(...decoderThreads, ...seek, ...mediaInputOptions(source), "-i", source);
  };
  for (const part of parts) input(part.input, codecThreads(threads));
  for (const s of seeks) input(["-ss", s.seekSec.toFixed(6), "-t", readSec.toFixed(6)], ONE_THREAD);
  const pipes: number[][] = [];
  parts.forEach((part, i) => args.push("-map", `${i}:v:0`, ...codecThreads(threads), ...part.output));
  if (decoded && decoded.picks.length > 0) {
    // The same decoded frames as the head part's output, so -ss's trim counts them from START too.
    args.push("-map", "0:v:0", "-vf", selectFrames(decoded.picks), "-frames:v", String(decoded.picks.length), ...GRAY, `pipe:${3 + pipes.length}`);
    pipes.push(decoded.indices);
  }
  seeks.forEach((s, i) => {
    args.push("-map", `${parts.length + i}:v:0`, "-frames:v", "1", ...GRAY, `pipe:${3 + pipes.length}`);
    pipes.push([s.index]);
  });
  return { args, pipes };
}

/** Runs the steps in order and returns the reference frames, gray, in the references' order (an empty buffer for one ffmpeg did not write). */
export async function runSmartSteps(ffmpeg: string, steps: readonly SmartStep[], info: Pick<VideoStreamInfo, "width" | "height">,
  refCount: number, run: RunOptions): Promise<Buffer[]> {
  const frames: Buffer[] = Array.from({ length: refCount }, () => Buffer.alloc(0));
  const size = info.width * info.height;
  for (const s of steps) {
    const result = await runMediaTool(ffmpeg, s.args, { ...run, extraPipes: s.pipes.length });
    s.pipes.forEach((indices, p) => indices.forEach((index, k) => {
      const bytes = result.extra[p] ?? Buffer.alloc(0);
      if (size > 0 && bytes.length >= (k + 1) * size) frames[index] = bytes.subarray(k * size, (k + 1) * size);
    }));
  }
  return frames;
}
