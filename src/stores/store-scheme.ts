import type { ObjectStore } from "./object-store.js";

/** What opening a location may need beyond the location itself. */
export interface StoreContext {
  /** Relative folders are resolved against it. */
  cwd: string;
  /** A GCS API endpoint (an emulator). */
  gcsEndpoint?: string;
}

/**
 * How one kind of store is named by a location string ("gs://…", a folder).
 * Each store file exports its scheme; stores/registry.ts lists them.
 */
export interface StoreScheme {
  /** The location's form, for messages: "gs://bucket[/prefix]". */
  example: string;
  matches(location: string): boolean;
  /** Parses the location (a ValidationError says what is wrong with it) and opens the store. */
  open(location: string, context: StoreContext): Promise<ObjectStore>;
}
