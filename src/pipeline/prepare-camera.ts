import type { VideoStreamInfo } from "../extraction/ffprobe-json.js";
import type { CameraReads, ClipSpan, CutModeStrategy } from "../extraction/modes/mode.js";
import type { MediaTools } from "../extraction/tools.js";

/** Fewer clips than this per read are not worth one more parse of the camera's index (~0.25 s of CPU at 4 h). */
export const MIN_SPANS_PER_READ = 8;

export interface PrepareOptions {
  /** How many ffprobes may read at once: 1 for a local file, whose read is CPU, not waiting. */
  lanes: number;
  /** Runs one read where the memory gate has room for it. */
  probing: <T>(task: () => Promise<T>) => Promise<T>;
  timeoutMs: number;
}

/**
 * A mode's once-per-camera read (prepareCamera) over the bucket, split into
 * up to `lanes` reads of consecutive clips, at once. The read seeks to every
 * clip's START (and smart's excerpt ends), and each seek waits for a block
 * from the store: at 4 h with 50 clips a camera and 40 ms first-byte latency
 * one ffprobe took 9.4 s for 0.3 s of CPU, while the clip pool, waiting for
 * its packets, idled. A read that fails costs only speed, as before: its
 * clips find their keyframes themselves.
 */
export async function prepareCameraReads(mode: CutModeStrategy, tools: MediaTools, input: string, stream: VideoStreamInfo,
  spans: readonly ClipSpan[], options: PrepareOptions): Promise<CameraReads> {
  const groups = consecutiveGroups(spans, Math.max(1, Math.min(options.lanes, Math.floor(spans.length / MIN_SPANS_PER_READ))));
  const reads = await Promise.all(groups.map((group) =>
    options.probing(() => mode.prepareCamera(tools, input, stream, group, options.timeoutMs)).catch((): CameraReads => ({}))));
  const packets = reads.flatMap((read) => read.packets ?? []);
  return packets.length > 0 ? { packets } : {};
}

/** `spans` by START, cut into `count` runs of (nearly) equal length. */
export function consecutiveGroups(spans: readonly ClipSpan[], count: number): ClipSpan[][] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const size = Math.ceil(sorted.length / count);
  const groups: ClipSpan[][] = [];
  for (let i = 0; i < sorted.length; i += size) groups.push(sorted.slice(i, i + size));
  return groups;
}
