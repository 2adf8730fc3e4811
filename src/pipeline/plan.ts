import { camerasForAngle } from "../domain/angles.js";
import type { GameLayout } from "../domain/layout.js";
import { CAMERAS, type Camera, type Play } from "../domain/types.js";

/** One clip to cut: a play seen by one camera. */
export interface PlannedClip {
  play: Play;
  camera: Camera;
  /** Output key of the clip. */
  key: string;
  /** Key of the camera video it is cut from. */
  source: string;
}

/**
 * Groups every clip by the camera video it comes from, so each source is opened
 * once and all of its clips are cut from it (the original's key optimisation).
 * Cameras appear in a fixed order and clips in play start order.
 */
export function planClips(layout: GameLayout, plays: readonly Play[]): Map<Camera, PlannedClip[]> {
  const byCamera = new Map<Camera, PlannedClip[]>();
  for (const camera of CAMERAS) byCamera.set(camera, []);
  const ordered = [...plays].sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
  for (const play of ordered) {
    for (const camera of camerasForAngle(play.angle)) {
      byCamera.get(camera)?.push({
        play,
        camera,
        key: layout.clip(play.id, camera),
        source: layout.video(camera),
      });
    }
  }
  for (const [camera, clips] of byCamera) if (clips.length === 0) byCamera.delete(camera);
  return byCamera;
}
