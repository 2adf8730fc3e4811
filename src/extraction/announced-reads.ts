import { keyframeAtOrBefore, readPacketsAtStarts, type VideoPacket } from "./keyframes.js";
import type { MediaTools } from "./tools.js";
import type { CameraReads, ClipSpan } from "./modes/mode.js";
import type { VideoStreamInfo } from "./ffprobe-json.js";

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
 * One read per camera of the packets around every clip's START and its end
 * (`pastEndSec` after END), so each clip can announce its bytes: the
 * prepareCamera of smart, whose excerpt is one ffmpeg reading the camera.
 */
export async function readPacketsAroundClips(tools: MediaTools, input: string, stream: VideoStreamInfo,
  clips: readonly ClipSpan[], pastEndSec: number, timeoutMs: number): Promise<CameraReads> {
  return { packets: await readPacketsAtStarts(tools, input, stream, clips.flatMap((c) => [c.start, c.end + pastEndSec]), timeoutMs) };
}

/**
 * Runs `read` (one process reading [start, endSec] of the camera in order)
 * with those bytes announced to the range reader, which then fetches up to
 * 8 blocks ahead inside them at once instead of one block per round trip
 * (ServedObject.expectRead). Without a
 * ranged source or the shared packets it just runs `read`.
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
