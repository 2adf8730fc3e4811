import { open } from "node:fs/promises";
import type { MediaInfo, VideoStreamInfo } from "../extraction/ffprobe-json.js";
import type { ClipMemoryShape } from "../extraction/modes/mode.js";
import { findMoov } from "../extraction/range/mp4-index.js";
import type { OpenedVideo } from "./source-video.js";

// MiB, as every figure below was measured (a maxrss in KiB, the bench's
// /proc VmRSS in KiB) and as --memory-mb counts: at 1e6 each clip was
// under-counted by 5 % and copy fit three clips in 500 MiB at 4 h (524 MiB).
const MB = 2 ** 20;

/**
 * What a run may use when the settings do not say (`--memory-mb`): the
 * process plus the ffmpeg processes of its clips in flight, in MiB. Issue
 * 13's bound for 1080p from 4 h cameras.
 */
export const DEFAULT_MEMORY_MB = 500;

/**
 * Measured 2026-11-29 (ffmpeg 5.1, Debian, 1080p30 H.264 + AAC, `maxrss`):
 * a copy with its decode check from a 2-min camera 83 MB; from a 4 h one
 * 118 MB; an exact cut (one thread) from the 4 h one 153 MB. So ~80 MB per
 * process (half of it shared libraries, which a sum of RSS counts per
 * process), ~31 bytes of demuxer index per sample (1.1 M samples in 4 h of
 * video and audio: 35 MB), ~18 bytes per pixel for the libx264 encoder.
 * Re-measured 2026-12-07 over ranged reads at 4 h, at the runs' peaks: an
 * exact cut's ffmpeg 150 MB, a copy's 115 MB. The clip's check runs inside its slot, after its
 * cut, so the base needs no room for a second process (it was 120 MB when
 * the check's ffprobe outlived the slot; exact's estimate of 192 MB then
 * kept two 1-thread encodes from ever running at once within 500 MB).
 * 2026-12-07 again: 80 MiB and 32 bytes a sample put copy at 113.8 against
 * the 115-116 measured, and the worker's own RSS rose 2-3 MiB per clip
 * after admitting it (its pipes and output buffers): three copies fit by the
 * estimate and peaked at 498-501 MiB. So 82 MiB (the worker's share counted
 * with its clip) and 34 bytes a sample: copy 117.9, exact 153.5 MiB at 4 h.
 */
const PROCESS_BYTES = 82 * MB;
// Smart's processes run one after another in its slot, the largest a 1-thread
// head encode from the excerpt: at most 145.1 MB at 1080p over 200 clips
// (its exact fallback from the 4 h camera 154.7 MB, 2 clips in 200).
const EXCERPT_PROCESS_BYTES = 112 * MB;
const PROBE_PROCESS_BYTES = 64 * MB;
const INDEX_BYTES_PER_SAMPLE = 34;
const ENCODER_BYTES_PER_PIXEL = 18;
// AAC at 48 kHz: one sample (packet) per 1024 audio samples.
const AUDIO_PACKETS_PER_SEC = 48_000 / 1024;

/**
 * The most memory one clip of this source holds at once, as a sum of RSS
 * over its processes: what the memory gate admits clips by. A 4 h 1080p
 * camera: copy ~118 MiB, exact ~153.5 MiB, smart ~148 MiB (its excerpt's copy, then encodes from the excerpt).
 */
/** What the estimate reads of a probe. */
export type MediaSize = Pick<MediaInfo, "duration" | "audio"> & { video: Pick<VideoStreamInfo, "width" | "height" | "fps"> | null };

export function clipMemoryBytes(shape: Pick<ClipMemoryShape, "encodes" | "sourceInputs" | "encodesExcerpt">, media: MediaSize): number {
  const fps = media.video?.fps ?? 30;
  const samples = media.duration * (fps + (media.audio ? AUDIO_PACKETS_PER_SEC : 0));
  const pixels = (media.video?.width ?? 1920) * (media.video?.height ?? 1080);
  const index = Math.max(0, samples) * INDEX_BYTES_PER_SAMPLE * shape.sourceInputs;
  const encoder = shape.encodes ? pixels * ENCODER_BYTES_PER_PIXEL : 0;
  return Math.round(shape.encodesExcerpt ? EXCERPT_PROCESS_BYTES + Math.max(index, encoder) : PROCESS_BYTES + index + encoder);
}

/** What each codec thread past the first adds to a clip: ~36 MB measured for a 1080p libx264 encode. */
export function threadMemoryBytes(media: MediaSize): number {
  return (media.video?.width ?? 1920) * (media.video?.height ?? 1080) * ENCODER_BYTES_PER_PIXEL;
}

/**
 * Memory of an ffprobe reading a camera before its duration is known (its
 * probe, the shared keyframe read): by the size of its mp4 index.
 * Measured: ffprobe of a 2-min 1080p camera 60 MB, of the 4 h one (moov
 * 19.2 MB) 111 MB locally and at most 115.5 MB over ranged reads (200-clip
 * run), so ~2.7 bytes per moov byte, rounded up to 3, on a 64 MB process:
 * 122 MB at 4 h. Not PROCESS_BYTES: no clip's ffprobe follows it, and with
 * 120 MB the camera's read (178 MB) fit beside no running clip.
 */
export async function probeMemoryBytes(opened: OpenedVideo): Promise<number> {
  return PROBE_PROCESS_BYTES + 3 * (await indexBytes(opened));
}

// The range cache found the moov already; a file is walked here (a few reads of box headers).
async function indexBytes(opened: OpenedVideo): Promise<number> {
  if (opened.indexBytes) return opened.indexBytes();
  const file = await open(opened.input).catch(() => null);
  if (!file) return 0;
  try {
    const { size } = await file.stat();
    const readAt = async (offset: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    };
    const moov = await findMoov(readAt, size).catch(() => null);
    return moov ? moov.end - moov.start + 1 : 0;
  } finally {
    await file.close();
  }
}
