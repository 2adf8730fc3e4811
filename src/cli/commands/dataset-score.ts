import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { text } from "node:stream/consumers";
import { openSettingsStore } from "../../config/open-pipeline.js";
import { openStore } from "../../stores/registry.js";
import { loadSettings, type Settings } from "../../config/settings.js";
import { writePredictionRequests } from "../../dataset/predict.js";
import { assertDatasetName, requireDataset } from "../../dataset/publish.js";
import { scorePredictions } from "../../dataset/score.js";
import { renderScoreReport } from "../../dataset/score-report.js";
import { batchPredictionCall } from "../../dataset/tuning-call.js";
import { errorMessage, ValidationError } from "../../domain/errors.js";
import { parseFlags, settingFlags } from "../args.js";
import type { CommandIo } from "./io.js";

export const PREDICT_HELP = `playclips dataset predict-requests NAME [--out DIR|gs://…]

Writes datasets/NAME/prediction_requests.jsonl: one {"request": …} per
validation example (same video part, offsets, prompt and media resolution as
its tuning line, no model turn), the input of a Vertex AI batch prediction
of the tuned model, and prints the call that starts one.`;

export const SCORE_HELP = `playclips dataset score NAME --predictions FILE|gs://…/file.jsonl|gs://…/folder/ [--out DIR|gs://…] [--json]

Reads Vertex AI batch-prediction output (a folder ending in / reads every
.jsonl in it), compares each answer with its label and writes
datasets/NAME/score/score.json and score.md: accuracy per label field,
exact match, the play_type confusion matrix, accuracy per camera, and the
failed, unparseable and unmatched rows.`;

export function datasetName(positionals: readonly string[], sub: string): string {
  if (positionals.length !== 1 || positionals[0] === undefined) {
    throw new ValidationError(`dataset ${sub} takes exactly one dataset NAME, got ${positionals.length === 0 ? "none" : positionals.map((p) => JSON.stringify(p)).join(" ")}`);
  }
  return assertDatasetName(positionals[0]);
}

async function openDataset(args: string[], io: CommandIo, sub: string, extra: Parameters<typeof parseFlags>[1] = {}) {
  const { values, positionals } = parseFlags(args, { ...settingFlags(), ...extra });
  const name = datasetName(positionals, sub);
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const store = await openSettingsStore(settings, "out", io.cwd);
  return { values, name, settings, store, doc: await requireDataset(store, name) };
}

export async function predictRequestsCommand(args: string[], io: CommandIo): Promise<number> {
  const { store, doc } = await openDataset(args, io, "predict-requests");
  const written = await writePredictionRequests(store, doc);
  io.stdout.write(`${written.lines} requests: ${written.uri}\n\nRun the tuned model on them:\n${batchPredictionCall(doc.name, written.uri)}\n`);
  return 0;
}

export async function scoreCommand(args: string[], io: CommandIo): Promise<number> {
  const { values, store, doc, settings } = await openDataset(args, io, "score", { predictions: { type: "string" }, json: { type: "boolean" } });
  const source = values.predictions;
  if (typeof source !== "string" || source === "") throw new ValidationError("--predictions FILE|gs://… is required");
  const report = scorePredictions(doc, await readPredictions(source, settings, io.cwd), source);
  if (report.counts.rows === 0) throw new ValidationError(`${source} holds no prediction rows`);
  const base = `datasets/${doc.name}/score/`;
  await store.write(`${base}score.json`, `${JSON.stringify(report, null, 2)}\n`, { contentType: "application/json" });
  await store.write(`${base}score.md`, renderScoreReport(report), { contentType: "text/markdown; charset=utf-8" });
  if (values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const c = report.counts;
    io.stdout.write(
      `${doc.name}: exact match ${(report.exactMatch.accuracy * 100).toFixed(1)} % of ${c.validationExamples} validation examples ` +
        `(${c.scored} scored, ${c.failed} failed, ${c.unparseable} unparseable, ${c.unmatched} unmatched, ${c.missing} missing)\n  ${store.uri(`${base}score.md`)}\n`,
    );
  }
  return 0;
}

/** The rows of one output file, or of every .jsonl under a gs:// folder (Vertex AI writes predictions*.jsonl there). */
async function readPredictions(source: string, settings: Settings, cwd: string): Promise<string> {
  try {
    if (!source.startsWith("gs://")) return await readFile(resolve(cwd, source), "utf8");
    const match = /^(gs:\/\/[^/]+)\/(.*)$/.exec(source);
    if (!match?.[1] || !match[2]) throw new ValidationError(`--predictions ${source} must name an object or a folder ending in /`);
    const bucket = await openStore(match[1], { cwd, gcsEndpoint: settings.stores.gcsEndpoint });
    if (match[2].endsWith("/") && !bucket.list) throw new ValidationError(`${bucket.name} cannot list a folder: name the predictions file`);
    const keys = match[2].endsWith("/") ? ((await bucket.list?.(match[2])) ?? []).map((o) => o.key).filter((k) => k.endsWith(".jsonl")) : [match[2]];
    if (keys.length === 0) throw new ValidationError(`${source} holds no .jsonl files`);
    const bodies = await Promise.all(keys.map(async (k) => text(await bucket.read(k))));
    return bodies.join("\n");
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new ValidationError(`cannot read --predictions ${source}: ${errorMessage(error)}`);
  }
}
