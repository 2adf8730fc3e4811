import { StoreError } from "../domain/errors.js";
import type { ByteRange } from "./object-store.js";

// One set of key rules for every store, so a key that works against the local
// folder in a demo also works against GCS in production, and the other way round.

/** GCS's own limit; a longer key could never be mirrored to a bucket. */
export const MAX_KEY_BYTES = 1024;

// In /u mode a proper surrogate pair is one code point, so this only matches
// halves that cannot be encoded as UTF-8 (the store would write other bytes).
const LONE_SURROGATE = /[\ud800-\udfff]/u;

// C0, DEL and C1 controls: invisible in logs and invalid or risky in file names.
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }
  return false;
}

/**
 * True for a file name the local store uses for an in-progress write
 * (`.<name>.<random>.partial`). Such segments are refused as keys everywhere,
 * so a temp file can never be mistaken for, or collide with, an object.
 */
export function isReservedSegment(segment: string): boolean {
  return segment.length > ".partial".length && segment.startsWith(".") && segment.endsWith(".partial");
}

/** Why the text is unusable as (part of) a key, or null when it is fine. */
function textProblem(text: string): string | null {
  if (text.startsWith("/")) return "starts with '/' (keys are relative to the bucket)";
  if (text.includes("\\")) return "contains '\\' (use '/' between segments)";
  if (hasControlCharacter(text)) return "contains a control character";
  if (LONE_SURROGATE.test(text)) return "contains a lone UTF-16 surrogate (not valid UTF-8)";
  if (Buffer.byteLength(text, "utf8") > MAX_KEY_BYTES) return `is longer than ${MAX_KEY_BYTES} bytes`;
  return null;
}

function segmentProblem(segment: string): string | null {
  if (segment === "") return "has an empty segment ('//', or a trailing '/')";
  if (segment === "." || segment === "..") return `has a '${segment}' segment`;
  if (isReservedSegment(segment)) return `has a segment '${segment}' reserved for in-progress writes ('.<name>.partial')`;
  return null;
}

function keyProblem(key: string): string | null {
  if (key === "") return "is empty";
  const problem = textProblem(key);
  if (problem) return problem;
  for (const segment of key.split("/")) {
    const bad = segmentProblem(segment);
    if (bad) return bad;
  }
  return null;
}

/** Whether `key` passes assertValidKey; for filtering names found on disk. */
export function isValidKey(key: string): boolean {
  return keyProblem(key) === null;
}

/**
 * Returns the key unchanged, or throws StoreError "invalid_key" naming it.
 * A key is 1-1024 UTF-8 bytes of '/'-separated, non-empty segments; no
 * segment is '.', '..' or a reserved temp name; no leading '/', '\\' or
 * control characters.
 */
export function assertValidKey(storeName: string, key: string): string {
  const problem = typeof key === "string" ? keyProblem(key) : "is not a string";
  if (problem) {
    throw new StoreError(storeName, "invalid_key", `object key ${JSON.stringify(key)} ${problem}`);
  }
  return key;
}

/**
 * Returns the prefix unchanged, or throws StoreError "invalid_key" naming it.
 * '' lists everything. The text after the last '/' is a partial name and may
 * be anything (even '' or '.'); every segment before it must be a valid key
 * segment, since no key could start with an invalid one.
 */
export function assertValidPrefix(storeName: string, prefix: string): string {
  let problem: string | null = typeof prefix === "string" ? textProblem(prefix) : "is not a string";
  if (!problem) {
    const complete = prefix.split("/").slice(0, -1);
    for (const segment of complete) {
      problem = segmentProblem(segment);
      if (problem) break;
    }
  }
  if (problem) {
    throw new StoreError(storeName, "invalid_key", `list prefix ${JSON.stringify(prefix)} ${problem}`);
  }
  return prefix;
}

/**
 * The inclusive [start, end] a ranged read returns from an object of `size`
 * bytes, with `end` clamped to the last byte as HTTP servers do. Throws
 * StoreError "io" when the range is malformed, or starts at or past the end
 * of the object (HTTP 416): both are caller bugs that must not pass as empty data.
 */
export function resolveRange(
  storeName: string,
  key: string,
  range: ByteRange,
  size: number,
): { start: number; end: number } {
  const { start, end } = range;
  const wellFormed =
    Number.isSafeInteger(start) && start >= 0 && (end === undefined || (Number.isSafeInteger(end) && end >= start));
  if (!wellFormed) {
    throw new StoreError(
      storeName,
      "io",
      `byte range ${JSON.stringify(range)} for ${JSON.stringify(key)} is malformed: use whole offsets with 0 <= start <= end`,
    );
  }
  if (start >= size) {
    throw new StoreError(
      storeName,
      "io",
      `byte range starting at ${start} is past the end of ${JSON.stringify(key)} (${size} bytes): start must be below the size`,
    );
  }
  return { start, end: Math.min(end ?? size - 1, size - 1) };
}
