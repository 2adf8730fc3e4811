import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { reportThumbKey } from "../domain/layout.js";
import type { ClipRecord } from "../domain/types.js";
import { causeText, runMediaTool } from "../extraction/run.js";
import type { MediaTools } from "../extraction/tools.js";
import { createPool, type Pool } from "../pipeline/pool.js";
import type { ObjectStore } from "../stores/object-store.js";
import { planFrames, thumbName, thumbnailArgs, type FramePlan } from "./frames.js";

export interface ThumbnailOptions {
  store: ObjectStore;
  /** The thumbnail keys already in the store (one listing); null for a store that cannot list (each is then looked up). */
  existing: ReadonlySet<string> | null;
  tools: MediaTools;
  /** The shared ffmpeg pool: thumbnails queue behind, never beside, the clip cuts of a run. */
  pool: Pool;
  tempDir: string;
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (progress: ThumbnailProgress) => void;
}

export interface ThumbnailProgress {
  done: number;
  total: number;
  made: number;
  cached: number;
  failed: number;
}

/** A clip's thumbnails, file names relative to the report's folder; or why there are none. */
export type ClipThumbnails =
  | { key: string; frames: Array<FramePlan & { file: string }> }
  | { key: string; error: string };

// Hashing and fetching clips wait on the store, not the CPU: a few overlap.
const CLIPS_IN_FLIGHT = 8;

/**
 * Thumbnails for every good clip of a game. Each is named by the clip's
 * content hash, so a rerun over unchanged clips finds them all and runs no
 * ffmpeg; a clip that cannot be thumbnailed is reported, not thrown.
 */
export async function makeThumbnails(gameId: string, clips: readonly ClipRecord[], options: ThumbnailOptions): Promise<Map<string, ClipThumbnails>> {
  const wanted = clips.filter((clip) => clip.status === "ok");
  const progress: ThumbnailProgress = { done: 0, total: wanted.length, made: 0, cached: 0, failed: 0 };
  options.onProgress?.({ ...progress });
  const inFlight = createPool(CLIPS_IN_FLIGHT);
  const making: InProgress = new Map();
  const results = await Promise.all(
    wanted.map((clip) =>
      inFlight.run(async () => {
        const outcome = await clipThumbnails(gameId, clip, making, options).catch(
          (error: unknown) => ({ thumbs: { key: clip.key, error: causeText(error) }, made: false }),
        );
        progress.done += 1;
        if ("error" in outcome.thumbs) progress.failed += 1;
        else if (outcome.made) progress.made += 1;
        else progress.cached += 1;
        options.onProgress?.({ ...progress });
        return outcome.thumbs;
      }),
    ),
  );
  return new Map(results.map((thumbs) => [thumbs.key, thumbs]));
}

async function allExist(store: ObjectStore, keys: readonly string[], existing: ReadonlySet<string> | null): Promise<boolean> {
  if (existing) return keys.every((key) => existing.has(key));
  const found = await Promise.all(keys.map((key) => store.stat(key)));
  return found.every((info) => info !== null);
}

/** Thumbnails of one content hash being made in this run: identical clips share one ffmpeg run. */
type InProgress = Map<string, Promise<void>>;

async function clipThumbnails(
  gameId: string,
  clip: ClipRecord,
  making: InProgress,
  options: ThumbnailOptions,
): Promise<{ thumbs: ClipThumbnails; made: boolean }> {
  const dir = await mkdtemp(join(options.tempDir, "playclips-thumbs-"));
  try {
    const { store, existing } = options;
    const local = store.localPath?.(clip.key);
    const plan = planFrames(clip);
    const named = (hash: string): ClipThumbnails => ({ key: clip.key, frames: plan.map((frame) => ({ ...frame, file: `thumbs/${thumbName(hash, frame.kind)}` })) });
    const keysOf = (hash: string): string[] => plan.map((frame) => reportThumbKey(gameId, thumbName(hash, frame.kind)));
    // A bucket that keeps each object's md5 (GCS) names the thumbnails without a read:
    // a rerun over unchanged clips reads no clip bytes.
    const known = local ? undefined : (await store.stat(clip.key))?.md5;
    if (known !== undefined && (await allExist(store, keysOf(known), existing))) return { thumbs: named(known), made: false };
    // Otherwise the clip is read once: hashed, and for a bucket copied to the temp file ffmpeg reads.
    const input = local ?? join(dir, "clip.mp4");
    const hash = await md5Of(await store.read(clip.key), local ? null : input);
    const thumbs = named(hash);
    const keys = keysOf(hash);
    if (await allExist(store, keys, existing)) return { thumbs, made: false };
    const running = making.get(hash);
    if (running) {
      await running;
      return { thumbs, made: false };
    }
    const made = (async () => {
      const outputs = plan.map((_, i) => join(dir, `frame-${i}.jpg`));
      const args = thumbnailArgs(input, plan, outputs, clip.actualDuration ?? clip.requestedDuration);
      await options.pool.run(() => runMediaTool(options.tools.ffmpeg, args, { timeoutMs: options.timeoutMs, signal: options.signal }));
      for (const [i, key] of keys.entries()) await store.write(key, { file: outputs[i] ?? "" }, { contentType: "image/jpeg" });
    })();
    making.set(hash, made);
    await made;
    return { thumbs, made: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The md5 of a stream as hex; with `copyTo`, the bytes are also written to that file. */
async function md5Of(stream: NodeJS.ReadableStream, copyTo: string | null): Promise<string> {
  const hash = createHash("md5");
  if (copyTo === null) {
    for await (const chunk of stream) hash.update(chunk as Buffer);
    return hash.digest("hex");
  }
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  await pipeline(stream, tap, createWriteStream(copyTo));
  return hash.digest("hex");
}
