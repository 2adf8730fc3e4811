import { datasetJsonl, renderTemplate, templateFields, type DatasetClip } from "../domain/jsonl.js";
import type { GameLayout } from "../domain/layout.js";
import { camerasForAngle } from "../domain/angles.js";
import { splitPlays, type SplitSide } from "../domain/split.js";
import type { ClipRecord, Play, PlaySummary } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";
import type { DatasetSettings } from "./parts.js";

export interface DatasetFiles {
  assignments: Record<string, SplitSide>;
  training: string;
  validation: string;
  trainingLines: number;
  validationLines: number;
}

/**
 * Builds both JSONL bodies. The split is over the game's valid plays, not over
 * the clips that happened to succeed, so a transient clip failure never moves
 * a play from one side to the other between runs.
 */
export function buildDataset(
  settings: DatasetSettings, output: Pick<ObjectStore, "uri">, plays: readonly Play[], clips: readonly ClipRecord[],
): DatasetFiles {
  const sides = splitPlays(
    plays.map((p) => p.id),
    settings.split,
  );
  const byId = new Map(plays.map((p) => [p.id, p]));
  const bySide: Record<SplitSide, DatasetClip[]> = { training: [], validation: [] };
  for (const clip of clips) {
    const play = byId.get(clip.playId);
    const side = sides.get(clip.playId);
    if (clip.status !== "ok" || !play || !side) continue;
    bySide[side].push({ play, camera: clip.camera, uri: output.uri(clip.key), offsets: clip.videoOffsets ?? null });
  }
  const order = (a: DatasetClip, b: DatasetClip): number =>
    a.play.start - b.play.start || cmp(a.play.id, b.play.id) || cmp(a.camera, b.camera);
  bySide.training.sort(order);
  bySide.validation.sort(order);
  return {
    assignments: Object.fromEntries(sides),
    training: datasetJsonl(bySide.training, settings.format, settings.templates),
    validation: datasetJsonl(bySide.validation, settings.format, settings.templates),
    trainingLines: bySide.training.length,
    validationLines: bySide.validation.length,
  };
}

/**
 * A play as the manifest records it for reviewers. The label is rendered for
 * the play's first camera: the default template does not name the camera, and
 * one that does differs only in that name.
 */
export function playSummary(settings: DatasetSettings, play: Play): PlaySummary {
  const fields = templateFields(play, camerasForAngle(play.angle)[0]);
  const label = settings.format === "seed" ? null : renderTemplate(settings.templates.label, fields);
  return { id: play.id, angle: play.angle, start: play.start, end: play.end, playType: play.playType, label };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the game's two JSONL files are, as the manifest and the result name them. */
export function datasetUris(output: Pick<ObjectStore, "uri">, layout: GameLayout): { training: string; validation: string } {
  return { training: output.uri(layout.training), validation: output.uri(layout.validation) };
}
