import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ObjectStore } from "../stores/object-store.js";

/** A camera video opened for ffmpeg: a path or URL it can read, and how to let it go. */
export interface OpenedVideo {
  input: string;
  /** "local": read in place; "full": downloaded whole to temp disk first. */
  fetch: "local" | "full";
  release(): Promise<void>;
}

/**
 * Gives ffmpeg access to a camera video. A folder store hands over its file
 * as is; any other store is downloaded whole to temp disk, as the original does.
 * (Reading only the byte ranges the clips need is the speed issue's seam: it
 * replaces the "full" branch, not the callers.)
 */
export async function openSourceVideo(store: ObjectStore, key: string, tempDir: string): Promise<OpenedVideo> {
  if (store.localPath) {
    return { input: store.localPath(key), fetch: "local", release: async () => {} };
  }
  const dir = await mkdtemp(join(tempDir, "playclips-source-"));
  const release = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const file = join(dir, "source.mp4");
    await pipeline(await store.read(key), createWriteStream(file));
    return { input: file, fetch: "full", release };
  } catch (error) {
    await release();
    throw error;
  }
}
