import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../src/domain/errors.js";
import { createGcsStore } from "../src/stores/gcs.js";
import type { ListingStore } from "../src/stores/object-store.js";
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from "./helpers/fault-proxy.js";
import { startGcsEmulator, type GcsEmulator } from "./helpers/gcs-emulator.js";

// Resumable uploads in 256 KiB chunks (the smallest the client accepts) through
// the fault proxy in its resumableChunks mode: the proxy keeps the chunks with
// GCS's documented semantics and cuts connections mid-body; the emulator behind
// it stores each finished object and is checked directly.
let emulator: GcsEmulator;
let root: string;
const proxies: FaultProxy[] = [];
const retry = { maxRetries: 8, retryDelayMultiplier: 1.1, maxRetryDelay: 1, totalTimeout: 60 };
const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 256 * KiB;
const FILE_SIZE = 5 * MiB;

const md5 = (data: Buffer): string => createHash("md5").update(data).digest("hex");
const direct = (prefix: string): ListingStore => createGcsStore({ bucket: "out", prefix, apiEndpoint: emulator.apiEndpoint });
const isSessionPut = (req: { method?: string; url?: string }): boolean => req.method === "PUT" && /upload_id=/.test(req.url ?? "");

async function chunked(prefix: string, options: Omit<FaultProxyOptions, "target" | "resumableChunks">, chunkSize = CHUNK, retries = retry): Promise<{ store: ListingStore; proxy: FaultProxy }> {
  const proxy = await startFaultProxy({ target: emulator.apiEndpoint, resumableChunks: true, ...options });
  proxies.push(proxy);
  const store = createGcsStore({ bucket: "out", prefix, apiEndpoint: proxy.url, retry: retries, resumableThreshold: MiB, chunkSize });
  return { store, proxy };
}

let file: Buffer;
beforeAll(async () => {
  emulator = await startGcsEmulator();
  await emulator.createBucket("out");
  root = await mkdtemp(join(tmpdir(), "playclips-resumable-"));
  // Not a multiple of the chunk size, so the last chunk is short.
  file = Buffer.from(Array.from({ length: FILE_SIZE + 1000 }, (_, i) => (i * 7) % 253));
  await writeFile(join(root, "big.bin"), file);
});
afterAll(async () => {
  for (const proxy of proxies) await proxy.stop();
  if (root) await rm(root, { recursive: true, force: true });
  await emulator?.stop();
});

// Long enough for the stall guard (32 s at these retry settings) to end a hung Node 24 upload up to three times.
describe("resumable uploads in chunks, connections cut mid-body", { timeout: 240_000 }, () => {
  it("resends only the cut chunks, not the file, and the object ends byte-exact", async () => {
    const cutAt = [1.3 * MiB, 2.7 * MiB, 4.1 * MiB].map(Math.round);
    const { store, proxy } = await chunked("r1", { rate: 0, cutAt });
    const written = await store.write("big.bin", { file: join(root, "big.bin") });
    expect(written).toMatchObject({ key: "big.bin", size: file.length });
    expect(md5(await buffer(await direct("r1").read("big.bin")))).toBe(md5(file));

    const { attempts } = proxy;
    const received = attempts.reduce((sum, a) => sum + a.received, 0);
    const cuts = attempts.filter((a) => a.outcome === "cut");
    expect(cuts).toHaveLength(3);
    // Each cut costs at most the chunk in flight, far from the whole file again.
    expect(received, `${received} bytes received for ${file.length}`).toBeLessThan(2 * file.length);
    // One session throughout: a cut never restarted the upload.
    expect(new Set(attempts.map((a) => a.session)).size).toBe(1);
    expect(received).toBeLessThanOrEqual(file.length + cuts.length * CHUNK);
    // After each cut the client asked the offset and resent from it: the cut chunk's start.
    for (const cut of cuts) {
      const after = attempts.slice(attempts.indexOf(cut) + 1);
      expect(after[0]).toMatchObject({ outcome: "status", start: cut.start });
      expect(after.find((a) => a.outcome !== "status")).toMatchObject({ start: cut.start });
    }
    expect(attempts.at(-1)).toMatchObject({ outcome: "final" });
    expect(attempts.filter((a) => a.outcome === "persisted").length).toBeGreaterThanOrEqual(Math.floor(file.length / CHUNK) - 1);
  });

  it("survives random lost answers, 503 and 429 on chunk requests and status queries", async () => {
    // The client's retry budget is per session, not per chunk (maxRetries in all): stay below it.
    // A failed status query makes the client (7.22) give up its session with "Initiate a new
    // upload": the store then starts again from the file, so here only the bytes are checked.
    const { store, proxy } = await chunked("r2", { rate: 0.3, seed: 12, maxFaults: 7, eligible: isSessionPut });
    const written = await store.write("big.bin", { file: join(root, "big.bin") });
    expect(md5(await buffer(await direct("r2").read("big.bin")))).toBe(md5(file));
    expect(written.retries).toBeGreaterThan(0);
    const faults = proxy.counts;
    expect(faults["503"] + faults["429"] + faults.cut + faults.lost, JSON.stringify(faults)).toBeGreaterThanOrEqual(5);
    expect(proxy.attempts.some((a) => a.outcome === "status")).toBe(true);
  });

  it("fails an upload whose every chunk is cut with a clear reason, and publishes nothing", async () => {
    const { store, proxy } = await chunked("r3", { rate: 1, kinds: ["cut"], eligible: (req) => isSessionPut(req) && req.headers["content-length"] !== "0" }, CHUNK, {
      ...retry,
      maxRetries: 3,
    });
    const error = await store.write("big.bin", { file: join(root, "big.bin") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    // Node 20: the client's own words. Node 24: its upload hangs after the last retry, and the store's stall guard ends it.
    expect((error as Error).message).toMatch(/^\[gs:\/\/out\/r3\] cannot write .*big\.bin as "big\.bin": (Retry limit exceeded|no upload progress for \d+ s)/);
    expect(proxy.attempts.some((a) => a.outcome === "final")).toBe(false);
    expect(await direct("r3").stat("big.bin")).toBeNull();
    expect(await direct("r3").list("")).toEqual([]);
  });
});
