import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { StoreError } from "../../src/domain/errors.js";
import type { ListingStore, ObjectInfo } from "../../src/stores/object-store.js";

export type StoreFactory = () => Promise<{ store: ListingStore; cleanup: () => Promise<void> }>;

/** What a store cannot do like the local one; each narrowing is checked, never skipped. */
export interface ContractOptions {
  /**
   * The longest key the store takes, when below keys.ts's 1024 (a GCS store
   * under a prefix: the whole object name must fit). One byte more must be invalid_key.
   */
  maxKeyBytes?: number;
}

// Big enough that holding it in memory would show, and that a write takes a while.
const LARGE_BYTES = 128 * 1024 * 1024;

const BAD_KEYS: [string, string][] = [
  ["empty", ""],
  ["leading slash", "/games/g1/x.mp4"],
  ["backslash", "games\\g1\\x.mp4"],
  ["NUL", "games/x\u0000.mp4"],
  ["newline", "games/x\n.mp4"],
  ["'.' segment", "games/./x.mp4"],
  ["leading '.' segment", "./x.mp4"],
  ["'..' segment", "games/../x.mp4"],
  ["trailing '..'", "games/.."],
  ["empty segment", "games//x.mp4"],
  ["trailing slash", "games/g1/"],
  ["over 1024 bytes", "x".repeat(1025)],
  ["over 1024 bytes of UTF-8", "é".repeat(513)],
  ["lone surrogate", "games/\ud800.mp4"],
  ["reserved temp name", "games/.x.mp4.0123abcd.partial"],
];

const sha256 = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * stat, with its optional md5 (a store that knows it without reading) checked
 * against the bytes the store reads back, then left out so every store's
 * answer compares alike.
 */
async function statChecked(store: ListingStore, key: string): Promise<ObjectInfo | null> {
  const info = await store.stat(key);
  if (info?.md5 === undefined) return info;
  const { md5, ...rest } = info;
  const hash = createHash("md5");
  for await (const chunk of await store.read(key)) hash.update(chunk as Buffer);
  expect(md5, `md5 of ${key}`).toBe(hash.digest("hex"));
  return rest;
}

async function hashStream(stream: Readable): Promise<{ sha256: string; size: number }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), size };
}

async function storeError(promise: Promise<unknown>, code: StoreError["code"]): Promise<void> {
  const error: unknown = await promise.then(() => "no error: the call succeeded", (thrown: unknown) => thrown);
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
}

const keysOf = (infos: ObjectInfo[]): string[] => infos.map((info) => info.key);
// Segments of at most 128 bytes (well under NAME_MAX), `bytes` long in all.
function keyOfBytes(bytes: number): string {
  const segments: string[] = [];
  let left = bytes;
  for (; left > 128; left -= 128) segments.push("k".repeat(127));
  segments.push("k".repeat(left));
  return segments.join("/");
}

const byBytes = (keys: string[]): string[] => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** The behaviour every ObjectStore must share; `factory` gives each test an empty store. */
export function describeObjectStoreContract(name: string, factory: StoreFactory, options: ContractOptions = {}): void {
  const maxKeyBytes = options.maxKeyBytes ?? 1024;
  const narrowed = maxKeyBytes < 1024 ? ` [narrowed: keys up to ${maxKeyBytes} bytes]` : "";
  describe(`ObjectStore contract: ${name}${narrowed}`, () => {
    let store: ListingStore;
    let cleanup: () => Promise<void>;
    let scratch: string;
    const large = { file: "", sha256: "", tail: Buffer.alloc(0) };

    beforeAll(async () => {
      scratch = await mkdtemp(path.join(tmpdir(), "playclips-contract-"));
      large.file = path.join(scratch, "large.bin");
      const out = createWriteStream(large.file);
      const hash = createHash("sha256");
      for (let written = 0; written < LARGE_BYTES; written += 1 << 20) {
        large.tail = randomBytes(1 << 20);
        hash.update(large.tail);
        if (!out.write(large.tail)) await once(out, "drain");
      }
      await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
      large.sha256 = hash.digest("hex");
    });
    afterAll(() => rm(scratch, { recursive: true, force: true }));
    beforeEach(async () => ({ store, cleanup } = await factory()));
    afterEach(() => cleanup());

    it("round-trips strings, Buffers and files, reporting sizes in bytes", async () => {
      const text = "héllo, wörld\n";
      expect(await store.write("t/a.txt", text, { contentType: "text/plain" })).toEqual({ key: "t/a.txt", size: Buffer.byteLength(text) });
      expect((await readAll(await store.read("t/a.txt"))).toString("utf8")).toBe(text);
      const bytes = randomBytes(1000);
      expect(await store.write("t/b.bin", bytes)).toEqual({ key: "t/b.bin", size: 1000 });
      expect((await readAll(await store.read("t/b.bin"))).equals(bytes)).toBe(true);
      const file = path.join(scratch, "small.bin");
      await writeFile(file, bytes);
      expect(await store.write("t/c.bin", { file })).toEqual({ key: "t/c.bin", size: 1000 });
      expect((await readAll(await store.read("t/c.bin"))).equals(bytes)).toBe(true);
      expect(await store.write("t/empty", "")).toEqual({ key: "t/empty", size: 0 });
      expect((await readAll(await store.read("t/empty"))).length).toBe(0);
      expect(await statChecked(store, "t/a.txt")).toEqual({ key: "t/a.txt", size: Buffer.byteLength(text) });
      expect(await statChecked(store, "t/empty")).toEqual({ key: "t/empty", size: 0 });
      expect(await store.stat("t/none")).toBeNull();
      expect(await store.stat("t")).toBeNull();
    });

    it("accepts unusual but valid keys", async () => {
      const longKey = keyOfBytes(maxKeyBytes);
      expect(Buffer.byteLength(longKey)).toBe(maxKeyBytes);
      if (maxKeyBytes < 1024) await storeError(store.write(keyOfBytes(maxKeyBytes + 1), "x"), "invalid_key");
      const keys = ["a", "games/é ü/#1 ?&%20.txt", ".hidden/..x/x.partial", ".partial", longKey];
      for (const key of keys) await store.write(key, key);
      for (const key of keys) expect((await readAll(await store.read(key))).toString()).toBe(key);
      expect(keysOf(await store.list(""))).toEqual(byBytes(keys));
    });

    it("overwrites replace the whole object", async () => {
      await store.write("o/x", "a much longer first version");
      await store.write("o/x", "short");
      expect((await readAll(await store.read("o/x"))).toString()).toBe("short");
      expect(await statChecked(store, "o/x")).toEqual({ key: "o/x", size: 5 });
      const [a, b] = [randomBytes(1 << 20), randomBytes(1 << 19)];
      await Promise.all([store.write("o/y", a), store.write("o/y", b)]);
      const final = await readAll(await store.read("o/y"));
      expect(final.equals(a) || final.equals(b)).toBe(true);
    });

    it("lists by plain-text prefix, sorted, with exactly the written objects", async () => {
      const sizes: Record<string, number> = {
        "games/g1/clips/p1_wide.mp4": 3, "games/g1/clips/p1_tight.mp4": 4, "games/g1/clips/p10_wide.mp4": 5,
        "games/g1/training_data.jsonl": 6, "games/g10/manifest.json": 7, "games/g2/x": 8, "Games/g1/wide.mp4": 9, "top.txt": 10,
      };
      for (const [key, size] of Object.entries(sizes)) await store.write(key, "x".repeat(size));
      const all = Object.keys(sizes);
      const expectList = async (prefix: string, keys: string[]): Promise<void> =>
        expect(await store.list(prefix)).toEqual(byBytes(keys).map((key) => ({ key, size: sizes[key] })));
      await expectList("", all);
      await expectList("games/", all.filter((key) => key.startsWith("games/")));
      await expectList("games/g1/", all.filter((key) => key.startsWith("games/g1/")));
      await expectList("games/g1", all.filter((key) => key.startsWith("games/g1")));
      await expectList("games/g1/clips/p1_", ["games/g1/clips/p1_wide.mp4", "games/g1/clips/p1_tight.mp4"]);
      await expectList("games/g1/clips/p1", ["games/g1/clips/p1_wide.mp4", "games/g1/clips/p1_tight.mp4", "games/g1/clips/p10_wide.mp4"]);
      await expectList("games/g1/training_data.jsonl", ["games/g1/training_data.jsonl"]);
      await expectList("G", ["Games/g1/wide.mp4"]);
      await expectList("nothing/", []);
      await expectList("games/g1/clips/p1_wide.mp4/", []);
      for (const prefix of ["/games", "games/../", "games//", "a\\b", "\u0000"]) await storeError(store.list(prefix), "invalid_key");
    });

    it("reads inclusive byte ranges", async () => {
      await store.write("r/digits", "0123456789");
      const range = async (start: number, end?: number): Promise<string> =>
        (await readAll(await store.read("r/digits", end === undefined ? { start } : { start, end }))).toString();
      expect(await range(0)).toBe("0123456789");
      expect(await range(3)).toBe("3456789");
      expect(await range(2, 5)).toBe("2345");
      expect(await range(4, 4)).toBe("4");
      expect(await range(9, 9)).toBe("9");
      expect(await range(9)).toBe("9");
      expect(await range(8, 100)).toBe("89");
      for (const bad of [{ start: 10 }, { start: 11, end: 20 }, { start: -1 }, { start: 5, end: 4 }, { start: 1.5 }]) {
        await storeError(store.read("r/digits", bad), "io");
      }
      await store.write("r/empty", "");
      await storeError(store.read("r/empty", { start: 0 }), "io");
      await storeError(store.read("r/none", { start: 0 }), "not_found");
    });

    it("streams a large file in and out without holding it in memory", async () => {
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
      try {
        expect(await store.write("big/large.bin", { file: large.file })).toEqual({ key: "big/large.bin", size: LARGE_BYTES });
        expect(await hashStream(await store.read("big/large.bin"))).toEqual({ sha256: large.sha256, size: LARGE_BYTES });
      } finally {
        clearInterval(sampler);
      }
      // A store that held the file would grow RSS by at least LARGE_BYTES (one
      // buffer that size is a fresh mmap). Streaming costs the HTTP client's
      // buffers and uncollected garbage, which do not grow with the file:
      // 33.7 MB (Node 20) and 55.8 MB (Node 24) for a 64 MiB file in CI runs.
      // So the file is 128 MiB and the bound three quarters of it.
      expect(peak - baseline).toBeLessThan((LARGE_BYTES * 3) / 4);
      const tail = await readAll(await store.read("big/large.bin", { start: LARGE_BYTES - large.tail.length }));
      expect(tail.equals(large.tail)).toBe(true);
      const last = await readAll(await store.read("big/large.bin", { start: LARGE_BYTES - 1, end: LARGE_BYTES - 1 }));
      expect(last.equals(large.tail.subarray(-1))).toBe(true);
    });

    it("treats missing objects as absent", async () => {
      await storeError(store.read("missing/x"), "not_found");
      expect(await store.stat("missing/x")).toBeNull();
      await store.delete("missing/x");
      await store.write("d/x", "x");
      await store.delete("d/x");
      expect(await store.stat("d/x")).toBeNull();
      await storeError(store.read("d/x"), "not_found");
      expect(await store.list("")).toEqual([]);
    });

    it.each(BAD_KEYS)("rejects a key with %s as invalid_key", async (_label, key) => {
      await storeError(store.read(key), "invalid_key");
      await storeError(store.write(key, "x"), "invalid_key");
      await storeError(store.stat(key), "invalid_key");
      await storeError(store.delete(key), "invalid_key");
      expect(() => store.uri(key)).toThrow(StoreError);
      expect(await store.list("")).toEqual([]);
    });

    it("never shows a partial object while a large write is in flight", async () => {
      const old = Buffer.from("the old version");
      await store.write("atomic/over.bin", old);
      // Sizes of the objects not being written, which must show exactly as they are.
      const settled = new Map<string, number>([["atomic/over.bin", old.length]]);
      for (const [key, before] of [["atomic/new.bin", null], ["atomic/over.bin", old]] as const) {
        settled.delete(key);
        const allowed = [{ sha256: large.sha256, size: LARGE_BYTES }];
        if (before) allowed.push({ sha256: sha256(before), size: before.length });
        const sizes = allowed.map((version) => version.size);
        let done = false;
        const writing = store.write(key, { file: large.file }).finally(() => (done = true));
        do {
          const info = await store.stat(key);
          if (info) expect(sizes).toContain(info.size);
          else expect(before).toBeNull();
          const listed = await store.list("");
          expect(keysOf(listed).filter((k) => k !== key)).toEqual(byBytes([...settled.keys()]));
          for (const item of listed) {
            if (item.key === key) expect(sizes).toContain(item.size);
            else expect(item.size).toBe(settled.get(item.key));
          }
          const seen = await store.read(key).then(hashStream, (error: unknown) => error);
          if (seen instanceof StoreError && before === null) expect(seen.code).toBe("not_found");
          else expect(allowed).toContainEqual(seen);
        } while (!done);
        await writing;
        expect(await statChecked(store, key)).toEqual({ key, size: LARGE_BYTES });
        settled.set(key, LARGE_BYTES);
      }
    });

    it("leaves nothing behind when a write fails", async () => {
      await store.write("fail/kept", "kept");
      const missing = path.join(scratch, "does-not-exist.bin");
      const folder = path.join(scratch, "a-folder");
      await mkdir(folder, { recursive: true });
      for (const file of [missing, folder]) {
        await storeError(store.write("fail/new", { file }), "io");
        await storeError(store.write("fail/kept", { file }), "io");
      }
      expect(await store.stat("fail/new")).toBeNull();
      expect((await readAll(await store.read("fail/kept"))).toString()).toBe("kept");
      expect(await store.list("")).toEqual([{ key: "fail/kept", size: 4 }]);
    });
  });
}
