import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMoov } from "../src/extraction/range/mp4-index.js";
import { serveObjectRanges } from "../src/extraction/range/range-server.js";
import { mediaInputOptions } from "../src/extraction/input-options.js";
import { createLocalStore } from "../src/stores/local.js";
import type { ByteRange, ListingStore, ObjectStore } from "../src/stores/object-store.js";
import { FFMPEG, FFPROBE, makeTestVideo } from "./helpers/media.js";

// Issue 13: a 4 h camera's moov (19 MB) is bigger than the protected half of
// the 32 MiB range cache, so every ffmpeg process fetched the index again. The
// same shape at test size: 4 KiB blocks and an 8-block cache (a 4-block
// protected half) against a moov of ~9 blocks.
const execFileAsync = promisify(execFile);
const KiB = 1024;
const BLOCK = 4 * KiB;
const BUDGET = 8 * BLOCK;
const KEY = "Games/g1/FAR_LEFT.mp4";

let dir = "";
let local: ListingStore;
let file = "";

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-range-index-"));
  local = createLocalStore({ root: join(dir, "store") });
  file = join(dir, "camera.mp4");
  await makeTestVideo(file, { seconds: 60, faststart: false });
  await local.write(KEY, { file });
});
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** The folder store as a bucket (no localPath), counting store reads per block start. */
function counted(inner: ObjectStore): ObjectStore & { reads: Map<number, number> } {
  const reads = new Map<number, number>();
  return {
    name: "counted", reads, uri: (k) => inner.uri(k), stat: (k) => inner.stat(k), write: (k, b) => inner.write(k, b),
    read(key: string, range?: ByteRange): Promise<Readable> {
      const start = range?.start ?? 0;
      reads.set(start, (reads.get(start) ?? 0) + 1);
      return inner.read(key, range);
    },
  };
}

describe("an mp4 index bigger than the cache's protected half", () => {
  it("finds the moov from the top-level boxes, and nothing in bytes that are not an mp4", async () => {
    const bytes = await readFile(file);
    const readAt = async (offset: number, length: number): Promise<Buffer> => bytes.subarray(offset, offset + length);
    const moov = await findMoov(readAt, bytes.length);
    expect(moov?.end).toBe(bytes.length - 1);
    expect(bytes.toString("latin1", (moov?.start ?? 0) + 4, (moov?.start ?? 0) + 8)).toBe("moov");
    const notMp4 = Buffer.from(bytes);
    notMp4.write("free", 4, "latin1");
    expect(await findMoov(async (o, l) => notMp4.subarray(o, o + l), notMp4.length)).toBeNull();
    // A box claiming more bytes than the object holds: malformed, so no index.
    const cut = bytes.subarray(0, bytes.length - 10);
    expect(await findMoov(async (o, l) => cut.subarray(o, o + l), cut.length)).toBeNull();
  });

  it("fetches each index block once for a probe and four concurrent clips, within a bounded budget", async () => {
    const store = counted(local);
    const served = await serveObjectRanges(store, KEY, { blockBytes: BLOCK, budgetBytes: BUDGET });
    try {
      const bytes = await readFile(file);
      const moov = await findMoov(async (o, l) => bytes.subarray(o, o + l), bytes.length);
      if (!moov) throw new Error("the fixture has no moov");
      const indexBlocks = Math.floor(moov.end / BLOCK) - Math.floor(moov.start / BLOCK) + 1;
      expect(indexBlocks * BLOCK).toBeGreaterThan(BUDGET / 2);

      const input = [...mediaInputOptions(served.url), "-i", served.url];
      await execFileAsync(FFPROBE, ["-v", "error", "-show_format", ...input]);
      await Promise.all([5, 17, 31, 44].map((start, i) =>
        execFileAsync(FFMPEG, ["-v", "error", "-y", "-ss", String(start), ...input, "-t", "4", "-c", "copy", join(dir, `clip${i}.mp4`)])));

      for (let index = Math.floor(moov.start / BLOCK); index <= Math.floor(moov.end / BLOCK); index++) {
        expect([index, store.reads.get(index * BLOCK)]).toEqual([index, 1]);
      }
      expect(store.reads.get(0)).toBe(1);
      const stats = served.stats();
      // The index is kept on top of the budget, no more.
      expect(stats.keptIndexBytes).toBe((indexBlocks + 1) * BLOCK);
      expect(stats.budgetBytes).toBe(stats.keptIndexBytes + BUDGET);
      expect(stats.peakCachedBytes).toBeLessThanOrEqual(stats.budgetBytes);
    } finally {
      await served.close();
    }
  });

  it("shrinks for a camera's tail: lets the index and all but its last blocks go, pins nothing again, and still serves every byte", async () => {
    const store = counted(local);
    const served = await serveObjectRanges(store, KEY, { blockBytes: BLOCK, budgetBytes: BUDGET });
    try {
      const input = [...mediaInputOptions(served.url), "-i", served.url];
      await execFileAsync(FFMPEG, ["-v", "error", "-y", "-ss", "5", ...input, "-t", "4", "-c", "copy", join(dir, "before.mp4")]);
      const kept = served.stats().keptIndexBytes;
      expect(kept).toBeGreaterThan(BUDGET / 2);
      expect(served.cachedBytes()).toBeGreaterThan(kept);

      served.shrink(2 * BLOCK);
      expect(served.cachedBytes()).toBeLessThanOrEqual(2 * BLOCK);
      expect(served.stats().budgetBytes).toBe(2 * BLOCK);

      // A reader after the shrink gets its bytes (the index fetched again) and the cache stays within 2 blocks.
      const bytes = await readFile(file);
      const moovStart = (await findMoov(async (o, l) => bytes.subarray(o, o + l), bytes.length))?.start ?? 0;
      const moovReads = (): number => [...store.reads.entries()].filter(([start]) => start + BLOCK > moovStart).reduce((n, [, c]) => n + c, 0);
      const readsBefore = moovReads();
      await execFileAsync(FFMPEG, ["-v", "error", "-y", "-ss", "5", ...input, "-t", "4", "-c", "copy", join(dir, "after.mp4")]);
      expect(moovReads()).toBeGreaterThan(readsBefore);
      expect(await readFile(join(dir, "after.mp4"))).toEqual(await readFile(join(dir, "before.mp4")));
      expect(served.cachedBytes()).toBeLessThanOrEqual(2 * BLOCK);
      expect(served.stats().peakCachedBytes).toBeLessThanOrEqual(kept + BUDGET);
    } finally {
      await served.close();
    }
  });
});
