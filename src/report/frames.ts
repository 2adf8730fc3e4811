import type { ClipRecord } from "../domain/types.js";

/** Which moment of a clip a thumbnail shows. */
export type FrameKind = "first" | "start" | "middle" | "last";

export interface FramePlan {
  kind: FrameKind;
  /** Seconds from the clip's first frame. */
  time: number;
}

/** Thumbnails are this many pixels high (never upscaled): sharp at 2x on a ~80 px row. */
export const THUMB_HEIGHT = 160;
// Bumped when the look of thumbnails changes, so cached ones are made again.
const THUMB_VERSION = "v1";
// An offset below one frame at 60 fps shows the same picture as the first frame.
const MIN_OFFSET_SEC = 1 / 60;
// The last frame is found by decoding the clip's final stretch and keeping the
// last picture: seeking to the exact end may land past it and yield nothing.
const LAST_FRAME_WINDOW_SEC = 0.5;

/**
 * First, middle and last frame of the clip, plus the frame where the play
 * starts when the clip begins earlier (copy mode's keyframe offset).
 */
export function planFrames(clip: Pick<ClipRecord, "actualDuration" | "requestedDuration" | "offset">): FramePlan[] {
  const duration = clip.actualDuration ?? clip.requestedDuration;
  const frames: FramePlan[] = [{ kind: "first", time: 0 }];
  const offset = clip.offset ?? 0;
  if (offset >= MIN_OFFSET_SEC && offset < duration) frames.push({ kind: "start", time: offset });
  const from = offset >= MIN_OFFSET_SEC && offset < duration ? offset : 0;
  frames.push({ kind: "middle", time: from + (duration - from) / 2 });
  frames.push({ kind: "last", time: duration });
  return frames;
}

/** The thumbnail's file name: the clip's content hash names it, so a changed clip gets new ones. */
export function thumbName(contentHash: string, kind: FrameKind): string {
  return `${contentHash}-${THUMB_VERSION}-${THUMB_HEIGHT}-${kind}.jpg`;
}

/**
 * One ffmpeg run that writes every frame of the plan: each frame is its own
 * input seeked to its time (input seeking decodes from the nearest keyframe,
 * so each costs at most a GOP), mapped to its own JPEG.
 */
export function thumbnailArgs(input: string, frames: readonly FramePlan[], outputs: readonly string[], duration: number): string[] {
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-y"];
  for (const frame of frames) {
    const at = frame.kind === "last" ? Math.max(0, duration - LAST_FRAME_WINDOW_SEC) : frame.time;
    args.push("-ss", at.toFixed(3), "-i", input);
  }
  const scale = `scale=-2:'min(${THUMB_HEIGHT},ih)'`;
  frames.forEach((frame, i) => {
    const output = outputs[i];
    if (output === undefined) throw new RangeError(`no output file for frame ${i}`);
    // "last" keeps overwriting its file until the input ends: the final picture stays.
    const count = frame.kind === "last" ? ["-update", "1"] : ["-frames:v", "1"];
    args.push("-map", `${i}:v:0`, "-vf", scale, ...count, "-q:v", "5", "-f", "image2", output);
  });
  return args;
}
