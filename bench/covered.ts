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
  const { stdout } = await runMediaTool(tools.ffprobe, ["-v", "error", "-show_entries", "packet=codec_type,pts_time,size,flags",
    "-of", "csv=p=0", file], { timeoutMs: 600_000 });
  // csv lines: codec_type,pts_time,size,flags
  const packets: Packet[] = [];
  for (const line of stdout.split("\n")) {
    const [type, t, size, flags] = line.split(",");
    if (!type || t === undefined || t === "N/A") continue;
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
