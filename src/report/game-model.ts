import { camerasForAngle } from "../domain/angles.js";
import { gamePrefix } from "../domain/layout.js";
import { CAMERAS, type ClipRecord, type GameManifest, type PlayAngle } from "../domain/types.js";
import type { ClipThumbnails } from "./thumbnails.js";

export type Side = "training" | "validation";

export interface ClipView {
  record: ClipRecord;
  /** The clip file relative to the report's folder, for a link that works from disk. */
  href: string;
  /** Null for a failed clip, which has no file to take frames from. */
  thumbs: ClipThumbnails | null;
}

export interface PlayView {
  id: string;
  start: number;
  end: number;
  angle: PlayAngle | null;
  playType: string | null;
  label: string | null;
  side: Side | null;
  clips: ClipView[];
}

export interface GameView {
  manifest: GameManifest;
  /** Sorted by start time, then id. */
  plays: PlayView[];
  /** Distinct play types with their play counts, most common first; "" stands for none. */
  playTypes: Array<{ value: string; plays: number }>;
  cameras: string[];
}

/**
 * Everything the game page shows, from the manifest and the thumbnails. Plays
 * come from the manifest's play list; a manifest written before it existed
 * still yields a row per play, from its clips, without type or label.
 */
export function gameView(manifest: GameManifest, thumbs: ReadonlyMap<string, ClipThumbnails>): GameView {
  const clipsByPlay = new Map<string, ClipRecord[]>();
  for (const clip of manifest.clips) {
    const list = clipsByPlay.get(clip.playId) ?? [];
    list.push(clip);
    clipsByPlay.set(clip.playId, list);
  }
  const rows = new Map<string, Omit<PlayView, "side" | "clips">>();
  for (const play of manifest.plays ?? []) rows.set(play.id, play);
  for (const [playId, clips] of clipsByPlay) {
    if (rows.has(playId)) continue;
    const first = clips[0];
    const start = first?.requestedStart ?? 0;
    rows.set(playId, { id: playId, start, end: start + (first?.requestedDuration ?? 0), angle: null, playType: null, label: null });
  }
  const prefix = gamePrefix(manifest.gameId);
  const plays: PlayView[] = [...rows.values()].map((play) => ({
    ...play,
    side: manifest.assignments[play.id] ?? null,
    clips: orderCameras(play.angle, clipsByPlay.get(play.id) ?? []).map((record) => ({
      record,
      href: record.key.startsWith(prefix) ? `../${record.key.slice(prefix.length)}` : record.key,
      thumbs: record.status === "ok" ? (thumbs.get(record.key) ?? null) : null,
    })),
  }));
  plays.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

  const typeCounts = new Map<string, number>();
  for (const play of plays) typeCounts.set(play.playType ?? "", (typeCounts.get(play.playType ?? "") ?? 0) + 1);
  const playTypes = [...typeCounts]
    .map(([value, n]) => ({ value, plays: n }))
    .sort((a, b) => b.plays - a.plays || (a.value < b.value ? -1 : 1));
  const cameras = CAMERAS.filter((camera) => manifest.clips.some((clip) => clip.camera === camera));
  return { manifest, plays, playTypes, cameras };
}

/** The play's cameras in the order the plan pairs them (far side first), others after. */
function orderCameras(angle: PlayAngle | null, clips: readonly ClipRecord[]): ClipRecord[] {
  const order: readonly string[] = angle ? [...camerasForAngle(angle), ...CAMERAS] : CAMERAS;
  return [...clips].sort((a, b) => order.indexOf(a.camera) - order.indexOf(b.camera));
}
