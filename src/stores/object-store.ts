import type { Readable } from "node:stream";

export interface ObjectInfo {
  key: string;
  size: number;
  /** From write: requests the store retried to publish it (transient errors), when it retries. */
  retries?: number;
  /**
   * Optional: the MD5 of the object's bytes as lowercase hex, when the store
   * knows it without reading them (GCS keeps it in the object's metadata; a
   * composite object has none). Absent: read the object to hash it.
   */
  md5?: string;
}

/**
 * Inclusive byte range, as in an HTTP Range header; `end` omitted reads to the end.
 * An `end` past the last byte is clamped to it. A malformed range (negative,
 * fractional, end < start) or one starting at or past the object's size
 * (including any range of an empty object) is StoreError "io", like HTTP 416.
 */
export interface ByteRange {
  start: number;
  end?: number;
}

/** A small object's bytes and the version a conditional write can name. */
export interface VersionedObject {
  body: Buffer;
  /** Opaque: the GCS generation, or a local file's content hash. */
  version: string;
}

/** What a write publishes: a local file (streamed, never loaded whole), or bytes. */
export type WriteBody = { file: string } | Buffer | string;

/**
 * A bucket-like store of objects under '/'-separated keys (a local folder, GCS).
 * Four required methods, what every caller needs; the rest are optional
 * capabilities a caller tests for (`if (store.delete)`), as unstorage's
 * drivers do. Wrap a store with wrapStore, which keeps every capability.
 * Writes are atomic: a reader sees the whole new object or none of it.
 * Keys are validated: a key that is absolute, empty, or has '.'/'..' segments
 * is rejected with StoreError code "invalid_key" (full rules: keys.ts
 * assertValidKey — also empty segments, '\\', control characters, over 1024
 * bytes, and '.<name>.partial' segments reserved for in-progress writes).
 */
export interface ObjectStore {
  /** Short name used in messages, e.g. "local:/data/out" or "gs://bucket" (never a secret). */
  readonly name: string;
  /** Size of the object, or null when there is none. */
  stat(key: string): Promise<ObjectInfo | null>;
  /**
   * A stream of the object's bytes, or of one range of them. Missing: StoreError "not_found".
   * The stream shows one version whole, even if the object is overwritten meanwhile.
   */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Publishes the object whole, replacing any earlier one; returns its size in bytes.
   * A failed write (e.g. a `file` that cannot be read: StoreError "io") leaves
   * the earlier object, or none, and nothing partial visible.
   */
  write(key: string, body: WriteBody, options?: { contentType?: string }): Promise<ObjectInfo>;
  /** The address people and other tools use for the object: file:///…, gs://… */
  uri(key: string): string;
  /**
   * Optional: objects whose key starts with the prefix ('' for all), sorted by
   * the keys' UTF-8 bytes. The prefix is plain text, not a folder: "clips/p1_"
   * matches "clips/p1_wide.mp4" but not "clips/p10_wide.mp4".
   */
  list?(prefix: string): Promise<ObjectInfo[]>;
  /** Optional: removes the object; a missing object is not an error. */
  delete?(key: string): Promise<void>;
  /**
   * Optional (compare-and-swap for small control objects, docs/manifest-and-reruns.md):
   * the object's bytes with its version, or null when there is none.
   */
  readVersioned?(key: string): Promise<VersionedObject | null>;
  /**
   * Optional: publishes the object only if it is still at `expected` (null: only
   * if there is none), atomically with respect to other such writes. Returns the
   * new version, or null when the precondition failed and nothing was written.
   */
  writeIfVersion?(key: string, body: string, expected: string | null, options?: { contentType?: string }): Promise<string | null>;
  /**
   * Optional: which version of the object this is, as the store tells it
   * (GCS generation; size and mtime for a folder), or null when there is none.
   * Recorded with what is made from it, so a later reader can tell it changed.
   */
  identify?(key: string): Promise<string | null>;
  /** Optional: a local file path ffmpeg can open directly, when the store is a folder. */
  localPath?(key: string): string;
}

/** A store that can list and delete: both stores here are, and the contract suite checks both. */
export type ListingStore = ObjectStore & Required<Pick<ObjectStore, "list" | "delete">>;

/**
 * The store with some methods replaced; every other method, optional ones
 * included (and any added later), still reaches the store, so a wrapper can
 * never drop a capability by forgetting to forward it.
 */
export function wrapStore<S extends ObjectStore>(store: S, overrides: Partial<ObjectStore>): S {
  return new Proxy(store, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return (overrides as Record<PropertyKey, unknown>)[prop];
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
