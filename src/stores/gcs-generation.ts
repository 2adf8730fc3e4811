import type { File } from "@google-cloud/storage";

/**
 * The GCS store's `identify`: an object's generation, which GCS changes on
 * every overwrite, so a record of it says which version something was made
 * from. Null when the object does not exist.
 */
export async function generationOf(file: File, ioError: (error: unknown) => Error): Promise<string | null> {
  try {
    const [metadata] = await file.getMetadata();
    return `gcs-generation:${String(metadata.generation)}`;
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code === 404) return null;
    throw ioError(error);
  }
}

/** The object's MD5 as hex, from GCS's base64 `md5Hash`; none for composite objects. */
export function md5Field(md5Hash: unknown): { md5?: string } {
  return typeof md5Hash === "string" && md5Hash !== "" ? { md5: Buffer.from(md5Hash, "base64").toString("hex") } : {};
}
