import type { Readable } from "node:stream";

export interface ObjectInfo {
  key: string;
  size: number;
}

/** Inclusive byte range, as in an HTTP Range header; `end` omitted reads to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** What a write publishes: a local file (streamed, never loaded whole), or bytes. */
export type WriteBody = { file: string } | Buffer | string;

/**
 * A bucket-like store of objects under '/'-separated keys (a local folder, GCS).
 * Writes are atomic: a reader sees the whole new object or none of it.
 * Keys are validated: a key that is absolute, empty, or has '.'/'..' segments
 * is rejected with StoreError code "invalid_key".
 */
export interface ObjectStore {
  /** Short name used in messages, e.g. "local:/data/out" or "gs://bucket" (never a secret). */
  readonly name: string;
  /** Size of the object, or null when there is none. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** A stream of the object's bytes, or of one range of them. Missing: StoreError "not_found". */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Publishes the object whole, replacing any earlier one. */
  write(key: string, body: WriteBody, options?: { contentType?: string }): Promise<ObjectInfo>;
  /** Objects whose key starts with the prefix, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>;
  /** The address people and other tools use for the object: file:///…, gs://… */
  uri(key: string): string;
  /** Optional: removes the object; missing objects are not an error. */
  delete?(key: string): Promise<void>;
  /** Optional: a local file path ffmpeg can open directly, when the store is a folder. */
  localPath?(key: string): string;
}
