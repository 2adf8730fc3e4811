import { keyframeAtOrBefore, type VideoPacket } from "./keyframes.js";
import type { CameraReads } from "./modes/mode.js";

/**
 * Where in the file a read of [start, endSec] begins and ends, from packets
 * read around both (the camera's shared packet read): the keyframe at or
 * before `start` and the last packet around `endSec`. Audio is interleaved
 * beside the video within a chunk or so; ffmpeg reads whatever it needs
 * anyway, this only says what to fetch ahead. Null when the read did not
 * reach both.
 */
export function readSpanBytes(packets: readonly VideoPacket[], start: number, endSec: number, fps: number): { from: number; to: number } | null {
  const key = keyframeAtOrBefore(packets, start, fps);
  const around = packets.filter((p) => p.pos !== undefined && Math.abs(p.pts - endSec) <= 2 / fps).map((p) => p.pos as number);
  if (key?.pos === undefined || around.length === 0) return null;
  const to = Math.max(...around);
  return to > key.pos ? { from: key.pos, to } : null;
}

/**
 * Runs `read` (one process reading [start, endSec] of the camera in order)
 * with those bytes announced to the range reader, which then fetches up to
 * 8 blocks ahead inside them at once instead of one block per round trip
 * (ServedObject.expectRead). Without a ranged source or the shared packets
 * it just runs `read`. Smart's excerpt only: exact and copy announcing
 * theirs read more bytes at 4 h (docs/range-reads.md).
 */
export async function withAnnouncedReads<T>(reads: Pick<CameraReads, "packets" | "expectRead">, start: number, endSec: number, fps: number,
  read: () => Promise<T>): Promise<T> {
  const bytes = reads.packets && reads.expectRead ? readSpanBytes(reads.packets, start, endSec, fps) : null;
  const done = bytes && reads.expectRead ? reads.expectRead(bytes.from, bytes.to) : undefined;
  try {
    return await read();
  } finally {
    done?.();
  }
}
