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

/**
 * A run was cancelled (shutdown grace over, SIGTERM, a queue job expired, its
 * lease taken over): nothing of it is published after this. Entry points map
 * it to their answer (HTTP 503, a job handed back); it is never a game result.
 */
export class RunCancelledError extends PlayclipsError {
  constructor(
    readonly gameId: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super("run", `game ${gameId}: run cancelled (${reason}); nothing of it was published after that`, options);
    this.name = "RunCancelledError";
  }
}

/** Another live run holds the game's lease (its heartbeat is fresh): this one did not start. */
export class GameBusyError extends PlayclipsError {
  constructor(
    readonly gameId: string,
    readonly runId: string,
    readonly heartbeatAgeMs: number,
  ) {
    super(
      "run",
      `game ${gameId} is already being processed by run ${runId} (last heartbeat ${Math.round(heartbeatAgeMs / 1000)} s ago): wait for it, or retry once its heartbeat is stale`,
    );
    this.name = "GameBusyError";
  }
}
