import { createHash } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../src/domain/errors.js";
import { manifestKey, trainingKey, validationKey } from "../src/domain/layout.js";
import type { GameManifest } from "../src/domain/types.js";
import { processGame } from "../src/pipeline/process-game.js";
import { createGcsStore, type GcsStoreOptions } from "../src/stores/gcs.js";
import type { ListingStore, ObjectStore } from "../src/stores/object-store.js";
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from "./helpers/fault-proxy.js";
import { startGcsEmulator, type GcsEmulator } from "./helpers/gcs-emulator.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

// Uploads, deletes and metadata reads through a proxy that fails a share of
// them the ways GCS does; the emulator behind it is checked directly.
let emulator: GcsEmulator;
let ws: Workspace;
const proxies: FaultProxy[] = [];
// Short waits: the client's backoff starts at 1 s whatever the multiplier.
const retry = { maxRetries: 8, retryDelayMultiplier: 1.1, maxRetryDelay: 1, totalTimeout: 60 };

const md5 = (data: Buffer): string => createHash("md5").update(data).digest("hex");
const direct = (prefix: string): ListingStore => createGcsStore({ bucket: "out", prefix, apiEndpoint: emulator.apiEndpoint });
const readAll = async (store: ObjectStore, key: string): Promise<Buffer> => buffer(await store.read(key));
// Object writes and deletes, and metadata reads; media downloads pass untouched.
const notDownload = (req: IncomingMessage): boolean => !/alt=media|\/download\//.test(req.url ?? "");

async function faulty(prefix: string, options: Omit<FaultProxyOptions, "target">, storeOptions?: Pick<GcsStoreOptions, "resumableThreshold" | "chunkSize">): Promise<ListingStore> {
  const proxy = await startFaultProxy({ target: emulator.apiEndpoint, ...options });
  proxies.push(proxy);
  // Uploads stay below the resumable threshold: resumed sessions need the
  // proxy's resumableChunks mode (the emulator finalizes a session on every
  // PUT), used in gcs-resumable.test.ts.
  return createGcsStore({ bucket: "out", prefix, apiEndpoint: proxy.url, retry, ...storeOptions });
}

/** Wraps a store to note the md5 of every body it was asked to publish, by key. */
function recording(store: ObjectStore, sent: Map<string, string>): ObjectStore {
  return Object.assign(Object.create(store) as ObjectStore, {
    async write(key: string, body: Parameters<ObjectStore["write"]>[1], options?: { contentType?: string }) {
      const bytes = typeof body === "string" ? Buffer.from(body) : Buffer.isBuffer(body) ? body : await readFile(body.file);
      sent.set(key, md5(bytes));
      return store.write(key, body, options);
    },
  });
}

beforeAll(async () => {
  emulator = await startGcsEmulator();
  await emulator.createBucket("out");
  ws = await createWorkspace(8);
});
afterAll(async () => {
  for (const proxy of proxies) await proxy.stop();
  await ws?.cleanup();
  await emulator?.stop();
});

describe("GCS writes under injected faults", () => {
  it("retries uploads and deletes through 503, 429, cut bodies and lost answers, never leaving a wrong object", async () => {
    const store = await faulty("w1", { rate: 0.35, seed: 7, eligible: notDownload });
    const file = Buffer.from(Array.from({ length: 900 * 1024 }, (_, i) => i % 251));
    await writeFile(join(ws.root, "file.bin"), file);
    let retries = 0;
    for (let i = 0; i < 12; i++) {
      const body = `version ${i}`;
      retries += (await store.write(`k/${i % 3}`, body)).retries ?? 0;
      expect((await readAll(direct("w1"), `k/${i % 3}`)).toString()).toBe(body);
    }
    // A file body is opened again for each attempt.
    for (let i = 0; i < 3; i++) retries += (await store.write(`file/${i}`, { file: join(ws.root, "file.bin") })).retries ?? 0;
    for (let i = 0; i < 3; i++) expect(md5(await readAll(direct("w1"), `file/${i}`))).toBe(md5(file));
    for (let i = 0; i < 3; i++) await store.delete(`k/${i}`);
    expect((await direct("w1").list("")).map((o) => o.key)).toEqual(["file/0", "file/1", "file/2"]);
    const { requests, preconditionFailed, ...faults } = proxies.at(-1)!.counts;
    expect(Object.values(faults).every((n) => n > 0), JSON.stringify(faults)).toBe(true);
    expect(requests).toBeGreaterThan(30);
    // Every write was sequential and named the generation it read: none was refused.
    expect(preconditionFailed).toBe(0);
    expect(retries).toBeGreaterThan(0);
  });

  it("fails a write faulted on every attempt with the status in its reason, and publishes nothing", async () => {
    const store = await faulty("w2", { rate: 1, kinds: ["503", "cut"], eligible: (req) => req.method !== "GET" });
    const error = await store.write("always/fails.bin", Buffer.from("never lands")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe("io");
    expect((error as Error).message).toMatch(/^\[gs:\/\/out\/w2\] cannot write "always\/fails\.bin": .*\(HTTP 503|connection|socket/i);
    // Eight retries: nine attempts, each met a transient error.
    expect((error as Error).message).toMatch(/after 9 transient errors\)$/);
    expect(await direct("w2").stat("always/fails.bin")).toBeNull();
    expect(await direct("w2").list("")).toEqual([]);
  });

  it("recognises its own upload when a retry after a lost answer finds the generation moved", async () => {
    await direct("w3").write("shared.txt", "first");
    const store = await faulty("w3", { rate: 1, kinds: ["lost"], maxFaults: 1, eligible: (req) => req.method === "POST" });
    // The first upload lands but its answer is lost; the retry's precondition fails (412) on our own bytes.
    expect(await store.write("shared.txt", "mine")).toEqual({ key: "shared.txt", size: 4, retries: 1 });
    expect((await readAll(direct("w3"), "shared.txt")).toString()).toBe("mine");
    expect(proxies.at(-1)!.counts).toMatchObject({ lost: 1, preconditionFailed: 1 });
  });
  it("keeps a compare-and-swap whose answer was lost: the retry's 412 meets its own bytes", async () => {
    const version = await direct("w4").writeIfVersion!("status.json", '{"run":"a"}', null);
    const store = await faulty("w4", { rate: 1, kinds: ["lost"], maxFaults: 1, eligible: (req) => req.method === "POST" });
    // Without the check this returned null, and a run's lease said it had lost the game.
    const next = await store.writeIfVersion!("status.json", '{"run":"b"}', version);
    expect(next).not.toBeNull();
    expect(await direct("w4").readVersioned!("status.json")).toEqual({ body: Buffer.from('{"run":"b"}'), version: next });
    expect(proxies.at(-1)!.counts).toMatchObject({ lost: 1, preconditionFailed: 1 });
    // Someone else's bytes still refuse the swap.
    expect(await store.writeIfVersion!("status.json", '{"run":"c"}', version)).toBeNull();
  });
});

describe("a whole game with 20% of the output bucket's requests faulted", () => {
  it("completes with every clip, the manifest and both JSONL intact, retries counted", async () => {
    const plays = Array.from({ length: 6 }, (_, i) => ({
      id: `p${i}`, game_id: "g1", angle: i % 2 ? "RIGHT" : "LEFT", start_timestamp: i, end_timestamp: i + 1.5, play_type: "iso", quarter: 1,
    }));
    await ws.writePlays(plays);
    await ws.addCameras("g1");
    const sent = new Map<string, string>();
    // Every clip goes up as a resumable session in chunks, as in production
    // (256 KiB: the smallest the client takes), through the proxy's GCS chunk semantics.
    const chunked = { resumableThreshold: 0, chunkSize: 256 * 1024 };
    const output = recording(await faulty("game", { rate: 0.2, seed: 20, eligible: notDownload, resumableChunks: true }, chunked), sent);
    const result = await processGame("g1", await ws.pipeline({ backends: { output } }));
    const failed = JSON.parse((await readAll(direct("game"), manifestKey("g1"))).toString()) as GameManifest;
    expect(result, JSON.stringify(failed.clips.map((c) => c.reason).filter(Boolean))).toMatchObject({ status: "complete", successful_clips: 12, failed_clips: 0 });

    const published = direct("game");
    const keys = [...sent.keys()];
    expect(keys).toEqual(expect.arrayContaining([manifestKey("g1"), trainingKey("g1"), validationKey("g1")]));
    for (const key of keys) expect(md5(await readAll(published, key)), key).toBe(sent.get(key));
    const manifest = JSON.parse((await readAll(published, manifestKey("g1"))).toString()) as GameManifest;
    expect(manifest.clips.filter((c) => c.status === "ok")).toHaveLength(12);
    expect(manifest.counts.uploadRetries).toBeGreaterThan(0);
    expect(manifest.counts.uploadRetries).toBe(manifest.clips.reduce((sum, c) => sum + (c.uploadRetries ?? 0), 0));
    const lines = `${(await readAll(published, trainingKey("g1"))).toString()}${(await readAll(published, validationKey("g1"))).toString()}`;
    expect(lines.trimEnd().split("\n")).toHaveLength(12);
    const { attempts } = proxies.at(-1)!;
    // Each clip (about 70 KB here) ended one session; cut chunks were asked about and resent.
    expect(new Set(attempts.filter((a) => a.outcome === "final").map((a) => a.session)).size).toBeGreaterThanOrEqual(12);
    const faults = proxies.at(-1)!.counts;
    expect(faults["503"] + faults["429"] + faults.cut + faults.lost).toBeGreaterThan(faults.requests * 0.1);
  });
});
