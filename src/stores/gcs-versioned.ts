import { createHash } from "node:crypto";
import type { File } from "@google-cloud/storage";
import type { VersionedObject } from "./object-store.js";

// Compare-and-swap on GCS with generations: the version is the object's
// generation, and ifGenerationMatch (0: only if absent) makes GCS itself refuse
// a write that lost a race, with HTTP 412. Documented at
// https://cloud.google.com/storage/docs/request-preconditions

const statusOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

export async function readGeneration(file: File, onError: (error: unknown) => Error): Promise<VersionedObject | null> {
  try {
    const [metadata] = await file.getMetadata();
    // Pinned, so the bytes are those of the generation returned with them.
    const [body] = await file.bucket.file(file.name, { generation: metadata.generation }).download();
    return { body, version: String(metadata.generation) };
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw onError(error);
  }
}

export async function writeIfGeneration(
  file: File,
  body: string,
  expected: string | null,
  options: { contentType?: string; onError: (error: unknown) => Error },
): Promise<string | null> {
  const data = Buffer.from(body, "utf8");
  const md5Hash = createHash("md5").update(data).digest("base64");
  try {
    await file.save(data, { resumable: false, validation: false, preconditionOpts: { ifGenerationMatch: expected ?? 0 }, metadata: { contentType: options.contentType, md5Hash } });
  } catch (error) {
    if (statusOf(error) !== 412) throw options.onError(error);
    // A retry whose earlier attempt landed and only lost its answer meets our
    // own bytes: that swap won. (Callers' bodies name their writer, e.g. a
    // run id and a heartbeat time, so another writer's bytes never match.)
    const [live] = await file.getMetadata().catch(() => [null]);
    return live?.md5Hash === md5Hash ? String(live.generation) : null;
  }
  return String(file.metadata.generation);
}
