import { geminiPredictionRequest } from "../domain/gemini.js";
import type { ObjectStore } from "../stores/object-store.js";
import type { DatasetDocument } from "./model.js";
import { datasetKeys } from "./publish.js";

/**
 * The batch-prediction input for the validation split: one {"request": …} per
 * example, with the same video part, offsets, prompt and media resolution the
 * tuning lines carry, and no model turn (Vertex AI batch prediction from
 * Cloud Storage; docs/scoring.md).
 */
export function predictionRequests(doc: DatasetDocument): string {
  return doc.examples
    .filter((e) => e.side === "validation")
    .map((e) => `${geminiPredictionRequest({ uri: e.uri, prompt: e.prompt, offsets: e.offsets, mediaResolution: doc.settings.mediaResolution })}\n`)
    .join("");
}

export async function writePredictionRequests(store: ObjectStore, doc: DatasetDocument): Promise<{ uri: string; lines: number }> {
  const key = datasetKeys(doc.name).requests;
  const body = predictionRequests(doc);
  await store.write(key, body, { contentType: "application/jsonl" });
  return { uri: store.uri(key), lines: body === "" ? 0 : body.trimEnd().split("\n").length };
}
