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
 * The source a clip's temp files cover: its span, plus its lead-in, the
 * seconds from the keyframe at or before START (copy's clip and smart's
 * excerpt both start there; 0 for a mode that reads no keyframes).
 */
export interface ClipSpanSec {
  spanSec: number;
  leadSec: number;
}

/**
 * What one camera's clips leave in temp, estimated from the source's bytes
 * per second: before any clip of the camera is done, by the mode's prior
 * (`outputPerSourceByte`); after, by the largest ratio its clips have shown,
 * so a camera whose re-encoded clips come out smaller than the prior (a
 * high-bitrate source) is not held back by it, nor one whose come out larger
 * let through. What a mode keeps beside its output (smart's excerpt) covers
 * the lead-in and `besidePastEndSec` as well: at 4 h smart's excerpts of 8 s
 * clips ran up to half again past their span, and two at once filled 87 MiB
 * of an 80 MiB budget when only the span was counted.
 */
export interface ClipTempEstimate {
  /** Bytes to reserve for a clip. */
  bytes(clip: ClipSpanSec): number;
  /** A finished clip: its size against the source it covers. */
  learn(clip: ClipSpanSec, outputBytes: number): void;
}

type TempShape = Pick<ClipMemoryShape, "outputPerSourceByte" | "tempBesideOutput" | "besidePastEndSec">;

export function clipTempEstimate(shape: TempShape, sourceBytes: number, sourceSec: number): ClipTempEstimate {
  const perSec = sourceSec > 0 && sourceBytes > 0 ? sourceBytes / sourceSec : 0;
  // Output is counted over the lead-in too: copy's clip holds it, and for the others it errs on the safe side.
  const covered = ({ spanSec, leadSec }: ClipSpanSec): number => Math.max(0, spanSec) + Math.max(0, leadSec);
  let ratio = shape.outputPerSourceByte;
  let learned = false;
  return {
    bytes(clip) {
      const beside = shape.tempBesideOutput > 0 ? shape.tempBesideOutput * (covered(clip) + (shape.besidePastEndSec ?? 0)) : 0;
      return Math.round(perSec * (ratio * covered(clip) + beside));
    },
    learn(clip, outputBytes) {
      const sec = covered(clip);
      if (!(sec > 0) || !(perSec > 0) || !(outputBytes > 0)) return;
      const seen = (outputBytes / (sec * perSec)) * LEARNED_MARGIN;
      ratio = learned ? Math.max(ratio, seen) : seen;
      learned = true;
    },
  };
}
