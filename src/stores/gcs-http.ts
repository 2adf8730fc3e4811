import { PassThrough, type Readable } from "node:stream";
import { errorMessage } from "../domain/errors.js";

// Small helpers of the GCS store: status codes, redacted causes, the first response of a download.

export const statusOf = (error: unknown): unknown => (error as { code?: unknown } | null)?.code;

// Library errors carry the HTTP request (with its Authorization header) and
// responses; only a redacted message goes into ours, so logging them is safe.
export function safeCause(error: unknown): Error {
  const message = errorMessage(error)
    .replace(/(bearer\s+|access_token["'=:\s]+)[^\s"'&,]+/gi, "$1[redacted]")
    .slice(0, 500);
  return Object.assign(new Error(message), { code: statusOf(error) });
}

// Resolves with the HTTP status once the download starts; the request only starts on a read.
export function firstResponse(source: Readable): Promise<number> {
  return new Promise((resolve, reject) => {
    const onResponse = (response: { statusCode?: number }): void => {
      source.off("error", onError);
      resolve(response.statusCode ?? 0);
    };
    const onError = (error: unknown): void => {
      source.off("response", onResponse);
      reject(error);
    };
    source.once("response", onResponse);
    source.once("error", onError);
    source.read(0);
  });
}

// Download errors surface mid-stream: a reader gets them mapped (to StoreErrors) there too.
export function guardStream(source: Readable, mapError: (error: unknown) => Error): Readable {
  const out = new PassThrough();
  source.on("error", (error: unknown) => out.destroy(mapError(error)));
  out.on("close", () => source.destroy());
  source.pipe(out);
  return out;
}
