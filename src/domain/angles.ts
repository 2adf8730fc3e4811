import type { Camera, PlayAngle } from "./types.js";

// A play on the left side is seen best by the far-left camera and the near
// camera on the opposite side, which looks across the court at it.
const CAMERAS_FOR_ANGLE: Record<PlayAngle, readonly [Camera, Camera]> = {
  LEFT: ["FAR_LEFT", "NEAR_RIGHT"],
  RIGHT: ["FAR_RIGHT", "NEAR_LEFT"],
};

export function camerasForAngle(angle: PlayAngle): readonly [Camera, Camera] {
  return CAMERAS_FOR_ANGLE[angle];
}
