import type { ClipMemoryShape } from "../extraction/modes/mode.js";

/**
 * Temp disk the clips in flight may fill when the settings do not say
 * (`--temp-mb`), in MiB: their outputs waiting for upload and smart's
 * excerpts. Two 30 s exact clips of the original's ultrafast CRF 23 at 1080p
 * are ~100 MB; the original design kept a whole 9 GB camera in temp. On
 * Cloud Run /tmp is memory, so this is memory there too.
 */
export const DEFAULT_TEMP_MB = 80;

// A clip's measured size is a sample: the next one may be a little denser.
const LEARNED_MARGIN = 1.1;

/**
 * What one camera's clips leave in temp, estimated from the source's bytes
 * per second: before any clip of the camera is done, by the mode's prior
 * (`outputPerSourceByte`); after, by the largest ratio its clips have shown,
 * so a camera whose re-encoded clips come out smaller than the prior (a
 * high-bitrate source) is not held back by it, nor one whose come out larger
 * let through.
 */
export interface ClipTempEstimate {
  /** Bytes to reserve for a clip of [start, end) seconds. */
  bytes(spanSec: number): number;
  /** A finished clip: its size against the span it covers. */
  learn(spanSec: number, outputBytes: number): void;
}

export function clipTempEstimate(shape: Pick<ClipMemoryShape, "outputPerSourceByte" | "tempBesideOutput">, sourceBytes: number, sourceSec: number): ClipTempEstimate {
  const perSec = sourceSec > 0 && sourceBytes > 0 ? sourceBytes / sourceSec : 0;
  let ratio = shape.outputPerSourceByte;
  let learned = false;
  return {
    bytes: (spanSec) => Math.round(Math.max(0, spanSec) * perSec * (ratio + shape.tempBesideOutput)),
    learn(spanSec, outputBytes) {
      if (!(spanSec > 0) || !(perSec > 0) || !(outputBytes > 0)) return;
      const seen = (outputBytes / (spanSec * perSec)) * LEARNED_MARGIN;
      ratio = learned ? Math.max(ratio, seen) : seen;
      learned = true;
    },
  };
}
