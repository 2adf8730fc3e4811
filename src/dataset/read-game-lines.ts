import { errorMessage } from "../domain/errors.js";
import { MEDIA_RESOLUTIONS, type MediaResolution } from "../domain/gemini.js";

/** What a game's Gemini JSONL line holds that a dataset keeps. */
export interface GameLine {
  uri: string;
  prompt: string;
  label: string;
  /** The line's generationConfig.mediaResolution in playclips' spelling; null when the line has none. */
  mediaResolution: MediaResolution | null;
}

type Part = { text?: unknown; fileData?: { fileUri?: unknown } };
type Turn = { role?: unknown; parts?: Part[] };

/**
 * Parses one line of a game's training or validation file. The file comes from
 * storage, so every field is checked: a line that is not the Gemini tuning
 * shape playclips writes is reported with its position, never guessed at.
 */
export function parseGameLine(line: string, where: string): GameLine {
  let value: { contents?: Turn[]; generationConfig?: { mediaResolution?: unknown }; videoGcsUri?: unknown };
  try {
    value = JSON.parse(line) as typeof value;
  } catch (error) {
    throw new Error(`${where} is not JSON: ${errorMessage(error)}`);
  }
  if (typeof value !== "object" || value === null) throw new Error(`${where} is not a JSON object`);
  if (value.videoGcsUri !== undefined) {
    throw new Error(`${where} is in the seed format (no model answer): rerun the game with --format gemini`);
  }
  const [user, model] = Array.isArray(value.contents) ? value.contents : [];
  const uri = user?.parts?.find((p) => p.fileData)?.fileData?.fileUri;
  const prompt = user?.parts?.find((p) => typeof p.text === "string")?.text;
  const label = model?.parts?.find((p) => typeof p.text === "string")?.text;
  if (user?.role !== "user" || model?.role !== "model" || typeof uri !== "string" || typeof prompt !== "string" || typeof label !== "string") {
    throw new Error(`${where} is not a Gemini tuning line (a user turn with fileData and text, then a model turn)`);
  }
  return { uri, prompt, label, mediaResolution: lineResolution(value.generationConfig?.mediaResolution, where) };
}

function lineResolution(value: unknown, where: string): MediaResolution | null {
  if (value === undefined) return null;
  const name = typeof value === "string" ? value.replace(/^MEDIA_RESOLUTION_/, "").toLowerCase() : "";
  if (!(MEDIA_RESOLUTIONS as readonly string[]).includes(name)) {
    throw new Error(`${where} has an unknown mediaResolution ${JSON.stringify(value)}`);
  }
  return name as MediaResolution;
}

/** play_type of an answer that is a JSON object with one, else null (labels need not be JSON). */
export function labelPlayType(label: string): string | null {
  try {
    const parsed = JSON.parse(label) as unknown;
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const value = (parsed as Record<string, unknown>).play_type;
      if (typeof value === "string") return value;
    }
  } catch {
    // A free-text label has no play_type.
  }
  return null;
}
