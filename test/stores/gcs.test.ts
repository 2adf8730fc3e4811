import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { inspect } from "node:util";
import { File, Storage } from "@google-cloud/storage";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { StoreError, ValidationError } from "../../src/domain/errors.js";
import { createGcsStore } from "../../src/stores/gcs.js";
import { describeObjectStoreContract } from "../contract/object-store.contract.js";
import { startGcsEmulator, type GcsEmulator } from "../helpers/gcs-emulator.js";

const PREFIX = "pc-test";
let started: Promise<GcsEmulator> | undefined;
const emulator = (): Promise<GcsEmulator> => (started ??= startGcsEmulator());
afterAll(async () => (started ? (await started).stop() : undefined));

let buckets = 0;
async function freshBucket(): Promise<{ bucket: string; apiEndpoint: string }> {
  const { apiEndpoint, createBucket } = await emulator();
  const bucket = `playclips-test-${++buckets}`;
  await createBucket(bucket);
  return { bucket, apiEndpoint };
}

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// Objects beside the prefix, in the same bucket: the contract's exact
// list("") results then also prove the store never sees past its prefix.
describeObjectStoreContract(
  `gcs (emulator, prefix "${PREFIX}")`,
  async () => {
    const { bucket, apiEndpoint } = await freshBucket();
    const whole = createGcsStore({ bucket, apiEndpoint });
    for (const outside of ["outside.txt", `${PREFIX}x/y`, `${PREFIX}-sibling/z`]) await whole.write(outside, "outside");
    // Small enough that the contract's 64 MiB file goes through a resumable
    // upload; in one streamed request, because the emulator shows an object
    // after its first chunk (real GCS does not). Chunked resumption: gcs-faults.test.ts.
    const store = createGcsStore({ bucket, prefix: PREFIX, apiEndpoint, resumableThreshold: 1 << 20, chunkSize: 0 });
    return { store, cleanup: async () => undefined };
  },
  // A GCS object name is at most 1024 bytes, prefix and '/' included.
  { maxKeyBytes: 1024 - PREFIX.length - 1 },
);

describe("gcs store specifics (emulator)", () => {
  let scratch: string;
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), "playclips-gcs-"));
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));
  afterEach(() => vi.restoreAllMocks());

  it("validates its options and names itself after the bucket and prefix", () => {
    expect(createGcsStore({ bucket: "b-1", prefix: "a/b/" }).name).toBe("gs://b-1/a/b");
    expect(createGcsStore({ bucket: "b-1" }).name).toBe("gs://b-1");
    for (const bucket of ["", "gs://b-1", "B1", "a/b"]) expect(() => createGcsStore({ bucket })).toThrow(ValidationError);
    for (const prefix of ["/abs", "a//b", "../up"]) expect(() => createGcsStore({ bucket: "b-1", prefix })).toThrow(ValidationError);
    expect(() => createGcsStore({ bucket: "b-1", resumableThreshold: -1 })).toThrow(ValidationError);
  });

  it("gives gs:// URIs with the prefix, validating keys", () => {
    const store = createGcsStore({ bucket: "clips-bucket", prefix: "pc-test" });
    expect(store.uri("games/g1/clips/p1_wide.mp4")).toBe("gs://clips-bucket/pc-test/games/g1/clips/p1_wide.mp4");
    expect(createGcsStore({ bucket: "clips-bucket" }).uri("a/b.mp4")).toBe("gs://clips-bucket/a/b.mp4");
    expect(() => store.uri("../x")).toThrow(StoreError);
    expect(store.localPath).toBeUndefined();
  });

  it("lists only below its prefix, with the prefix stripped", async () => {
    const { bucket, apiEndpoint } = await freshBucket();
    const whole = createGcsStore({ bucket, apiEndpoint });
    const store = createGcsStore({ bucket, prefix: "pc-test", apiEndpoint });
    const sibling = createGcsStore({ bucket, prefix: "pc-test2", apiEndpoint });
    await store.write("games/g1/a.txt", "a");
    await sibling.write("games/g1/b.txt", "bb");
    for (const key of ["pc-test.txt", "pc-testx/games/g1/c.txt", "games/g1/a.txt"]) await whole.write(key, "outside");
    // Names no key could have (written with the raw client), e.g. console "folders".
    const raw = new Storage({ apiEndpoint }).bucket(bucket);
    await raw.file("pc-test/games/folder/").save("", { resumable: false });
    await raw.file("pc-test/games//d.txt").save("d", { resumable: false });
    expect(await store.list("")).toEqual([{ key: "games/g1/a.txt", size: 1 }]);
    expect(await store.list("games/g1/")).toEqual([{ key: "games/g1/a.txt", size: 1 }]);
    expect(await sibling.list("")).toEqual([{ key: "games/g1/b.txt", size: 2 }]);
    expect((await whole.list("pc-test/")).map((info) => info.key)).toEqual(["pc-test/games/g1/a.txt"]);
    expect((await whole.list("pc-test")).map((info) => info.key)).toEqual(["pc-test.txt", "pc-test/games/g1/a.txt", "pc-test2/games/g1/b.txt", "pc-testx/games/g1/c.txt"]);
    // GCS keeps each object's md5 (here of "a"): stat hands it on, so a caller can hash without reading.
    expect(await whole.stat("pc-test/games/g1/a.txt")).toEqual({ key: "pc-test/games/g1/a.txt", size: 1, md5: "0cc175b9c0f1b6a831c399e269772661" });
  });

  it("uploads files above the threshold resumably and below it in one request, byte-exact", async () => {
    const { bucket, apiEndpoint } = await freshBucket();
    const store = createGcsStore({ bucket, prefix: "pc-test", apiEndpoint, resumableThreshold: 256 * 1024 });
    const spy = vi.spyOn(File.prototype, "createWriteStream");
    for (const [name, size, resumable] of [["big.bin", 3 * 1024 * 1024 + 7, true], ["small.bin", 256 * 1024, false]] as const) {
      const data = randomBytes(size);
      const file = path.join(scratch, name);
      await writeFile(file, data);
      spy.mockClear();
      expect(await store.write(`up/${name}`, { file }, { contentType: "application/octet-stream" })).toEqual({ key: `up/${name}`, size });
      expect(spy).toHaveBeenCalledTimes(1);
      expect(spy.mock.calls[0]?.[0]).toMatchObject({ resumable, metadata: { md5Hash: createHash("md5").update(data).digest("base64") } });
      expect(sha256(await readAll(await store.read(`up/${name}`)))).toBe(sha256(data));
    }
  });

  it("rejects reads of missing objects before returning a stream, naming the store", async () => {
    const { bucket, apiEndpoint } = await freshBucket();
    const store = createGcsStore({ bucket, prefix: "pc-test", apiEndpoint });
    const error: unknown = await store.read("no/such.mp4").catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: "not_found" });
    expect((error as Error).message).toContain(`[gs://${bucket}/pc-test]`);
    expect((error as Error).message).toContain(`gs://${bucket}/pc-test/no/such.mp4`);
  });

  it("rejects with not_found when the object vanishes between its stat and its download", async () => {
    const { bucket, apiEndpoint } = await freshBucket();
    const store = createGcsStore({ bucket, prefix: "pc-test", apiEndpoint });
    await store.write("race/x", "x");
    const getMetadata = File.prototype.getMetadata as (this: File) => Promise<unknown>;
    const raw = new Storage({ apiEndpoint }).bucket(bucket);
    const statThenDelete = async function (this: File): Promise<unknown> {
      const result = await getMetadata.call(this);
      await raw.file(this.name).delete();
      return result;
    };
    vi.spyOn(File.prototype, "getMetadata").mockImplementationOnce(statThenDelete as unknown as File["getMetadata"]);
    await expect(store.read("race/x")).rejects.toMatchObject({ code: "not_found" });
  });

  it("maps HTTP failures to io errors that carry no credentials or request details", async () => {
    // Answers like a GCS front end refusing a token, quoting it back.
    const server = createServer((_request, response) => {
      response.writeHead(401, { "content-type": "application/json" });
      response.end(JSON.stringify({ error: { code: 401, message: "Invalid Bearer ya29.SECRET for access_token=SECRET2" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const store = createGcsStore({ bucket: "b-1", prefix: "p", apiEndpoint: `http://127.0.0.1:${port}` });
      const calls = [() => store.stat("x"), () => store.read("x"), () => store.write("x", "x"), () => store.list(""), () => store.delete("x")];
      for (const call of calls) {
        const error: unknown = await call().catch((thrown: unknown) => thrown);
        expect(error).toBeInstanceOf(StoreError);
        expect(error).toMatchObject({ code: "io" });
        expect((error as Error).message).toContain("[gs://b-1/p]");
        const shown = inspect(error, { depth: 10 });
        expect(shown).toContain("[redacted]");
        expect(shown).not.toMatch(/SECRET|headers/i);
      }
    } finally {
      server.close();
    }
  });
});

const REAL_BUCKET = process.env.PLAYCLIPS_TEST_GCS_BUCKET;

describe("gcs store against real GCS", () => {
  it.runIf(REAL_BUCKET)("real GCS (set PLAYCLIPS_TEST_GCS_BUCKET)", async () => {
    const prefix = `playclips-test/${randomUUID()}`;
    const store = createGcsStore({ bucket: REAL_BUCKET ?? "", prefix, resumableThreshold: 256 * 1024 });
    const dir = await mkdtemp(path.join(tmpdir(), "playclips-gcs-real-"));
    try {
      const data = randomBytes(1024 * 1024 + 3);
      const file = path.join(dir, "clip.bin");
      await writeFile(file, data);
      expect(await store.write("games/g1/clip.bin", { file })).toEqual({ key: "games/g1/clip.bin", size: data.length });
      expect(await store.write("games/g1/a.txt", "héllo")).toEqual({ key: "games/g1/a.txt", size: 6 });
      expect(sha256(await readAll(await store.read("games/g1/clip.bin")))).toBe(sha256(data));
      expect((await readAll(await store.read("games/g1/clip.bin", { start: 10, end: 19 }))).equals(data.subarray(10, 20))).toBe(true);
      expect(await store.list("games/")).toEqual([
        { key: "games/g1/a.txt", size: 6 },
        { key: "games/g1/clip.bin", size: data.length },
      ]);
      await expect(store.read("games/none")).rejects.toMatchObject({ code: "not_found" });
      await expect(store.read("games/g1/a.txt", { start: 6 })).rejects.toMatchObject({ code: "io" });
    } finally {
      for (const { key } of await store.list("")) await store.delete(key);
      await rm(dir, { recursive: true, force: true });
    }
    expect(await store.list("")).toEqual([]);
  });
});
