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
  try {
    await file.save(data, {
      resumable: false,
      validation: false,
      preconditionOpts: { ifGenerationMatch: expected ?? 0 },
      metadata: { contentType: options.contentType, md5Hash: createHash("md5").update(data).digest("base64") },
    });
  } catch (error) {
    if (statusOf(error) === 412) return null;
    throw options.onError(error);
  }
  return String(file.metadata.generation);
}
