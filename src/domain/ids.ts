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
export function assertSafeId(kind: "game id" | "play id", id: string): string {
  if (!isSafeId(id)) {
    throw new ValidationError(
      `${kind} ${JSON.stringify(id)} is not usable as a path: use 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit, without '..'`,
    );
  }
  return id;
}
