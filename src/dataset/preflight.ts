import type { DatasetExample, LimitCheck, MediaResolution } from "./model.js";
import { exampleProblems, VERTEX_LIMITS as L } from "../domain/vertex-limits.js";

export interface PreflightInput {
  examples: readonly DatasetExample[];
  mediaResolution: MediaResolution;
  /** The media resolution of every line as written, to prove they agree. */
  lineResolutions: readonly string[];
  trainingJsonlBytes: number;
  allowLocal: boolean;
}

export interface Preflight {
  /** Examples that break a per-example limit, with every reason. */
  invalid: Map<DatasetExample, string[]>;
  /** Limits of the whole dataset that dropping examples cannot fix here. */
  datasetProblems: string[];
  checks: LimitCheck[];
}

const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/** Checks the dataset against every Vertex AI limit in VERTEX_LIMITS; see docs/vertex-limits.md. */
export function preflight(input: PreflightInput): Preflight {
  const { examples, mediaResolution } = input;
  const invalid = new Map<DatasetExample, string[]>();
  const maxSeconds = L.exampleSeconds.value[mediaResolution];
  for (const e of examples) {
    const problems = exampleProblems({ bytes: e.bytes, seconds: e.duration, tokens: e.tokens }, mediaResolution);
    if (problems.length > 0) invalid.set(e, problems);
  }
  const count = (side: string): number => examples.filter((e) => e.side === side).length;
  const resolutions = new Set(input.lineResolutions);
  const datasetProblems: string[] = [];
  const whole = (ok: boolean, problem: string): boolean => {
    if (!ok) datasetProblems.push(problem);
    return ok;
  };
  const local = examples.filter((e) => !e.uri.startsWith("gs://"));
  // A local dataset is one decision, not a per-example fault: one message, never dropped.
  const localProblem =
    `${local.length} clip URIs are not gs:// (e.g. ${local[0]?.uri ?? ""}): Vertex AI reads clips only from Cloud Storage; ` +
    "write the games to a bucket (--out gs://…), or pass --allow-local to try things out";
  const perExample = (reason: RegExp): string => `${examples.filter((e) => (invalid.get(e) ?? []).some((r) => reason.test(r))).length} over`;
  const checks: LimitCheck[] = [
    check(`video file ≤ ${MB(L.videoFileBytes.value)}`, perExample(/video file limit/), L.videoFileBytes.source, examples.every((e) => e.bytes <= L.videoFileBytes.value)),
    check(`example length ≤ ${maxSeconds / 60} min (${mediaResolution})`, perExample(/min at/), L.exampleSeconds.source, examples.every((e) => e.duration <= maxSeconds)),
    check(`tokens per example ≤ ${L.exampleTokens.value}`, `max ≈ ${Math.max(0, ...examples.map((e) => e.tokens))}`, L.exampleTokens.source, examples.every((e) => e.tokens <= L.exampleTokens.value)),
    check("fileUri is gs://", input.allowLocal && local.length > 0 ? `${local.length} local (--allow-local)` : `${local.length} not gs://`,
      L.videoFileBytes.source, whole(input.allowLocal || local.length === 0, localProblem)),
    check("one mediaResolution on every line", [...resolutions].join(", "),
      L.exampleSeconds.source, whole(resolutions.size === 1, `lines carry different media resolutions: ${[...resolutions].join(", ")}`)),
    check(`training JSONL ≤ ${MB(L.trainingJsonlBytes.value)}`, MB(input.trainingJsonlBytes), L.trainingJsonlBytes.source,
      whole(input.trainingJsonlBytes <= L.trainingJsonlBytes.value, `training_data.jsonl would be ${MB(input.trainingJsonlBytes)}, over ${MB(L.trainingJsonlBytes.value)}`)),
    check(`validation examples ≤ ${L.validationExamples.value}`, String(count("validation")), L.validationExamples.source,
      whole(count("validation") <= L.validationExamples.value, `${count("validation")} validation examples, over ${L.validationExamples.value}`)),
    check(`training examples ≤ ${L.trainingExamples.value} (multimodal)`, String(count("training")), L.trainingExamples.source,
      whole(count("training") <= L.trainingExamples.value, `${count("training")} training examples, over ${L.trainingExamples.value}`)),
  ];
  return { invalid, datasetProblems, checks };
}

function check(limit: string, value: string, source: string, ok: boolean): LimitCheck {
  return { limit, value, ok, source };
}

/** Whether dropping `dropped` of `total` examples stays within Vertex AI's 10% rule. */
export function dropWithinLimit(dropped: number, total: number): boolean {
  return total > 0 && dropped / total <= L.droppedShare.value;
}
