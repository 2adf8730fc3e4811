import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../src/domain/errors.js";
import { serveObjectRanges, type RangeServerOptions, type ServedObject } from "../src/extraction/range/range-server.js";
import { cutExactClip } from "../src/extraction/cut.js";
import { mediaInputOptions } from "../src/extraction/input-options.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { probeMedia } from "../src/extraction/probe.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { coverageOf, openSourceVideo } from "../src/pipeline/source-video.js";
import { createGcsStore } from "../src/stores/gcs.js";
import { createLocalStore } from "../src/stores/local.js";
import type { ByteRange, ListingStore, ObjectInfo, ObjectStore, WriteBody } from "../src/stores/object-store.js";
import { startGcsEmulator } from "./helpers/gcs-emulator.js";
import { FFMPEG, FFPROBE, makeTestVideo } from "./helpers/media.js";

const execFileAsync = promisify(execFile);
const KiB = 1024;
const BLOCK = 64 * KiB;

// A real local store behind a decorator that counts reads per range start and can fail the
// next reads of a block, as a flaky network would. No localPath: it passes for a bucket.
class ObservedStore implements ObjectStore {
  readonly name: string;
  readonly reads = new Map<number, number>();
  readonly faults = new Map<number, { mode: "error" | "truncate" | "reset"; left: number }>();
  constructor(private readonly inner: ListingStore) {
    this.name = `observed:${inner.name}`;
  }
  readsOf = (start: number): number => this.reads.get(start) ?? 0;
  stat = (key: string): Promise<ObjectInfo | null> => this.inner.stat(key);
  async read(key: string, range?: ByteRange): Promise<Readable> {
    const start = range?.start ?? 0;
    this.reads.set(start, this.readsOf(start) + 1);
    const fault = this.faults.get(start);
    if (!fault || fault.left <= 0) return this.inner.read(key, range);
    fault.left--;
    if (fault.mode === "error") throw new StoreError(this.name, "io", "injected: connection reset");
    const real = await this.inner.read(key, range);
    const whole = Buffer.concat(await real.toArray());
    const half = whole.subarray(0, whole.length >> 1);
    if (fault.mode === "truncate") return Readable.from([half]);
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    return Readable.from((async function* () { yield half; throw reset; })());
  }
  write = (key: string, body: WriteBody): Promise<ObjectInfo> => this.inner.write(key, body);
  list = (prefix: string): Promise<ObjectInfo[]> => this.inner.list(prefix);
  uri = (key: string): string => this.inner.uri(key);
  delete = (key: string): Promise<void> => this.inner.delete(key);
}

let [dir, tools, local, bytes] = ["", {} as MediaTools, {} as ListingStore, Buffer.alloc(0)];
const [BYTES_KEY, BIG_KEY, SMALL_KEY] = ["blob/random.bin", "Games/g1/FAR_LEFT.mp4", "Games/g1/NEAR_RIGHT.mp4"];
const [bigFile, smallFile] = [(): string => join(dir, "store", BIG_KEY), (): string => join(dir, "store", SMALL_KEY)];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-range-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  local = createLocalStore({ root: join(dir, "store") });
  bytes = randomBytes(40 * BLOCK + 123);
  await local.write(BYTES_KEY, bytes);
  // Non-faststart (index at the end: the worst case); ~100 MB, so fixed costs stay a minor share.
  await Promise.all([
    makeTestVideo(join(dir, "big.mp4"), { seconds: 120, width: 1280, height: 720, faststart: false }),
    makeTestVideo(join(dir, "small.mp4"), { seconds: 10, faststart: false }),
  ]);
  await Promise.all([local.write(BIG_KEY, { file: join(dir, "big.mp4") }), local.write(SMALL_KEY, { file: join(dir, "small.mp4") })]);
});
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

// The random bytes, 64 KiB blocks, fast retries; closed whatever the test does.
async function withServer(store: ObjectStore, options: RangeServerOptions, test: (served: ServedObject) => Promise<void>): Promise<void> {
  const served = await serveObjectRanges(store, BYTES_KEY, { blockBytes: BLOCK, retryDelayMs: 1, ...options });
  await test(served).finally(() => served.close());
}

async function get(url: string, range?: string, method = "GET"): Promise<{ status: number; body: Buffer; headers: Headers }> {
  const response = await fetch(url, { method, headers: range ? { Range: range } : {} });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()), headers: response.headers };
}

async function expectRange(served: ServedObject, start: number, end: number): Promise<void> {
  const { status, body, headers } = await get(served.url, `bytes=${start}-${end}`);
  const last = Math.min(end, bytes.length - 1);
  expect([status, headers.get("content-range")]).toEqual([206, `bytes ${start}-${last}/${bytes.length}`]);
  expect(body.equals(bytes.subarray(start, last + 1))).toBe(true);
}

describe("the range server", () => {
  it("returns exactly the object's bytes for random ranges, block edges, the last byte; HEAD; 416", () =>
    withServer(local, {}, async (served) => {
      const size = bytes.length;
      const edges = [[0, 0], [BLOCK - 1, BLOCK], [BLOCK - 7, 3 * BLOCK + 7], [size - 1, size - 1], [size - 200, size + 5000]];
      for (const [a = 0, b = 0] of edges) await expectRange(served, a, b);
      for (let i = 0; i < 150; i++) {
        const a = Math.floor(Math.random() * size);
        await expectRange(served, a, a + Math.floor(Math.random() * 3 * BLOCK));
      }
      expect((await get(served.url, "bytes=-100")).body.equals(bytes.subarray(size - 100))).toBe(true);
      // An open-ended range gets a bounded 206: to the end of its block (openEndedBlocks 1), saying so.
      const tail = await get(served.url, `bytes=${size - BLOCK - 3}-`);
      expect([tail.status, tail.headers.get("content-range"), tail.headers.get("content-length")])
        .toEqual([206, `bytes ${size - BLOCK - 3}-${40 * BLOCK - 1}/${size}`, String(40 * BLOCK - (size - BLOCK - 3))]);
      expect(tail.body.equals(bytes.subarray(size - BLOCK - 3, 40 * BLOCK))).toBe(true);
      const last = await get(served.url, `bytes=${40 * BLOCK}-`);
      expect([last.headers.get("content-range"), last.body.equals(bytes.subarray(40 * BLOCK))]).toEqual([`bytes ${40 * BLOCK}-${size - 1}/${size}`, true]);
      const whole = await get(served.url);
      expect([whole.status, whole.headers.get("accept-ranges"), whole.body.equals(bytes)]).toEqual([200, "bytes", true]);
      const head = await get(served.url, "bytes=10-19", "HEAD");
      expect([head.status, head.headers.get("content-length"), head.body.length]).toEqual([206, "10", 0]);
      const headAll = await get(served.url, undefined, "HEAD");
      expect([headAll.status, headAll.headers.get("content-length")]).toEqual([200, String(size)]);
      const beyond = await get(served.url, `bytes=${size}-`);
      expect([beyond.status, beyond.headers.get("content-range")]).toEqual([416, `bytes */${size}`]);
    }));

  it("serves nothing without the exact token path, and only GET/HEAD", () =>
    withServer(local, {}, async (served) => {
      const { origin, pathname } = new URL(served.url);
      const [, token = "", name = ""] = pathname.split("/");
      const wrongToken = `${origin}/${token.replace(/^./, (c) => (c === "A" ? "B" : "A"))}/${name}`;
      for (const other of [`${origin}/${name}`, `${origin}/`, wrongToken, `${served.url}x`, `${origin}/${token}`]) {
        expect((await get(other, "bytes=0-9")).status).toBe(404);
      }
      expect((await fetch(served.url, { method: "POST" })).status).toBe(405);
      expect(served.stats().storeReads).toBe(0);
    }));

  it("fetches each block from the store once for many parallel overlapping requests", async () => {
    const store = new ObservedStore(local);
    await withServer(store, {}, async (served) => {
      const ranges = Array.from({ length: 60 }, (_, i) => [(i % 7) * BLOCK + i, (i % 7) * BLOCK + 5 * BLOCK] as const);
      await Promise.all(ranges.map(([a, b]) => expectRange(served, a, b)));
      expect(store.reads.size).toBeGreaterThanOrEqual(12);
      for (const start of store.reads.keys()) expect(store.readsOf(start)).toBe(1);
      expect(served.stats().blocksFetched).toBe(store.reads.size);
      expect(served.stats().sharedFetches).toBeGreaterThan(0);
    });
  });

  it("retries failed, truncated and reset store reads, and never serves short data", async () => {
    const store = new ObservedStore(local);
    await expect(serveObjectRanges(store, "Games/none.mp4")).rejects.toThrow(/no object/);
    store.faults.set(3 * BLOCK, { mode: "error", left: 2 });
    store.faults.set(5 * BLOCK, { mode: "truncate", left: 1 });
    store.faults.set(7 * BLOCK, { mode: "reset", left: 2 });
    await withServer(store, { readAheadBlocks: 0 }, async (served) => {
      await expectRange(served, 2 * BLOCK + 11, 8 * BLOCK + 5);
      expect([store.readsOf(3 * BLOCK), store.readsOf(5 * BLOCK), store.readsOf(7 * BLOCK)]).toEqual([3, 2, 3]);
      expect(served.stats().retries).toBe(5);
      // Past the retries: a clean 502 before the first byte, a cut connection after it.
      store.faults.set(12 * BLOCK, { mode: "truncate", left: 6 });
      const failed = await get(served.url, `bytes=${12 * BLOCK}-${12 * BLOCK + 9}`);
      expect([failed.status, failed.body.toString()]).toEqual([502, expect.stringMatching(/returned \d+ bytes instead of/)]);
      expect(served.stats()).toMatchObject({ failedBlocks: 1, lastError: expect.stringMatching(/instead of/) });
      await expect(get(served.url, `bytes=${11 * BLOCK}-${13 * BLOCK}`)).rejects.toThrow();
      // Nothing short was cached: once the store heals, the block is whole.
      await expectRange(served, 12 * BLOCK - 1, 12 * BLOCK + 100);
    });
  });

  it("stays within its byte budget", () =>
    withServer(local, { budgetBytes: 4 * BLOCK + 1000 }, async (served) => {
      await expectRange(served, 0, bytes.length - 1);
      for (let i = 0; i < 40; i++) {
        const a = Math.floor(Math.random() * bytes.length);
        await expectRange(served, a, a + 2 * BLOCK);
        expect(served.cachedBytes()).toBeLessThanOrEqual(4 * BLOCK + 1000);
      }
      expect(served.stats().peakCachedBytes).toBeLessThanOrEqual(4 * BLOCK + 1000);
      expect(served.stats().peakCachedBytes).toBeGreaterThan(3 * BLOCK);
    }));

  it("keeps blocks every reader needs (header, index) while clip data streams through", async () => {
    const store = new ObservedStore(local);
    await withServer(store, { budgetBytes: 8 * BLOCK, readAheadBlocks: 0 }, async (served) => {
      const ends = async (): Promise<void> => {
        await expectRange(served, 0, 99);
        await expectRange(served, bytes.length - 100, bytes.length - 1);
      };
      // Two readers read the first and last block, as every ffmpeg does on open;
      // then one streams 30 blocks (four times the budget), each once.
      await ends();
      await ends();
      await expectRange(served, 2 * BLOCK, 32 * BLOCK - 1);
      await ends();
      expect([store.readsOf(0), store.readsOf(40 * BLOCK)]).toEqual([1, 1]);
    });
  });
});

/** For the report: bytes from the first to the last packet each play needs (from its GOP's keyframe). */
async function playBytes(file: string, plays: { start: number; end: number }[], gopSec: number): Promise<number> {
  const args = ["-v", "error", "-show_entries", "packet=pts_time,size,pos", "-of", "csv=p=0", file];
  const packets = (await execFileAsync(FFPROBE, args, { maxBuffer: 256 << 20 })).stdout.trim().split("\n").map((l) => l.split(",").map(Number));
  return plays.reduce((total, { start, end }) => {
    const inside = packets.filter(([pts = 0]) => pts >= Math.floor(start / gopSec) * gopSec - 0.05 && pts < end + 0.05);
    return total + Math.max(...inside.map(([, size = 0, pos = 0]) => pos + size)) - Math.min(...inside.map(([, , pos = 0]) => pos));
  }, 0);
}

const framemd5 = async (file: string): Promise<string> =>
  (await execFileAsync(FFMPEG, ["-v", "error", "-i", file, "-map", "0", "-f", "framemd5", "-"], { maxBuffer: 64 << 20 })).stdout;

async function cutBoth(input: string, reference: string, start: number, duration: number, name: string): Promise<void> {
  const [viaRange, viaFile] = [join(dir, `${name}-range.mp4`), join(dir, `${name}-file.mp4`)];
  await cutExactClip(tools, { input, start, duration, output: viaRange, timeoutMs: 60_000 });
  await cutExactClip(tools, { input: reference, start, duration, output: viaFile, timeoutMs: 60_000 });
  expect(await framemd5(viaRange)).toBe(await framemd5(viaFile));
  expect((await readFile(viaRange)).equals(await readFile(viaFile))).toBe(true);
}

describe("cutting from a bucket through ranged reads", () => {
  it("cuts the same clips as from the local file, fetching a fraction of a non-faststart video", async () => {
    const store = new ObservedStore(local);
    const opened = await openSourceVideo(store, BIG_KEY, dir);
    const plays = [{ start: 10.4, end: 12.4 }, { start: 50, end: 52 }, { start: 97.2, end: 99.2 }];
    const cutAll = async (): Promise<void> => {
      const media = await probeMedia(tools, opened.input);
      expect([opened.fetch, Math.round(media.duration)]).toEqual(["range", 120]);
      expect(await opened.forCoverage(coverageOf(plays, media.duration))).toBe(opened);
      await Promise.all(plays.map((p, i) => cutBoth(opened.input, bigFile(), p.start, p.end - p.start, `big${i}`)));
    };
    await cutAll().finally(() => opened.release());
    await expect(fetch(opened.input)).rejects.toThrow();
    const { bytesFetched = 0, ...stats } = opened.stats?.() ?? {};
    const size = (await local.stat(BIG_KEY))?.size ?? 0;
    const needed = await playBytes(bigFile(), plays, 2);
    console.log({ size, playBytes: needed, bytesFetched, ...stats });
    expect(bytesFetched).toBeLessThan(0.5 * size);
    // Bounded answers to ffmpeg's open-ended ranges: no socket-buffer overshoot (~4.4 MB per
    // clip before, ~31 MB in all). Left: block rounding at each clip's ends, plus the first
    // block and the last few (index, probe's last GOP) once per video. Measured: ~13 MB.
    const MiB = 1024 * 1024;
    expect(bytesFetched).toBeLessThan(1.5 * needed + 5 * MiB);
    // Which needs ffmpeg to ask again where a bounded answer stops: only for URLs.
    expect(mediaInputOptions(opened.input)).toContain("-reconnect");
    expect(mediaInputOptions(bigFile())).toEqual([]);
    // Each block came from the store once: the index and overlapping reads were shared.
    expect(Math.max(...store.reads.values())).toBe(1);
  });

  it("auto switches to a whole download when coverage is dense; range and local stay as they are", async () => {
    const store = new ObservedStore(local);
    const dense = await openSourceVideo(store, SMALL_KEY, dir, { coverage: 0.8 });
    expect(dense.fetch).toBe("full");
    expect((await readFile(dense.input)).equals(await readFile(smallFile()))).toBe(true);
    await dense.release();

    const ranged = await openSourceVideo(store, SMALL_KEY, dir);
    const switched = await ranged.forCoverage(0.9);
    expect([ranged.fetch, switched.fetch]).toEqual(["range", "full"]);
    await expect(fetch(ranged.input)).rejects.toThrow();
    await switched.release();

    const forced = await openSourceVideo(store, SMALL_KEY, dir, { fetch: "range" });
    expect(await forced.forCoverage(0.9).finally(() => forced.release())).toBe(forced);
    expect((await openSourceVideo(local, SMALL_KEY, dir)).fetch).toBe("local");
    expect(coverageOf([{ start: 1, end: 3 }, { start: 2, end: 4 }, { start: 9, end: 12 }], 10)).toBeCloseTo(0.4);
    expect(coverageOf([], 10)).toBe(0);
  });

  it("works over a network store (the GCS emulator)", async () => {
    const emulator = await startGcsEmulator();
    try {
      await emulator.createBucket("videos-bucket");
      const gcs = createGcsStore({ bucket: "videos-bucket", apiEndpoint: emulator.apiEndpoint });
      await gcs.write(SMALL_KEY, { file: smallFile() });
      const opened = await openSourceVideo(gcs, SMALL_KEY, dir, { fetch: "range", range: { blockBytes: 128 * KiB } });
      const cut = async (): Promise<void> => {
        expect(opened.fetch).toBe("range");
        expect((await probeMedia(tools, opened.input)).duration).toBeCloseTo(10, 0);
        await cutBoth(opened.input, smallFile(), 3.2, 2, "gcs");
      };
      await cut().finally(() => opened.release());
      expect(opened.stats?.().blocksFetched).toBeGreaterThan(0);
    } finally {
      await emulator.stop();
    }
  });
});
