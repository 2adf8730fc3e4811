import { datasetJsonl, renderTemplate, templateFields, type DatasetClip } from "../domain/jsonl.js";
import type { GameLayout } from "../domain/layout.js";
import { camerasForAngle } from "../domain/angles.js";
import { estimateTokens, exampleProblems } from "../domain/vertex-limits.js";
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
  /** Lines that break a Vertex AI tuning limit: warnings, since a game's files are not the tuning input. */
  warnings: string[];
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
  const warnings: string[] = [];
  for (const clip of clips) {
    const play = byId.get(clip.playId);
    const side = sides.get(clip.playId);
    if (clip.status !== "ok" || !play || !side) continue;
    const entry: DatasetClip = { play, camera: clip.camera, uri: output.uri(clip.key), offsets: clip.videoOffsets ?? null };
    bySide[side].push(entry);
    warnings.push(...lineWarnings(settings, clip, entry));
  }
  const order = (a: DatasetClip, b: DatasetClip): number =>
    a.play.start - b.play.start || cmp(a.play.id, b.play.id) || cmp(a.camera, b.camera);
  bySide.training.sort(order);
  bySide.validation.sort(order);
  return {
    assignments: Object.fromEntries(sides),
    training: datasetJsonl(bySide.training, settings.format, settings.templates, settings.mediaResolution),
    validation: datasetJsonl(bySide.validation, settings.format, settings.templates, settings.mediaResolution),
    trainingLines: bySide.training.length,
    validationLines: bySide.validation.length,
    warnings: [...(clips.some((c) => c.status === "ok") && !output.uri("x").startsWith("gs://") ? [LOCAL_WARNING] : []), ...warnings],
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

const LOCAL_WARNING = "clip URIs are not gs://: Vertex AI cannot read these lines (fine for trying things out; `playclips dataset build --allow-local` accepts them)";

/** The same per-line checks `dataset build` makes (docs/vertex-limits.md), at the media resolution the lines carry. */
function lineWarnings(settings: DatasetSettings, clip: ClipRecord, entry: DatasetClip): string[] {
  const resolution = settings.mediaResolution ?? "low";
  const fields = templateFields(entry.play, entry.camera);
  const text = renderTemplate(settings.templates.prompt, fields) + renderTemplate(settings.templates.label, fields);
  const seconds = clip.actualDuration ?? clip.requestedDuration;
  const seen = entry.offsets ? entry.offsets.end - entry.offsets.start : seconds;
  const problems = exampleProblems({ bytes: clip.bytes ?? 0, seconds, tokens: estimateTokens(seen, resolution, text) }, resolution);
  return problems.map((p) => `${clip.key}: ${p}`);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the game's two JSONL files are, as the manifest and the result name them. */
export function datasetUris(output: Pick<ObjectStore, "uri">, layout: GameLayout): { training: string; validation: string } {
  return { training: output.uri(layout.training), validation: output.uri(layout.validation) };
}
