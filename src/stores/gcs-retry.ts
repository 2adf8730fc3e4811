import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import type { File, SaveData, StorageOptions } from "@google-cloud/storage";

type RetryOptions = NonNullable<StorageOptions["retryOptions"]>;

/**
 * Retries on GCS, and the preconditions that make writes and deletes safe to
 * retry (docs/backends.md, "GCS retries").
 *
 * The client's default strategy (RetryConditional) retries an upload or a
 * delete only when it carries `ifGenerationMatch`; without one it also turns
 * off `autoRetry` on the Storage instance's shared options while the call
 * runs, so concurrent calls lose their retries too. Every mutation here
 * therefore names the generation it expects (0: "only if absent"), which makes
 * a retry unable to overwrite anything but what it meant to replace.
 */

/** The client's retry settings (seconds): from 1 s, doubling, at most 16 s apart and 10 min per call. */
export interface GcsRetrySettings {
  maxRetries: number;
  retryDelayMultiplier: number;
  maxRetryDelay: number;
  totalTimeout: number;
}
export const DEFAULT_GCS_RETRY: GcsRetrySettings = { maxRetries: 6, retryDelayMultiplier: 2, maxRetryDelay: 16, totalTimeout: 600 };

// Per-operation retry counts: the client decides a retry by calling
// retryableErrorFn, and async context follows its timers and promises, so a
// count opened around one store call sees that call's retries only.
const retryCount = new AsyncLocalStorage<{ retries: number }>();

export function gcsRetryOptions(settings: GcsRetrySettings, isRetryable: (error: never) => boolean): RetryOptions {
  return {
    autoRetry: true,
    ...settings,
    retryableErrorFn: (error: unknown) => {
      const retry = isRetryable(error as never) || TRANSIENT_STATUSES.has(httpStatus(error) ?? 0) || sessionLost(error);
      const counter = retryCount.getStore();
      if (retry && counter) counter.retries++;
      return retry;
    },
  };
}

// The client's default test reads `code`; errors from resumable sessions (gaxios) carry the status elsewhere.
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

// A resumable session that holds fewer bytes than were sent (the client's
// words: "Initiate a new upload to continue"): safe to retry because the
// source is opened again and a fresh session carries the same precondition.
const sessionLost = (error: unknown): boolean =>
  error instanceof RangeError && error.message.includes("offset is lower than the number of bytes written");

/** The HTTP status of a client error, wherever the client put it. */
export function httpStatus(error: unknown): number | undefined {
  const e = error as { code?: unknown; status?: unknown; response?: { status?: unknown } } | null;
  const status = [e?.code, e?.status, e?.response?.status].find((value) => typeof value === "number");
  return typeof status === "number" ? status : undefined;
}

/** Runs one store operation and returns how many times the client retried a request in it; failures go through `onError` with that count. */
export async function countingRetries<T>(operation: () => Promise<T>, onError: (error: unknown, retries: number) => Error): Promise<{ value: T; retries: number }> {
  const counter = { retries: 0 };
  try {
    const value = await retryCount.run(counter, operation);
    return { value, retries: counter.retries };
  } catch (error) {
    throw onError(error, counter.retries);
  }
}

const statusOf = httpStatus;

/** The object's live generation, or 0 when there is none (GCS's "does not exist" precondition). */
async function liveGeneration(file: File): Promise<number> {
  try {
    const [metadata] = await file.getMetadata();
    return Number(metadata.generation);
  } catch (error) {
    if (statusOf(error) === 404) return 0;
    throw error;
  }
}

/**
 * Replaces the object with `data` if it is still the version read just
 * before (or still absent), so a retried request can never clobber a newer
 * write. A 412 after a retry can mean that an earlier attempt landed and only
 * its response was lost: the live object's md5 tells ours from someone else's.
 * `data` is bytes or a function that opens the source again for each attempt.
 */
export async function saveReplacing(
  file: File,
  data: SaveData,
  options: { md5Hash: string; contentType: string | undefined; resumable: boolean; chunkSize?: number; stallMs?: number },
): Promise<void> {
  const ifGenerationMatch = await liveGeneration(file);
  let progressAt = Date.now();
  try {
    const saving = file.save(data, {
      resumable: options.resumable,
      chunkSize: options.resumable && options.chunkSize ? options.chunkSize : undefined,
      validation: false,
      preconditionOpts: { ifGenerationMatch },
      metadata: { contentType: options.contentType, md5Hash: options.md5Hash },
      onUploadProgress: () => void (progressAt = Date.now()),
    });
    await (options.stallMs ? unlessStalled(saving, options.stallMs, () => progressAt) : saving);
  } catch (error) {
    if (statusOf(error) !== 412) throw error;
    const [metadata] = await file.getMetadata().catch(() => [null]);
    if (metadata?.md5Hash === options.md5Hash) return;
    throw new Error(`the object changed while this write was in flight (another writer?); left as it is`, { cause: error });
  }
}

/**
 * Under Node.js 24, @google-cloud/storage 7.22 can leave a chunked resumable
 * upload hanging for good after a 503/429 on a chunk or after its last retry
 * (seen through the fault proxy, test/gcs-resumable.test.ts; Node 20 settles).
 * An upload that sends no byte for `stallMs` is given up here, so a clip
 * fails or is retried instead of holding its game forever.
 */
export class UploadStalledError extends Error {}

function unlessStalled(saving: Promise<unknown>, stallMs: number, progressAt: () => number): Promise<unknown> {
  saving.catch(() => undefined);
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (Date.now() - progressAt() < stallMs) return;
      clearInterval(timer);
      reject(new UploadStalledError(`no upload progress for ${Math.round(stallMs / 1000)} s`));
    }, Math.min(1000, stallMs / 4));
    saving.then(resolve, reject).finally(() => clearInterval(timer));
  });
}

/** Runs a write again, as a new upload, when it stalled; counted as a retry. */
export async function retryingStalls<T>(write: () => Promise<T>, attempts: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof UploadStalledError) || attempt >= attempts) throw error;
      const counter = retryCount.getStore();
      if (counter) counter.retries++;
    }
  }
}

/** Deletes the generation seen just before, so a retry never deletes a newer object. */
export async function deleteSeen(file: File): Promise<void> {
  const ifGenerationMatch = await liveGeneration(file);
  if (ifGenerationMatch === 0) return;
  try {
    await file.delete({ ifGenerationMatch, ignoreNotFound: true });
  } catch (error) {
    if (statusOf(error) === 412) throw new Error("the object was replaced while it was being deleted; left as it is", { cause: error });
    throw error;
  }
}

export const md5Base64 = (data: Buffer): string => createHash("md5").update(data).digest("base64");

export async function md5OfFile(file: string): Promise<string> {
  const hash = createHash("md5");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("base64");
}
