import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveObjectRanges } from "../src/extraction/range/range-server.js";
import { createLocalStore } from "../src/stores/local.js";
import type { ByteRange, ObjectStore } from "../src/stores/object-store.js";

// Issue 13.2: a bucket answers each read tens of ms late. A reader that streams
// (asks again where each bounded answer ended, as ffmpeg with -reconnect does)
// must not wait that long for every block.
const BLOCK = 64 * 1024;
const BLOCKS = 48;
const LATENCY_MS = 40;
let dir: string;
let slow: ObjectStore & { fetched: number };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-read-ahead-"));
  await writeFile(join(dir, "video.bin"), randomBytes(BLOCK * BLOCKS));
  const local = createLocalStore({ root: dir });
  // A real folder store with a bucket's first-byte latency; no localPath, so it is served by ranges.
  slow = {
    name: "slow", fetched: 0, uri: (k) => local.uri(k), stat: (k) => local.stat(k),
    write: (k, b) => local.write(k, b), list: (p) => local.list(p), delete: (k) => local.delete(k),
    async read(key: string, range?: ByteRange): Promise<Readable> {
      await sleep(LATENCY_MS);
      slow.fetched += range?.end !== undefined ? range.end - (range.start ?? 0) + 1 : 0;
      return local.read(key, range);
    },
  };
});

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** Reads [0, upTo) like ffmpeg: `bytes=a-`, then again from wherever the bounded answer stopped. */
function stream(url: string, upTo: number): Promise<void> {
  return streamFrom(url, 0, upTo);
}

async function streamFrom(url: string, from: number, upTo: number): Promise<void> {
  for (let at = from; at < upTo;) {
    at = await new Promise<number>((resolve, reject) => {
      request(url, { headers: { Range: `bytes=${at}-` } }, (res) => {
        const end = Number(/bytes \d+-(\d+)\//.exec(res.headers["content-range"] ?? "")?.[1]);
        res.resume().on("end", () => resolve(end + 1)).on("error", reject);
      }).on("error", reject).end();
    });
  }
}

async function timed(streamAheadBlocks: number, upTo: number, expected?: { start: number; end: number }): Promise<{ ms: number; fetched: number }> {
  slow.fetched = 0;
  const served = await serveObjectRanges(slow, "video.bin", { blockBytes: BLOCK, streamAheadBlocks });
  const undo = expected ? served.expectRead(expected) : undefined;
  try {
    const t0 = performance.now();
    await stream(served.url, upTo);
    undo?.();
    return { ms: performance.now() - t0, fetched: served.stats().bytesFetched };
  } finally {
    await served.close();
  }
}

describe("read-ahead for streaming readers", () => {
  it("hides most of the store's latency, fetching at most an eighth more than was read", async () => {
    const upTo = 40 * BLOCK;
    const serial = await timed(0, upTo);
    const ahead = await timed(4, upTo);
    // One store read per block without it: 40 x 40 ms at least.
    expect(serial.ms).toBeGreaterThan(40 * LATENCY_MS);
    // Read-ahead must hide at least half of that waiting. Compared as a
    // difference, not a ratio: on a loaded machine both runs pay the same
    // extra CPU time per request, which a ratio would count against it.
    expect(serial.ms - ahead.ms).toBeGreaterThan((40 * LATENCY_MS) / 2);
    expect(serial.fetched).toBe(upTo);
    expect(ahead.fetched).toBeGreaterThanOrEqual(upTo);
    expect(ahead.fetched).toBeLessThanOrEqual(upTo * 1.125 + BLOCK);
  }, 60_000);

  it("fetches nothing ahead for a reader that only reads one answer (a probe, a seek)", async () => {
    const single = await timed(4, BLOCK);
    expect(single.fetched).toBe(BLOCK);
  }, 30_000);

  it("opens the window at once for a reader announced to read a span, and fetches nothing past its end", async () => {
    // 16 blocks: the growing window (an eighth of the run) barely opens.
    const upTo = 16 * BLOCK;
    const growing = await timed(4, upTo);
    const announced = await timed(4, upTo, { start: 0, end: upTo - 1 });
    // 8 blocks ahead from the first answer: most of the 16 waits are hidden.
    expect(growing.ms - announced.ms).toBeGreaterThan((16 * LATENCY_MS) / 2);
    expect(announced.fetched).toBe(upTo);
  }, 60_000);

  it("keeps announced readers' read-ahead within their share of a small cache: nothing is fetched twice", async () => {
    // A camera's tail cache (TAIL_CACHE_BYTES) holds a few blocks for its last
    // two readers; 8 blocks ahead each evicted the other's before they were read.
    const served = await serveObjectRanges(slow, "video.bin", { blockBytes: BLOCK, budgetBytes: 6 * BLOCK, streamAheadBlocks: 0 });
    const span = 16 * BLOCK;
    const spans = [{ start: 0, end: span - 1 }, { start: 24 * BLOCK, end: 24 * BLOCK + span - 1 }];
    try {
      const undo = spans.map((s) => served.expectRead(s));
      slow.fetched = 0;
      await Promise.all(spans.map((s) => streamFrom(served.url, s.start, s.end + 1)));
      undo.forEach((u) => u());
      expect(served.stats().bytesFetched).toBe(2 * span);
      expect(served.stats().peakCachedBytes).toBeLessThanOrEqual(6 * BLOCK);
    } finally {
      await served.close();
    }
  }, 60_000);

  it("forgets a span once undone: the next reader streams with the growing window again", async () => {
    const served = await serveObjectRanges(slow, "video.bin", { blockBytes: BLOCK, streamAheadBlocks: 0 });
    try {
      served.expectRead({ start: 0, end: 16 * BLOCK - 1 })();
      slow.fetched = 0;
      await stream(served.url, 4 * BLOCK);
      // With no read-ahead at all, exactly what was read.
      expect(served.stats().bytesFetched).toBe(4 * BLOCK);
    } finally {
      await served.close();
    }
  }, 30_000);
});
