// The Gemini request shapes playclips writes, in one place: a tuning line
// (Vertex AI supervised tuning) and a batch-prediction request share the same
// user turn, so the tuned model is scored on exactly what it was tuned on.

/** Vertex AI's mediaResolution, as the playclips flag spells it. */
export const MEDIA_RESOLUTIONS = ["low", "medium", "high"] as const;
export type MediaResolution = (typeof MEDIA_RESOLUTIONS)[number];

/** The part of a clip the model sees, in seconds on the clip file's own timeline (t = 0 is the file's start). */
export interface VideoOffsets {
  start: number;
  end: number;
}

export interface GeminiExampleInput {
  uri: string;
  prompt: string;
  /** Present when the clip holds more than the play (copy mode). */
  offsets?: VideoOffsets | null;
  mediaResolution?: MediaResolution | null;
}

/** The enum value Vertex AI expects in generationConfig.mediaResolution. */
export function vertexMediaResolution(resolution: MediaResolution): string {
  return `MEDIA_RESOLUTION_${resolution.toUpperCase()}`;
}

/** A protobuf Duration in its JSON form ("5s", "12.48s"), to the microsecond. */
export function durationText(seconds: number): string {
  return `${Number(Math.max(0, seconds).toFixed(6))}s`;
}

/** Seconds from a protobuf Duration JSON string, or null when it is not one. */
export function parseDurationText(text: unknown): number | null {
  if (typeof text !== "string") return null;
  const match = /^(\d+(?:\.\d{1,9})?)s$/.exec(text);
  return match ? Number(match[1]) : null;
}

function userTurn(input: GeminiExampleInput): Record<string, unknown> {
  const video: Record<string, unknown> = { fileData: { mimeType: "video/mp4", fileUri: input.uri } };
  if (input.offsets) {
    video.videoMetadata = { startOffset: durationText(input.offsets.start), endOffset: durationText(input.offsets.end) };
  }
  return { role: "user", parts: [video, { text: input.prompt }] };
}

function generationConfig(input: GeminiExampleInput): Record<string, unknown> {
  return input.mediaResolution ? { generationConfig: { mediaResolution: vertexMediaResolution(input.mediaResolution) } } : {};
}

/** One supervised-tuning JSONL line: the user turn and the model turn to learn. */
export function geminiTuningLine(input: GeminiExampleInput & { label: string }): string {
  return JSON.stringify({
    contents: [userTurn(input), { role: "model", parts: [{ text: input.label }] }],
    ...generationConfig(input),
  });
}

/** One batch-prediction input line: the same user turn, no model turn. */
export function geminiPredictionRequest(input: GeminiExampleInput): string {
  return JSON.stringify({ request: { contents: [userTurn(input)], ...generationConfig(input) } });
}
