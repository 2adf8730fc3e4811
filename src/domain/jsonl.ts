import { ValidationError } from "./errors.js";
import { geminiTuningLine, type MediaResolution, type VideoOffsets } from "./gemini.js";
import type { Camera, JsonlFormat, Play } from "./types.js";

export const JSONL_FORMATS: readonly JsonlFormat[] = ["gemini", "seed"];

export interface LineTemplates {
  /** The user turn's text; {field} placeholders as in renderTemplate. */
  prompt: string;
  /** The model turn's text (gemini) — the answer the model is tuned to give. */
  label: string;
}

export const DEFAULT_TEMPLATES: LineTemplates = {
  prompt:
    "This clip shows one basketball play filmed by the {camera_label} camera, on the {side} side of the court. " +
    "Classify the play and answer with a JSON object.",
  label: "{annotation_json}",
};

/** One clip that made it into the dataset. */
export interface DatasetClip {
  play: Play;
  camera: Camera;
  uri: string;
  /** The play's part of the clip, when the clip holds more than the play (copy mode). */
  offsets?: VideoOffsets | null;
}

/** The values a template can name: the play's columns, its metadata, and a few derived ones. */
export function templateFields(play: Play, camera: Camera): Record<string, unknown> {
  const annotation = { play_type: play.playType, ...play.metadata };
  return {
    ...play.metadata,
    id: play.id,
    play_id: play.id,
    game_id: play.gameId,
    angle: play.angle,
    side: play.angle.toLowerCase(),
    camera,
    camera_label: camera.toLowerCase().replace("_", "-"),
    start_timestamp: play.start,
    end_timestamp: play.end,
    duration: Math.round((play.end - play.start) * 1000) / 1000,
    play_type: play.playType ?? "unknown",
    annotation_json: JSON.stringify(annotation),
  };
}

const PLACEHOLDER = /\{([A-Za-z0-9_]+)\}/g;

/** Replaces {name} with the field's value; a field this play lacks renders empty. */
export function renderTemplate(template: string, fields: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = fields[name];
    if (value === null || value === undefined) return "";
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}

/**
 * Names a template uses that no play of the game has, so that a typo fails the
 * game before any clip is cut instead of shipping empty prompts.
 */
export function unknownTemplateNames(templates: LineTemplates, plays: readonly Play[]): string[] {
  const known = new Set<string>();
  for (const play of plays) for (const name of Object.keys(templateFields(play, "FAR_LEFT"))) known.add(name);
  const used = [...`${templates.prompt}\n${templates.label}`.matchAll(PLACEHOLDER)].map((m) => m[1] ?? "");
  return [...new Set(used.filter((name) => !known.has(name)))];
}

/** One JSONL line (without newline) in the chosen format. */
export function datasetLine(
  clip: DatasetClip, format: JsonlFormat, templates: LineTemplates, mediaResolution?: MediaResolution | null,
): string {
  const fields = templateFields(clip.play, clip.camera);
  const prompt = renderTemplate(templates.prompt, fields);
  if (format === "seed") {
    // Exactly the original's line shape, kept for users whose tooling reads it.
    return JSON.stringify({ videoGcsUri: clip.uri, textPrompt: prompt });
  }
  // Vertex AI Gemini supervised tuning: a user turn with the video and the
  // prompt, and the model turn it should learn to answer with.
  return geminiTuningLine({
    uri: clip.uri, prompt, label: renderTemplate(templates.label, fields), offsets: clip.offsets, mediaResolution,
  });
}

/** The whole file: one line per clip, newline-terminated, empty string for no clips. */
export function datasetJsonl(
  clips: readonly DatasetClip[], format: JsonlFormat, templates: LineTemplates, mediaResolution?: MediaResolution | null,
): string {
  return clips.map((clip) => `${datasetLine(clip, format, templates, mediaResolution)}\n`).join("");
}

export function assertJsonlFormat(value: string): JsonlFormat {
  if (!(JSONL_FORMATS as readonly string[]).includes(value)) {
    throw new ValidationError(`format ${JSON.stringify(value)} is not one of: ${JSONL_FORMATS.join(", ")}`);
  }
  return value as JsonlFormat;
}
