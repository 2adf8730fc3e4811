import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Bucket, File } from "@google-cloud/storage";
import { StoreError, ValidationError } from "../domain/errors.js";
import { DEFAULT_GCS_RETRY, countingRetries, deleteSeen, gcsRetryOptions, httpStatus, md5Base64, md5OfFile, retryingStalls, saveReplacing, type GcsRetrySettings } from "./gcs-retry.js";
import { generationOf, md5Field } from "./gcs-generation.js";
import { MAX_KEY_BYTES, assertValidKey, assertValidPrefix, isValidKey, resolveRange } from "./keys.js";
import { firstResponse, guardStream, safeCause, statusOf } from "./gcs-http.js";
import { readGeneration, writeIfGeneration } from "./gcs-versioned.js";
import type { ByteRange, ListingStore, ObjectInfo, ObjectStore, VersionedObject, WriteBody } from "./object-store.js";
import type { StoreScheme } from "./store-scheme.js";

export interface GcsStoreOptions {
  bucket: string;
  /** Folder inside the bucket that plays the store's root, e.g. "playclips/out". */
  prefix?: string;
  /** For emulators; the client then sends no credentials (its default for custom endpoints). */
  apiEndpoint?: string;
  projectId?: string;
  /** File bodies above this many bytes use a resumable upload; default 8 MiB. */
  resumableThreshold?: number;
  /**
   * Resumable uploads send chunks of this many bytes (a multiple of 256 KiB;
   * default 8 MiB), so a dropped connection resends one chunk. 0: one streamed
   * request, for the emulator only (it shows an object after its first chunk).
   */
  chunkSize?: number;
  /** The client's retry settings; defaults in gcs-retry.ts (tests shorten the waits). */
  retry?: Partial<GcsRetrySettings>;
}

/** gs://bucket[/prefix]: parsed here, registered in stores/registry.ts. */
export const gcsScheme: StoreScheme = {
  example: "gs://bucket[/prefix]",
  matches: (location) => location.startsWith("gs://"),
  open: async (location, context) => {
    const [bucket = "", ...rest] = location.slice("gs://".length).split("/");
    if (!BUCKET_NAME.test(bucket)) {
      throw new ValidationError(`${JSON.stringify(location)} does not name a valid bucket: use gs://bucket or gs://bucket/prefix`);
    }
    const prefix = rest.filter((p) => p !== "").join("/");
    return createGcsStore({ bucket, prefix: prefix || undefined, apiEndpoint: context.gcsEndpoint });
  },
};

const BUCKET_NAME = /^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$/;
const ignore = (): void => undefined;
const DEFAULT_RESUMABLE_THRESHOLD = 8 * 1024 * 1024;
const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;
// A generation-pinned read 404s when an overwrite lands between stat and read; retry a few times.
const READ_ATTEMPTS = 3;

/**
 * A GCS bucket (or a folder in one) with credentials from Application Default
 * Credentials. GCS publishes an object only when its upload completes, so a
 * reader never sees a partial object: that, not temp names, is what makes writes atomic.
 */
export function createGcsStore(options: GcsStoreOptions): ListingStore {
  const { bucket } = options;
  if (typeof bucket !== "string" || !BUCKET_NAME.test(bucket)) {
    throw new ValidationError(`GCS bucket name ${JSON.stringify(bucket)} is not valid: use the bare name, without gs://`);
  }
  const prefix = (options.prefix ?? "").replace(/\/+$/, "");
  if (prefix !== "" && !isValidKey(prefix)) {
    throw new ValidationError(`GCS prefix ${JSON.stringify(options.prefix)} is not valid: use '/'-separated names, e.g. "playclips/out"`);
  }
  const threshold = options.resumableThreshold ?? DEFAULT_RESUMABLE_THRESHOLD;
  if (!Number.isSafeInteger(threshold) || threshold < 0) {
    throw new ValidationError(`resumableThreshold ${threshold} must be a whole number of bytes`);
  }
  return new GcsStore(options, prefix, threshold);
}

class GcsStore implements ObjectStore {
  readonly name: string;
  private bucketPromise: Promise<Bucket> | undefined;
  // Longer than the client's longest wait between two retries, so only a hung upload trips it (gcs-retry.ts).
  private readonly stallMs: number;

  constructor(
    private readonly options: GcsStoreOptions,
    private readonly prefix: string,
    private readonly resumableThreshold: number,
  ) {
    this.name = `gs://${options.bucket}${prefix ? `/${prefix}` : ""}`;
    this.stallMs = ((options.retry?.maxRetryDelay ?? DEFAULT_GCS_RETRY.maxRetryDelay) * 2 + 30) * 1000;
  }

  uri(key: string): string {
    return `gs://${this.options.bucket}/${this.objectName(key)}`;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const file = await this.file(key);
    try {
      const [metadata] = await file.getMetadata();
      return { key, size: Number(metadata.size), ...md5Field(metadata.md5Hash) };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw this.ioError(`cannot stat ${JSON.stringify(key)}`, error);
    }
  }

  async identify(key: string): Promise<string | null> { return generationOf(await this.file(key), (e) => this.ioError(`cannot stat ${JSON.stringify(key)}`, e)); }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = await this.file(key);
    for (let attempt = 1; ; attempt++) {
      let metadata: File["metadata"];
      try {
        [metadata] = await file.getMetadata();
      } catch (error) {
        throw statusOf(error) === 404 ? this.notFound(key, error) : this.ioError(`cannot stat ${JSON.stringify(key)}`, error);
      }
      const bounds = range ? resolveRange(this.name, key, range, Number(metadata.size)) : undefined;
      // Pinning the generation keeps the size above and the bytes below from one version.
      const pinned = file.bucket.file(file.name, { generation: metadata.generation });
      // Range reads cannot be checked against the whole object's hash.
      const source = pinned.createReadStream(bounds ? { ...bounds, validation: false } : { validation: "crc32c" });
      source.on("error", ignore);
      const status = await firstResponse(source).catch((error: unknown) => {
        source.destroy();
        throw this.ioError(`cannot read ${JSON.stringify(key)}`, error);
      });
      if (status < 300) return guardStream(source, (error) => this.ioError(`reading ${JSON.stringify(key)} failed midway`, error));
      source.destroy();
      if (status !== 404) throw new StoreError(this.name, "io", `cannot read ${JSON.stringify(key)}: HTTP ${status}`);
      if (attempt === READ_ATTEMPTS) throw this.notFound(key);
    }
  }

  // Every write names the generation it replaces (gcs-retry.ts), so the client
  // retries it, and the md5Hash makes GCS itself refuse bytes that do not match
  // (the client's own `validation` checks only after the object is live).
  async write(key: string, body: WriteBody, options?: { contentType?: string }): Promise<ObjectInfo> {
    const file = await this.file(key);
    const contentType = options?.contentType;
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      const data = typeof body === "string" ? Buffer.from(body, "utf8") : body;
      const { retries } = await countingRetries(() => saveReplacing(file, data, { md5Hash: md5Base64(data), contentType, resumable: false }), (error, retries) =>
        this.ioError(`cannot write ${JSON.stringify(key)}`, error, retries),
      );
      return { key, size: Number(file.metadata.size ?? data.length), ...(retries > 0 && { retries }) };
    }
    let size: number;
    let md5Hash: string;
    try {
      const info = await stat(body.file);
      if (!info.isFile()) throw new Error("not a regular file");
      size = info.size;
      md5Hash = await md5OfFile(body.file);
    } catch (error) {
      throw this.ioError(`cannot read ${body.file} to write it as ${JSON.stringify(key)}`, error);
    }
    // A function source is opened again for each attempt, so a failed attempt can be retried.
    const source = (): Readable => createReadStream(body.file);
    const resumable = size > this.resumableThreshold;
    const { retries } = await countingRetries(
      () => retryingStalls(() => saveReplacing(file, source, { md5Hash, contentType, resumable, chunkSize: this.options.chunkSize ?? DEFAULT_CHUNK_SIZE, stallMs: this.stallMs }), 3),
      (error, retries) => this.ioError(`cannot write ${body.file} as ${JSON.stringify(key)}`, error, retries),
    );
    return { key, size: Number(file.metadata.size ?? size), ...(retries > 0 && { retries }) };
  }

  // Compare-and-swap for small control objects, with generations: gcs-versioned.ts.
  async readVersioned(key: string): Promise<VersionedObject | null> {
    return readGeneration(await this.file(key), (e) => this.ioError(`cannot read ${JSON.stringify(key)}`, e));
  }
  async writeIfVersion(key: string, body: string, expected: string | null, options?: { contentType?: string }): Promise<string | null> {
    const onError = (e: unknown): StoreError => this.ioError(`cannot write ${JSON.stringify(key)}`, e);
    return writeIfGeneration(await this.file(key), body, expected, { contentType: options?.contentType, onError });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(this.name, prefix);
    const root = this.prefix ? `${this.prefix}/` : "";
    const bucket = await this.bucket();
    let files: File[];
    try {
      [files] = await bucket.getFiles({ prefix: root + prefix, autoPaginate: true });
    } catch (error) {
      throw this.ioError(`cannot list ${JSON.stringify(prefix)}`, error);
    }
    return (
      files
        .map((file) => ({ key: file.name.slice(root.length), size: Number(file.metadata.size) }))
        // Console "folders" ("a/") and names other tools wrote that no key could have.
        .filter((info) => isValidKey(info.key))
        // GCS sorts by UTF-8 bytes; sorting again keeps emulators and pages honest.
        .sort((a, b) => Buffer.compare(Buffer.from(a.key, "utf8"), Buffer.from(b.key, "utf8")))
    );
  }

  async delete(key: string): Promise<void> {
    const file = await this.file(key);
    try {
      await deleteSeen(file);
    } catch (error) {
      throw this.ioError(`cannot delete ${JSON.stringify(key)}`, error);
    }
  }

  private objectName(key: string): string {
    const name = this.prefix ? `${this.prefix}/${assertValidKey(this.name, key)}` : assertValidKey(this.name, key);
    if (Buffer.byteLength(name, "utf8") <= MAX_KEY_BYTES) return name;
    const problem = `is too long: with the prefix ${JSON.stringify(this.prefix)} the object name exceeds GCS's ${MAX_KEY_BYTES} bytes`;
    throw new StoreError(this.name, "invalid_key", `object key ${JSON.stringify(key)} ${problem}`);
  }

  // Keys are checked before the client loads, so a bad key never needs it.
  private async file(key: string): Promise<File> {
    const name = this.objectName(key);
    return (await this.bucket()).file(name);
  }

  // Loaded on first use, so local-only runs never load the GCS client.
  private bucket(): Promise<Bucket> {
    this.bucketPromise ??= import("@google-cloud/storage").then(
      ({ Storage, RETRYABLE_ERR_FN_DEFAULT }) => {
        const retry = { ...DEFAULT_GCS_RETRY, ...this.options.retry };
        const retryOptions = gcsRetryOptions(retry, RETRYABLE_ERR_FN_DEFAULT);
        return new Storage({ apiEndpoint: this.options.apiEndpoint, projectId: this.options.projectId, retryOptions }).bucket(this.options.bucket);
      },
      (error: unknown) => {
        this.bucketPromise = undefined;
        throw this.ioError("cannot load @google-cloud/storage (is it installed?)", error);
      },
    );
    return this.bucketPromise;
  }

  private notFound(key: string, cause?: unknown): StoreError {
    return new StoreError(this.name, "not_found", `no object ${JSON.stringify(key)} (looked at ${this.uri(key)})`, {
      cause: cause === undefined ? undefined : safeCause(cause),
    });
  }

  // "(HTTP 503, after 7 transient errors)": the status, and how often the client met one and retried or gave up.
  private ioError(message: string, cause: unknown, retries?: number): StoreError {
    if (cause instanceof StoreError) return cause;
    const status = httpStatus(cause) === undefined ? null : `HTTP ${String(httpStatus(cause))}`;
    const tried = retries ? `after ${retries} transient ${retries === 1 ? "error" : "errors"}` : null;
    const detail = [status, tried].filter(Boolean).join(", ");
    return new StoreError(this.name, "io", `${message}: ${safeCause(cause).message}${detail ? ` (${detail})` : ""}`, { cause: safeCause(cause) });
  }
}
