import type { VideoStreamInfo } from "./ffprobe-json.js";
import type { VideoPacket } from "./keyframes.js";

/**
 * How a smart cut splits [START, END): the head [START, K1) is re-encoded,
 * frames from K1 are copied, and when copying up to END would pull in frames
 * shown after END, the copy stops at K2 and the tail [K2, END) is re-encoded.
 */
export type SmartPlan =
  | {
      kind: "splice";
      /** K1: the first keyframe at or after START, seconds from the source's first timestamp. */
      keyframeSec: number;
      /** Frames in [START, K1): re-encoded. 0 when START is on a keyframe. */
      headFrames: number;
      /** Frames copied from K1, up to END or up to K2; they are also the packets copied in decode order. */
      copiedFrames: number;
      /** K2, the keyframe the re-encoded tail starts on; null when the copy reaches END. */
      tailKeyframeSec: number | null;
      /** Frames in [K2, END): re-encoded. 0 without a tail. */
      tailFrames: number;
    }
  | { kind: "exact"; reason: string };

// Frame times from ffprobe are rounded to microseconds; anything below a
// frame's length decides which side of START or END a frame is on.
const EPS = 1e-4;
export const X264_PROFILES: Record<string, string> = {
  "Constrained Baseline": "baseline", Baseline: "baseline", Main: "main", High: "high",
};
const SPLICEABLE_PIX_FMTS = new Set(["yuv420p", "yuvj420p"]);

// libx264 with the head's B-frames (-bf: the source's depth, cut-smart.ts)
// gives its output a decode delay only from 3 frames on: 1 or 2 frames come
// out with DTS = PTS (measured, ffmpeg 5.1, -bf 2).
const DELAYED_HEAD_FRAMES = 3;

const at = (sec: number): string => `${sec.toFixed(3)} s`;

/**
 * Decides from packet flags and timestamps alone (nothing decoded) whether
 * [START, END) can be spliced from re-encoded and copied frames, and why not.
 * `packets` must be in decode order and reach past END.
 */
export function planSmartCut(info: VideoStreamInfo, packets: readonly VideoPacket[], start: number, duration: number): SmartPlan {
  const end = start + duration;
  if (info.codec !== "h264") return { kind: "exact", reason: `smart cuts splice H.264 only; the source is ${info.codec}` };
  if (!SPLICEABLE_PIX_FMTS.has(info.pixFmt)) return { kind: "exact", reason: `pixel format ${info.pixFmt} is not spliceable` };
  if (!info.profile || !(info.profile in X264_PROFILES)) {
    return { kind: "exact", reason: `H.264 profile ${info.profile ?? "unknown"} cannot be matched by the encoder` };
  }
  // ffmpeg's exact cut keeps the frames with START <= pts < END.
  const inClip = (p: VideoPacket): boolean => p.pts >= start - EPS && p.pts < end - EPS;
  const clipFrames = packets.filter(inClip);
  const lastPts = Math.max(...packets.map((p) => p.pts));
  if (clipFrames.length === 0 || lastPts < end - 1.5 / info.fps) {
    return { kind: "exact", reason: "the source ends before the clip does" };
  }
  let keyIndex = packets.findIndex((p) => p.key && inClip(p));
  if (keyIndex < 0) return { kind: "exact", reason: "no keyframe between START and END: the whole clip is re-encoded" };
  if (info.reorderDepth > 0) {
    const head = clipFrames.filter((p) => p.pts < (packets[keyIndex] as VideoPacket).pts - EPS).length;
    // A head too short for the encoder's B-frames has no decode delay, and the
    // copied GOPs have the source's: the copied keyframe's DTS would fall on
    // the head's and the muxed track come out short by that delay (issue 13).
    // Such a head is re-encoded on through the next GOP.
    if (head > 0 && head < DELAYED_HEAD_FRAMES) {
      const next = packets.findIndex((p, i) => i > keyIndex && p.key && inClip(p));
      if (next < 0) return { kind: "exact", reason: `a ${head}-frame head before the clip's only keyframe cannot be spliced on a B-frame source` };
      keyIndex = next;
    }
  }
  const keyframe = packets[keyIndex] as VideoPacket;

  const after = packets.slice(keyIndex);
  // Open GOP: a frame decoded after K but shown before it references the GOP before K, which is not copied.
  const leading = after.find((p) => p.pts < keyframe.pts - EPS);
  if (leading) return { kind: "exact", reason: `open GOP: the frame at ${at(leading.pts)} follows keyframe ${at(keyframe.pts)} in decode order` };

  const headFrames = clipFrames.filter((p) => p.pts < keyframe.pts - EPS).length;
  const toEnd = clipFrames.length - headFrames;
  // A copy ends after a whole decode-order prefix; with B-frames the prefix
  // holding every frame before END can hold frames shown after END too.
  let prefix = 0;
  for (let seen = 0; prefix < after.length && seen < toEnd; prefix++) if (inClip(after[prefix] as VideoPacket)) seen++;
  const extra = prefix - toEnd;
  if (extra === 0) return { kind: "splice", keyframeSec: keyframe.pts, headFrames, copiedFrames: toEnd, tailKeyframeSec: null, tailFrames: 0 };

  const reordering = `B-frame reordering at END (copying up to END would add ${extra} frame(s) after it)`;
  const lastKey = clipFrames.filter((p) => p.key).reduce((a, b) => (b.pts > a.pts ? b : a), keyframe);
  if (lastKey === keyframe) {
    return { kind: "exact", reason: `${reordering} and ${at(keyframe.pts)} is the clip's only keyframe: nothing is left to copy` };
  }
  return planTail(packets, keyIndex, packets.indexOf(lastKey), clipFrames, { headFrames, reordering });
}

/**
 * The three-part form: copy [K1, K2) and re-encode [K2, END). The copy is the
 * decode-order run from K1 up to K2, so it must hold exactly the frames shown
 * in [K1, K2); the re-encode decodes from K2, so nothing after K2 may need an
 * earlier frame (a closed GOP).
 */
function planTail(
  packets: readonly VideoPacket[], keyIndex: number, tailIndex: number, clipFrames: readonly VideoPacket[],
  o: { headFrames: number; reordering: string },
): SmartPlan {
  const k1 = (packets[keyIndex] as VideoPacket).pts;
  const k2 = (packets[tailIndex] as VideoPacket).pts;
  const copied = packets.slice(keyIndex, tailIndex);
  const inCopy = (p: VideoPacket): boolean => p.pts >= k1 - EPS && p.pts < k2 - EPS;
  const late = copied.find((p) => !inCopy(p));
  if (late) {
    return { kind: "exact", reason: `${o.reordering}, and the frame at ${at(late.pts)} is decoded before keyframe ${at(k2)} but shown after it` };
  }
  const leading = packets.slice(tailIndex).find((p) => p.pts < k2 - EPS);
  if (leading) {
    return { kind: "exact", reason: `${o.reordering}, and open GOP at ${at(k2)}: the frame at ${at(leading.pts)} follows that keyframe in decode order` };
  }
  if (packets.filter(inCopy).length !== copied.length) {
    return { kind: "exact", reason: `${o.reordering}, and frames shown between ${at(k1)} and ${at(k2)} are decoded outside that run` };
  }
  const tailFrames = clipFrames.filter((p) => p.pts >= k2 - EPS).length;
  return { kind: "splice", keyframeSec: k1, headFrames: o.headFrames, copiedFrames: copied.length, tailKeyframeSec: k2, tailFrames };
}
