import type { Camera } from "../domain/types.js";
import type { DatasetDocument, DatasetExample } from "./model.js";

export interface FieldScore {
  correct: number;
  scored: number;
  accuracy: number;
}

/** What `dataset score` writes as score.json (docs/scoring.md). */
export interface ScoreReport {
  dataset: string;
  predictions: string;
  counts: {
    validationExamples: number;
    rows: number;
    /** Rows whose answer parsed and was compared with the label. */
    scored: number;
    /** Rows Vertex AI marked failed (a non-empty status, or no response). */
    failed: number;
    /** Answers that are not the JSON object the label is (or empty). */
    unparseable: number;
    /** Rows whose request names no validation example of this dataset. */
    unmatched: number;
    duplicates: number;
    /** Validation examples no row answered. */
    missing: number;
  };
  /** Every example's answer right in every field, over all validation examples (failures count as wrong). */
  exactMatch: FieldScore;
  fields: Record<string, FieldScore>;
  playType: { labels: string[]; matrix: Record<string, Record<string, number>> };
  cameras: Partial<Record<Camera, { exactMatch: FieldScore; playType: FieldScore }>>;
  /** The first problems, so a reader sees what kind they are. */
  problems: Array<{ uri: string | null; problem: string }>;
}

type Row = { status?: unknown; request?: { contents?: Array<{ parts?: Array<{ fileData?: { fileUri?: unknown } }> }> }; response?: unknown };
type Candidate = { content?: { parts?: Array<{ text?: unknown }> } };

const score = (correct: number, scored: number): FieldScore => ({ correct, scored, accuracy: scored ? Math.round((correct / scored) * 10000) / 10000 : 0 });
const norm = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v ?? null)).trim().toLowerCase();
const MAX_PROBLEMS = 50;

/**
 * Scores Vertex AI batch-prediction output rows (one JSON object per line,
 * as written to Cloud Storage: the request, a `status` that is empty on
 * success, and the `response`) against the dataset's validation labels.
 */
export function scorePredictions(doc: DatasetDocument, rowsText: string, predictions: string): ScoreReport {
  const validation = doc.examples.filter((e) => e.side === "validation");
  const byUri = new Map(validation.map((e) => [e.uri, e]));
  const answered = new Map<DatasetExample, Record<string, unknown>>();
  const seen = new Set<DatasetExample>();
  const counts = { validationExamples: validation.length, rows: 0, scored: 0, failed: 0, unparseable: 0, unmatched: 0, duplicates: 0, missing: 0 };
  const problems: ScoreReport["problems"] = [];
  const note = (uri: string | null, problem: string): void => void (problems.length < MAX_PROBLEMS && problems.push({ uri, problem }));

  rowsText.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    counts.rows += 1;
    let row: Row;
    try {
      row = JSON.parse(line) as Row;
    } catch {
      counts.failed += 1;
      return note(null, `line ${index + 1} is not JSON`);
    }
    const uri = row.request?.contents?.[0]?.parts?.find((p) => p.fileData)?.fileData?.fileUri;
    const example = typeof uri === "string" ? byUri.get(uri) : undefined;
    if (!example) {
      counts.unmatched += 1;
      return note(typeof uri === "string" ? uri : null, `line ${index + 1} names no validation example of ${doc.name}`);
    }
    if (seen.has(example)) return void (counts.duplicates += 1);
    seen.add(example);
    const text = answerText(row);
    if (text === null) {
      counts.failed += 1;
      return note(example.uri, typeof row.status === "string" && row.status !== "" ? row.status : "no response");
    }
    const answer = parseAnswer(text, example.label);
    if (!answer) {
      counts.unparseable += 1;
      return note(example.uri, `answer is not a JSON object like the label: ${JSON.stringify(text.slice(0, 120))}`);
    }
    counts.scored += 1;
    answered.set(example, answer);
  });
  counts.missing = validation.filter((e) => !seen.has(e)).length;

  const fields = new Map<string, { correct: number; scored: number }>();
  const matrix: Record<string, Record<string, number>> = {};
  const cameras: Record<string, { exact: number; type: number; typed: number; n: number }> = {};
  let exact = 0;
  for (const example of validation) {
    const camera = (cameras[example.camera] ??= { exact: 0, type: 0, typed: 0, n: 0 });
    camera.n += 1;
    const answer = answered.get(example);
    const truth = labelFields(example.label);
    if (!answer) continue;
    let allRight = true;
    for (const [field, value] of Object.entries(truth)) {
      const f = fields.get(field) ?? { correct: 0, scored: 0 };
      const right = norm(answer[field]) === norm(value);
      fields.set(field, { correct: f.correct + (right ? 1 : 0), scored: f.scored + 1 });
      allRight &&= right;
    }
    if (allRight) {
      exact += 1;
      camera.exact += 1;
    }
    if ("play_type" in truth) {
      const actual = norm(truth.play_type);
      const predicted = norm(answer.play_type);
      (matrix[actual] ??= {})[predicted] = (matrix[actual]?.[predicted] ?? 0) + 1;
      camera.typed += 1;
      if (actual === predicted) camera.type += 1;
    }
  }
  const labels = [...new Set(Object.entries(matrix).flatMap(([a, row]) => [a, ...Object.keys(row)]))].sort();
  return {
    dataset: doc.name,
    predictions,
    counts,
    exactMatch: score(exact, validation.length),
    fields: Object.fromEntries([...fields].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, f]) => [k, score(f.correct, f.scored)])),
    playType: { labels, matrix },
    cameras: Object.fromEntries(
      Object.entries(cameras).sort(([a], [b]) => (a < b ? -1 : 1)).map(([c, v]) => [c, { exactMatch: score(v.exact, v.n), playType: score(v.type, v.typed) }]),
    ),
    problems,
  };
}

/** The model's text, or null for a failed row (non-empty status, no candidate, or a blocked answer). */
function answerText(row: Row): string | null {
  if (typeof row.status === "string" && row.status !== "") return null;
  const candidate = (row.response as { candidates?: Candidate[] } | undefined)?.candidates?.[0];
  const parts = candidate?.content?.parts;
  if (!Array.isArray(parts)) return null;
  return parts.map((p) => (typeof p.text === "string" ? p.text : "")).join("");
}

/** A label that is a JSON object is scored field by field; any other label as one field, `answer`. */
function labelFields(label: string): Record<string, unknown> {
  const parsed = jsonObject(label);
  return parsed ?? { answer: label };
}

function parseAnswer(text: string, label: string): Record<string, unknown> | null {
  if (!jsonObject(label)) return text.trim() === "" ? null : { answer: text };
  // Models often wrap JSON in a ```json fence; the fence is not part of the answer.
  const unfenced = text.trim().replace(/^```(?:json)?\s*/i, "").replace(/\s*```$/, "");
  return jsonObject(unfenced);
}

function jsonObject(text: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
