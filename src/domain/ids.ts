import { ValidationError } from "./errors.js";

// Ids become object keys and file names, so only characters that are safe in
// both are allowed: no slashes, no "..", no leading dot or dash.
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !id.includes("..");
}

export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** Throws a ValidationError naming the kind of id when it cannot become a path segment. */
export function assertSafeId(kind: "game id" | "play id" | "run id", id: string): string {
  if (!isSafeId(id)) {
    throw new ValidationError(
      `${kind} ${JSON.stringify(id)} is not usable as a path: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'`,
    );
  }
  return id;
}

declare const GAME_ID: unique symbol;

/**
 * A game id parsed at an edge (CLI, HTTP body, queue payload, a source's
 * rows): usable as a path segment, and a UUID always in lower case, so one
 * game is one folder, one job and one run whatever case it arrived in.
 */
export type GameId = string & { readonly [GAME_ID]: true };

/** The canonical text of a game id: a UUID in lower case, anything else as given. Checks nothing. */
export function normalizeGameId(text: string): string {
  return UUID.test(text) ? text.toLowerCase() : text;
}

/** A game id from outside; ValidationError when it cannot name a folder. Idempotent. */
export function parseGameId(raw: unknown): GameId {
  if (typeof raw !== "string") throw new ValidationError(`game id ${JSON.stringify(raw)} must be text`);
  return assertSafeId("game id", normalizeGameId(raw)) as GameId;
}

/** A game id where the original's contract demands a UUID (the HTTP body, batch). */
export function parseGameUuid(raw: unknown): GameId {
  if (typeof raw !== "string" || !isUuid(raw)) {
    throw new ValidationError(`game_id must be a UUID string, got ${JSON.stringify(raw)?.slice(0, 80) ?? String(raw)}`);
  }
  return raw.toLowerCase() as GameId;
}
