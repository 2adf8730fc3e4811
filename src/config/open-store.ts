import { resolve } from "node:path";
import { ValidationError } from "../domain/errors.js";
import type { ObjectStore } from "../stores/object-store.js";

/** A store from a location: gs://bucket[/prefix] or a local folder. */
export async function openStore(location: string, options: { cwd: string; gcsEndpoint?: string }): Promise<ObjectStore> {
  if (location.startsWith("gs://")) {
    const [bucket = "", ...rest] = location.slice("gs://".length).split("/");
    if (!/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/.test(bucket)) {
      throw new ValidationError(`${JSON.stringify(location)} does not name a valid bucket: use gs://bucket or gs://bucket/prefix`);
    }
    const prefix = rest.filter((p) => p !== "").join("/");
    const { createGcsStore } = await import("../stores/gcs.js");
    return createGcsStore({ bucket, prefix: prefix || undefined, apiEndpoint: options.gcsEndpoint });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    throw new ValidationError(`${JSON.stringify(location)}: only local folders and gs:// buckets are supported`);
  }
  const { createLocalStore } = await import("../stores/local.js");
  return createLocalStore({ root: resolve(options.cwd, location) });
}
