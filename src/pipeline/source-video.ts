import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { RangeStats } from "../extraction/range/block-cache.js";
import { serveObjectRanges, type RangeServerOptions } from "../extraction/range/range-server.js";
import type { ObjectStore } from "../stores/object-store.js";

/** How a camera video in a bucket reaches ffmpeg; see docs/range-reads.md. */
export const FETCH_MODES = ["auto", "range", "full"] as const;
export type FetchMode = (typeof FETCH_MODES)[number];

/** How a run reads camera videos from a bucket: the pipeline's part for it. */
export interface SourceReads {
  fetch: FetchMode;
  /** Memory for each opened video's range cache, in bytes. */
  cacheBytes: number;
}

export interface OpenSourceOptions {
  /** Default "auto": ranged reads unless the clips cover much of the video. */
  fetch?: FetchMode;
  /** Fraction (0..1) of the video's duration the clips cover, when already known. */
  coverage?: number;
  /** Memory for the range cache per opened video; default DEFAULT_CACHE_BYTES. */
  cacheBytes?: number;
  /** At or above this coverage "auto" downloads whole; default DENSE_COVERAGE. */
  denseCoverage?: number;
  /** Block size, retries, read-ahead of the range server (tests and benchmarks tune these). */
  range?: Omit<RangeServerOptions, "budgetBytes">;
}

/** A camera video opened for ffmpeg: a path or URL it can read, and how to let it go. */
export interface OpenedVideo {
  input: string;
  /** "local": read in place; "range": ranged reads via a loopback URL; "full": downloaded whole to temp disk. */
  fetch: "local" | "range" | "full";
  /** Bytes fetched from the store and served, for "range" only. */
  stats?(): RangeStats;
  /** For "range": the size of the mp4's index (moov), found by the range cache; 0 when none. */
  indexBytes?(): Promise<number>;
  /** For "range": ServedObject.expectRead, for CameraReads.expectRead. */
  expectRead?(fromByte: number, toByte: number): () => void;
  /**
   * The video to cut from once the clips' coverage is known (after probing,
   * which works on the range URL too): this one, or for "auto" with dense
   * coverage a full download that replaces it (this one is then released).
   * If that download fails the ranged reads carry on.
   */
  forCoverage(coverage: number): Promise<OpenedVideo>;
  /**
   * For "range": every clip has started its cut, so the cache keeps only
   * TAIL_CACHE_BYTES for their read-ahead; the next camera's cache and index
   * then take the place of this one's instead of coming on top of it.
   */
  shrink?(): void;
  release(): Promise<void>;
}

/**
 * What a camera's range cache keeps once its last clips are under way: their
 * read-ahead (a few 1 MiB blocks each), not the blocks and the moov that only
 * clips yet to start would read again. At 4 h the moov alone is ~19 MB.
 */
export const TAIL_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Dense coverage: at or above it "auto" downloads whole. Below it ranged reads
 * fetch far fewer bytes; above it the bounded cache starts evicting blocks
 * that overlapping plays need again, and one sequential stream is cheaper than
 * thousands of block requests. Reasoning and numbers: docs/range-reads.md.
 */
export const DENSE_COVERAGE = 0.5;

/**
 * Gives ffmpeg access to a camera video. A folder store hands over its file
 * as is. Any other store is served over loopback HTTP with ranged reads
 * through a shared block cache ("range"), or downloaded whole to temp disk
 * ("full", the original design's way).
 */
export async function openSourceVideo(
  store: ObjectStore,
  key: string,
  tempDir: string,
  options: OpenSourceOptions = {},
): Promise<OpenedVideo> {
  const mode = options.fetch ?? "auto";
  const dense = options.denseCoverage ?? DENSE_COVERAGE;
  if (store.localPath) {
    const local: OpenedVideo = {
      input: store.localPath(key),
      fetch: "local",
      forCoverage: async () => local,
      release: async () => {},
    };
    return local;
  }
  const full = mode === "full" || (mode === "auto" && options.coverage !== undefined && options.coverage >= dense);
  if (full) return download(store, key, tempDir);

  const served = await serveObjectRanges(store, key, { ...options.range, budgetBytes: options.cacheBytes });
  const ranged: OpenedVideo = {
    input: served.url,
    fetch: "range",
    stats: () => served.stats(),
    indexBytes: () => served.indexBytes(),
    expectRead: (fromByte, toByte) => served.expectRead({ start: fromByte, end: toByte }),
    shrink: () => served.shrink(TAIL_CACHE_BYTES),
    async forCoverage(coverage) {
      if (mode !== "auto" || !(coverage >= dense)) return ranged;
      const whole = await download(store, key, tempDir).catch(() => null);
      if (!whole) return ranged;
      await served.close();
      return whole;
    },
    release: () => served.close(),
  };
  return ranged;
}

async function download(store: ObjectStore, key: string, tempDir: string): Promise<OpenedVideo> {
  const dir = await mkdtemp(join(tempDir, "playclips-source-"));
  const release = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const file = join(dir, "source.mp4");
    await pipeline(await store.read(key), createWriteStream(file));
    const whole: OpenedVideo = { input: file, fetch: "full", forCoverage: async () => whole, release };
    return whole;
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Fraction of [0, duration] covered by the union of the spans (plays in
 * seconds from the video's first timestamp); overlaps count once.
 */
export function coverageOf(spans: ReadonlyArray<{ start: number; end: number }>, duration: number): number {
  if (!(duration > 0)) return 0;
  const clipped = spans
    .map((s) => ({ start: Math.max(0, s.start), end: Math.min(duration, s.end) }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start);
  let covered = 0;
  let reach = 0;
  for (const span of clipped) {
    const from = Math.max(span.start, reach);
    if (span.end > from) covered += span.end - from;
    reach = Math.max(reach, span.end);
  }
  return Math.min(1, covered / duration);
}
