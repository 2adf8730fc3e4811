/**
 * Errors in layers: each domain throws its own kind with a cause, and messages
 * say what was wrong, with which input, and what to do.
 */
export class PlayclipsError extends Error {
  constructor(
    readonly domain: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[${domain}] ${message}`, options);
    this.name = "PlayclipsError";
  }
}

/** Wrong input from a user or caller: flags, config, ids. */
export class ValidationError extends PlayclipsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("input", message, options);
    this.name = "ValidationError";
  }
}

/** An object store failed; `code` lets callers tell a missing object from a broken store. */
export class StoreError extends PlayclipsError {
  constructor(
    store: string,
    readonly code: "not_found" | "invalid_key" | "io",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(store, message, options);
    this.name = "StoreError";
  }
}

/** A play source could not be read at all (not a bad row: those are data). */
export class PlaySourceError extends PlayclipsError {
  constructor(source: string, message: string, options?: { cause?: unknown }) {
    super(source, message, options);
    this.name = "PlaySourceError";
  }
}

/** ffmpeg or ffprobe failed, timed out, or is not installed. */
export class MediaError extends PlayclipsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("ffmpeg", message, options);
    this.name = "MediaError";
  }
}

/**
 * The message of an error, or of the first inner error that has one: a
 * driver's AggregateError (pg trying IPv4 and IPv6) has an empty message of
 * its own, which would leave the user with nothing to go on.
 */
export function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== "") return error.message;
  const inner = error instanceof AggregateError ? (error.errors as unknown[])[0] : error.cause;
  if (inner !== undefined && inner !== error) return errorMessage(inner);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : error.name;
}
