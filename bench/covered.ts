import { runMediaTool } from "../src/extraction/run.js";
import type { MediaTools } from "../src/extraction/tools.js";

interface Packet {
  t: number;
  size: number;
  key: boolean;
  video: boolean;
}

export interface Covered {
  /** Sum over spans of the bytes of the packets (all streams) whose time lies in [start, end). */
  bytes: number;
  /** Same, but each span widened back to the video keyframe at or before start: what any decoder must read. */
  bytesFromKeyframe: number;
}

/**
 * The source bytes a set of clips covers, from the file's real packets
 * (ffprobe reads the index only, no decoding). Overlapping spans count once
 * per span, as each clip has to read them.
 */
export async function coveredBytes(tools: MediaTools, file: string, spans: ReadonlyArray<{ start: number; end: number }>): Promise<Covered> {
  // Only around the spans (each widened back past its keyframe): a 4 h camera's
  // full packet list would not fit in one ffprobe answer. Intervals overlap, so
  // packets are deduplicated by stream and time.
  const intervals = mergeIntervals(spans.map((s) => ({ start: Math.max(0, s.start - 5), end: s.end + 1 })));
  const { stdout } = await runMediaTool(tools.ffprobe, ["-v", "error", "-read_intervals", intervals.map((i) => `${i.start}%${i.end}`).join(","),
    "-show_entries", "packet=codec_type,pts_time,size,flags", "-of", "csv=p=0", file], { timeoutMs: 600_000 });
  // csv lines: codec_type,pts_time,size,flags
  const seen = new Set<string>();
  const packets: Packet[] = [];
  for (const line of stdout.split("\n")) {
    const [type, t, size, flags] = line.split(",");
    if (!type || t === undefined || t === "N/A" || seen.has(`${type}${t}`)) continue;
    seen.add(`${type}${t}`);
    packets.push({ t: Number(t), size: Number(size), key: (flags ?? "").includes("K"), video: type === "video" });
  }
  packets.sort((a, b) => a.t - b.t);
  const keyframes = packets.filter((p) => p.video && p.key).map((p) => p.t);
  const sum = (from: number, to: number): number => packets.reduce((n, p) => (p.t >= from && p.t < to ? n + p.size : n), 0);
  let bytes = 0;
  let bytesFromKeyframe = 0;
  for (const s of spans) {
    bytes += sum(s.start, s.end);
    const key = keyframes.filter((k) => k <= s.start + 1e-6).pop() ?? 0;
    bytesFromKeyframe += sum(key, s.end);
  }
  return { bytes, bytesFromKeyframe };
}

function mergeIntervals(spans: Array<{ start: number; end: number }>): Array<{ start: number; end: number }> {
  const merged: Array<{ start: number; end: number }> = [];
  for (const s of [...spans].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else merged.push({ ...s });
  }
  return merged;
}
