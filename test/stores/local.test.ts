import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StoreError, ValidationError } from "../../src/domain/errors.js";
import { createLocalStore } from "../../src/stores/local.js";
import type { ListingStore } from "../../src/stores/object-store.js";
import { describeObjectStoreContract } from "../contract/object-store.contract.js";

describeObjectStoreContract("local", async () => {
  const dir = await mkdtemp(path.join(tmpdir(), "playclips-local-"));
  // A root that does not exist yet: the store must create it on the first write.
  const store = createLocalStore({ root: path.join(dir, "bucket") });
  return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

async function readText(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe("local store specifics", () => {
  let dir: string;
  let root: string;
  let store: ListingStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "playclips-local-"));
    root = path.join(dir, "bucket");
    store = createLocalStore({ root });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("is named after its absolute root and needs one", () => {
    expect(store.name).toBe(`local:${root}`);
    const relative = createLocalStore({ root: "some/where" });
    expect(relative.name).toBe(`local:${path.resolve("some/where")}`);
    expect(() => createLocalStore({ root: "" })).toThrow(ValidationError);
  });

  it("creates the root lazily and mirrors keys as nested folders", async () => {
    expect(await store.list("")).toEqual([]);
    expect(await store.stat("games/g1/x")).toBeNull();
    await expect(stat(root)).rejects.toMatchObject({ code: "ENOENT" });
    await store.write("games/g1/clips/p1_wide.mp4", "clip");
    const file = path.join(root, "games", "g1", "clips", "p1_wide.mp4");
    expect(store.localPath?.("games/g1/clips/p1_wide.mp4")).toBe(file);
    expect(await readFile(file, "utf8")).toBe("clip");
  });

  it("validates keys in localPath and gives file:// URIs", () => {
    expect(() => store.localPath?.("../escape")).toThrow(StoreError);
    const uri = store.uri("games/a b#1.mp4");
    expect(uri).toBe(pathToFileURL(path.join(root, "games", "a b#1.mp4")).href);
    expect(uri.startsWith("file:///")).toBe(true);
    expect(uri).toContain("a%20b%231.mp4");
  });

  it("never lists temp files, even stale ones a crashed writer left", async () => {
    const clips = path.join(root, "games", "g1", "clips");
    await mkdir(clips, { recursive: true });
    const stale = path.join(clips, ".p1_wide.mp4.0123456789abcdef.partial");
    await writeFile(stale, "half a clip");
    expect(await store.list("")).toEqual([]);
    expect(await store.write("games/g1/clips/p1_wide.mp4", "whole clip")).toEqual({ key: "games/g1/clips/p1_wide.mp4", size: 10 });
    expect(await store.list("games/g1/clips/")).toEqual([{ key: "games/g1/clips/p1_wide.mp4", size: 10 }]);
    expect(await readText(await store.read("games/g1/clips/p1_wide.mp4"))).toBe("whole clip");
    // The stale file is left alone: another process might still be writing it.
    expect(await readFile(stale, "utf8")).toBe("half a clip");
    expect((await readdir(clips)).sort()).toEqual([path.basename(stale), "p1_wide.mp4"].sort());
  });

  it("removes its temp file when a write fails midway", async () => {
    const folder = path.join(dir, "not-a-file");
    await mkdir(folder);
    await expect(store.write("games/g1/x.mp4", { file: folder })).rejects.toMatchObject({ code: "io" });
    expect(await readdir(path.join(root, "games", "g1"))).toEqual([]);
  });

  it("treats folders as absent, not as objects", async () => {
    await store.write("games/g1/x.mp4", "x");
    expect(await store.stat("games/g1")).toBeNull();
    await expect(store.read("games/g1")).rejects.toMatchObject({ code: "not_found" });
    await store.delete("games/g1");
    expect(await store.stat("games/g1/x.mp4")).toEqual({ key: "games/g1/x.mp4", size: 1 });
  });

  it("reports a key below an existing object as an io error", async () => {
    await store.write("games/g1", "a file");
    await expect(store.write("games/g1/x.mp4", "x")).rejects.toMatchObject({ code: "io" });
    expect(await store.stat("games/g1/x.mp4")).toBeNull();
    await expect(store.read("games/g1/x.mp4")).rejects.toMatchObject({ code: "not_found" });
    expect(await store.list("")).toEqual([{ key: "games/g1", size: 6 }]);
  });

  it.skipIf(process.platform === "win32")("skips files whose names no key could have", async () => {
    await mkdir(root, { recursive: true });
    await writeFile(path.join(root, "back\\slash"), "x");
    await writeFile(path.join(root, "ok.txt"), "ok");
    expect(await store.list("")).toEqual([{ key: "ok.txt", size: 2 }]);
  });
});
