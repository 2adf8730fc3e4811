import { createHash } from "node:crypto";
import { text } from "node:stream/consumers";
import { errorMessage, StoreError, ValidationError } from "../domain/errors.js";
import { isSafeId } from "../domain/ids.js";
import type { ObjectStore } from "../stores/object-store.js";
import type { DatasetDocument, PublishedFile } from "./model.js";

export function assertDatasetName(name: string): string {
  if (!isSafeId(name)) {
    throw new ValidationError(
      `dataset name ${JSON.stringify(name)} is not usable as a folder: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

export function datasetKeys(name: string): { training: string; validation: string; card: string; record: string; requests: string } {
  const base = `datasets/${assertDatasetName(name)}/`;
  return {
    training: `${base}training_data.jsonl`,
    validation: `${base}validation_data.jsonl`,
    card: `${base}README.md`,
    record: `${base}dataset.json`,
    requests: `${base}prediction_requests.jsonl`,
  };
}

export const sha256Hex = (body: string): string => createHash("sha256").update(body).digest("hex");

export function describeFile(store: ObjectStore, key: string, body: string): PublishedFile {
  return { key, uri: store.uri(key), bytes: Buffer.byteLength(body), sha256: sha256Hex(body) };
}

/**
 * Publishes a dataset's four files. dataset.json goes last and records the
 * size and sha256 of the other three, so it is the commit: a crash before it
 * leaves the previous dataset.json, whose hashes no longer match the files
 * that were replaced, and readDataset reports the dataset incomplete instead
 * of mixing two builds (docs/dataset-format.md).
 */
export async function publishDataset(
  store: ObjectStore, doc: DatasetDocument, bodies: { training: string; validation: string; card: string },
): Promise<void> {
  const keys = datasetKeys(doc.name);
  await store.write(keys.training, bodies.training, { contentType: "application/jsonl" });
  await store.write(keys.validation, bodies.validation, { contentType: "application/jsonl" });
  await store.write(keys.card, bodies.card, { contentType: "text/markdown; charset=utf-8" });
  await store.write(keys.record, datasetJson(doc), { contentType: "application/json" });
}

export function datasetJson(doc: DatasetDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export type DatasetRead =
  | { kind: "absent" }
  | { kind: "ok"; doc: DatasetDocument }
  | { kind: "incomplete"; reason: string };

/** Reads a dataset and proves its files are the ones its dataset.json committed. */
export async function readDataset(store: ObjectStore, name: string): Promise<DatasetRead> {
  const keys = datasetKeys(name);
  const body = await readText(store, keys.record);
  if (body === null) {
    const stray = await Promise.all([keys.training, keys.validation, keys.card].map((k) => store.stat(k)));
    return stray.some((s) => s !== null)
      ? { kind: "incomplete", reason: `${keys.record} is missing: a build stopped before committing` }
      : { kind: "absent" };
  }
  let doc: DatasetDocument;
  try {
    doc = JSON.parse(body) as DatasetDocument;
  } catch (error) {
    return { kind: "incomplete", reason: `${keys.record} is not JSON: ${errorMessage(error)}` };
  }
  if (doc?.kind !== "playclips-dataset" || doc.version !== 1 || doc.name !== name || !doc.files) {
    return { kind: "incomplete", reason: `${keys.record} is not a playclips dataset record for ${JSON.stringify(name)}` };
  }
  for (const file of [doc.files.training, doc.files.validation, doc.files.card]) {
    const content = await readText(store, file.key);
    if (content === null) return { kind: "incomplete", reason: `${file.key} is missing` };
    if (Buffer.byteLength(content) !== file.bytes || sha256Hex(content) !== file.sha256) {
      return { kind: "incomplete", reason: `${file.key} is not the file ${keys.record} records (another build replaced it or stopped halfway)` };
    }
  }
  return { kind: "ok", doc };
}

/** The committed dataset, or a clear error saying why there is none. */
export async function requireDataset(store: ObjectStore, name: string): Promise<DatasetDocument> {
  const read = await readDataset(store, name);
  if (read.kind === "absent") throw new ValidationError(`no dataset ${JSON.stringify(name)} in ${store.name}: build it with \`playclips dataset build ${name} --all\``);
  if (read.kind === "incomplete") throw new ValidationError(`dataset ${JSON.stringify(name)} is incomplete: ${read.reason}; build it again`);
  return read.doc;
}

export async function readText(store: ObjectStore, key: string): Promise<string | null> {
  try {
    return await text(await store.read(key));
  } catch (error) {
    if (error instanceof StoreError && error.code === "not_found") return null;
    throw error;
  }
}
