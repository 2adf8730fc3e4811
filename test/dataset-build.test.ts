import { createHash } from "node:crypto";
import { readFile, rm, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDatasetFromGames } from "../src/dataset/build.js";
import type { DatasetDocument } from "../src/dataset/model.js";
import { datasetKeys, readDataset } from "../src/dataset/publish.js";
import { manifestKey } from "../src/domain/layout.js";
import type { GameManifest } from "../src/domain/types.js";
import { processGame } from "../src/pipeline/process-game.js";
import { createLocalStore } from "../src/stores/local.js";
import type { ObjectStore } from "../src/stores/object-store.js";
import { buildRequest, gameRows } from "./helpers/dataset.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

let ws: Workspace;
let store: ObjectStore;
const GAMES = ["ga", "gb", "gc"];

beforeAll(async () => {
  ws = await createWorkspace(8);
  await ws.writePlays([...GAMES.flatMap((g) => gameRows(g)), { id: "x1", game_id: "failed", angle: "UP", start_timestamp: 1, end_timestamp: 2, play_type: "iso", quarter: 1 }]);
  for (const g of GAMES) await ws.addCameras(g);
  const pipeline = await ws.pipeline();
  for (const g of [...GAMES, "failed"]) await processGame(g, pipeline);
  store = createLocalStore({ root: ws.out });
}, 120_000);
afterAll(() => ws?.cleanup());

const file = (key: string): Promise<Buffer> => readFile(join(ws.out, key));
const lines = async (key: string): Promise<Array<{ contents: Array<{ parts: Array<Record<string, unknown>> }>; generationConfig?: unknown }>> =>
  (await file(key)).toString("utf8").trimEnd().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));

describe("dataset build", () => {
  it("merges the games into four files whose dataset.json records every example, and rebuilds byte-identically", async () => {
    const { doc, changed } = await buildDatasetFromGames(store, buildRequest("all3", GAMES));
    expect(changed).toBe(true);
    const keys = datasetKeys("all3");
    const record = JSON.parse((await file(keys.record)).toString()) as DatasetDocument;
    expect(record).toEqual(doc);
    expect(record.examples).toHaveLength(24);
    expect(record.counts).toMatchObject({ games: 3, plays: 12, training: record.examples.filter((e) => e.side === "training").length });
    for (const e of record.examples) {
      const bytes = await file(e.key);
      expect(e.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(e.bytes).toBe(bytes.length);
      expect(e.source.key).toBe(`Games/${e.game}/${e.camera}.mp4`);
      expect(e.duration).toBeGreaterThan(0.8);
      expect(e.tokens).toBeGreaterThan(64);
    }
    expect(record.settings).toMatchObject({ splitBy: "game", mediaResolution: "low" });
    // Every line carries the same media resolution and names a clip of its side.
    const training = await lines(keys.training);
    const validation = await lines(keys.validation);
    expect(training.length).toBe(record.counts.training);
    expect(validation.length).toBe(record.counts.validation);
    for (const line of [...training, ...validation]) expect(line.generationConfig).toEqual({ mediaResolution: "MEDIA_RESOLUTION_LOW" });
    const card = (await file(keys.card)).toString();
    expect(card).toMatch(/## Vertex AI limits checked/);
    expect(card).toMatch(/USD \d+\.\d\d/);
    expect(card).toContain("tuningJobs");

    const before = await Promise.all(Object.values(keys).slice(0, 4).map(file));
    const again = await buildDatasetFromGames(store, buildRequest("all3", GAMES));
    expect(again.changed).toBe(false);
    const after = await Promise.all(Object.values(keys).slice(0, 4).map(file));
    after.forEach((b, i) => expect(b.equals(before[i] ?? Buffer.alloc(0))).toBe(true));
    // A second name with the same inputs gives the same bytes apart from the name.
    await buildDatasetFromGames(store, buildRequest("copy", GAMES));
    expect((await file(datasetKeys("copy").training)).equals(before[0] ?? Buffer.alloc(0))).toBe(true);
  });

  it("keeps every game on one side with --split-by game, and every play on one side with --split-by play", async () => {
    for (const splitBy of ["game", "play"] as const) {
      const { doc } = await buildDatasetFromGames(store, buildRequest(`by-${splitBy}`, GAMES, { splitBy }));
      const unit = (e: DatasetDocument["examples"][number]): string => (splitBy === "game" ? e.game : `${e.game}/${e.play}`);
      const sides = new Map<string, Set<string>>();
      for (const e of doc.examples) sides.set(unit(e), new Set([...(sides.get(unit(e)) ?? []), e.side]));
      for (const [, s] of sides) expect(s.size).toBe(1);
      expect(doc.counts.validation).toBeGreaterThan(0);
      expect(doc.counts.training).toBeGreaterThan(doc.counts.validation);
      // Three whole games cannot come near a 20 % validation share; the card says why, and only then.
      const card = (await file(datasetKeys(`by-${splitBy}`).card)).toString();
      const share = Math.round((doc.counts.validation / doc.examples.length) * 100);
      if (splitBy === "game") expect(card).toContain(`Validation holds ${share} % of the examples, not the 20 %`);
      else expect(card).not.toContain("whole games go to one side");
      // Even a ratio that rounds every play into training leaves validation one.
      const skewed = await buildDatasetFromGames(store, buildRequest(`skewed-${splitBy}`, GAMES, { splitBy, splitRatio: 0.99 }));
      expect(skewed.doc.counts.validation).toBeGreaterThan(0);
      // Both play types are on both sides.
      for (const side of ["training", "validation"]) {
        expect(new Set(doc.examples.filter((e) => e.side === side).map((e) => e.playType))).toEqual(new Set(["iso", "pnr"]));
      }
    }
  });

  it("refuses what cannot make a good dataset, writing nothing", async () => {
    const attempts: Array<[Parameters<typeof buildRequest>, RegExp]> = [
      [["one", ["ga"]], /validation file empty.*two or more games/],
      [["unknown", ["ga", "nope"]], /game nope: unknown game.*run --games nope/],
      [["failed", ["ga", "failed"]], /game failed: it has no dataset: its last run failed/],
      [["local", GAMES, { allowLocal: false }], /not gs:\/\/.*--allow-local/],
    ];
    for (const [args, message] of attempts) {
      const name = args[0];
      await expect(buildDatasetFromGames(store, buildRequest(...args))).rejects.toThrow(message);
      expect(await readDataset(store, name)).toEqual({ kind: "absent" });
    }
  });

  it("refuses a clip that is missing or changed in the store, naming it", async () => {
    const manifest = JSON.parse((await file(manifestKey("gc"))).toString()) as GameManifest;
    const [first, second] = manifest.clips;
    if (!first || !second) throw new Error("fixture has no clips");
    const saved = await file(first.key);
    await rm(join(ws.out, first.key));
    await expect(buildDatasetFromGames(store, buildRequest("broken", GAMES))).rejects.toThrow(`clip ${first.key} is listed in its manifest but missing`);
    await writeFile(join(ws.out, first.key), Buffer.concat([saved, Buffer.from("x")]));
    await expect(buildDatasetFromGames(store, buildRequest("broken", GAMES))).rejects.toThrow(`clip ${first.key} changed in the store`);
    await writeFile(join(ws.out, first.key), saved);
    expect(await readDataset(store, "broken")).toEqual({ kind: "absent" });
  });

  it("keeps a dataset built from other inputs unless --force", async () => {
    await buildDatasetFromGames(store, buildRequest("kept", GAMES));
    const before = await file(datasetKeys("kept").record);
    await expect(buildDatasetFromGames(store, buildRequest("kept", ["ga", "gb"]))).rejects.toThrow(/already exists with other inputs \(games were .*--force/);
    await expect(buildDatasetFromGames(store, buildRequest("kept", GAMES, { mediaResolution: "high" }))).rejects.toThrow(/mediaResolution was "low", now "high"/);
    expect((await file(datasetKeys("kept").record)).equals(before)).toBe(true);
    const forced = await buildDatasetFromGames(store, buildRequest("kept", ["ga", "gb"], {}, true));
    expect(forced.doc.counts.games).toBe(2);
  });

  it("--drop-invalid leaves out a clip over 100 MB and lists it, but refuses when more than 10% would go", async () => {
    const manifestPath = join(ws.out, manifestKey("gb"));
    const original = await readFile(manifestPath);
    const manifest = JSON.parse(original.toString()) as GameManifest;
    const ok = manifest.clips.filter((c) => c.status === "ok");
    const saved = await Promise.all(ok.map((c) => file(c.key)));
    // Sparse files over Vertex AI's 100 MB, recorded as the game's own clips.
    const oversize = async (count: number): Promise<void> => {
      for (const clip of ok.slice(0, count)) {
        const path = join(ws.out, clip.key);
        await truncate(path, 100_000_001);
        clip.bytes = 100_000_001;
        clip.sha256 = createHash("sha256").update(await readFile(path)).digest("hex");
      }
      await writeFile(manifestPath, JSON.stringify(manifest));
    };
    try {
      await oversize(1);
      await expect(buildDatasetFromGames(store, buildRequest("big", GAMES))).rejects.toThrow(/1 of 24 examples break Vertex AI limits; nothing written.*\n.*gb\/.*100\.0 MB video file limit/s);
      const { doc } = await buildDatasetFromGames(store, buildRequest("big", GAMES, { dropInvalid: true }));
      expect(doc.counts).toMatchObject({ dropped: 1, training: expect.any(Number) });
      expect(doc.examples).toHaveLength(23);
      expect(doc.dropped[0]?.reasons.join()).toMatch(/over the 100\.0 MB video file limit/);
      expect((await file(datasetKeys("big").card)).toString()).toMatch(/## Left out \(--drop-invalid\)/);
      await oversize(3);
      await expect(buildDatasetFromGames(store, buildRequest("big3", GAMES, { dropInvalid: true }))).rejects.toThrow(/would leave out 3 of 24 examples, over Vertex AI's 10% limit/);
      expect(await readDataset(store, "big3")).toEqual({ kind: "absent" });
    } finally {
      await Promise.all(ok.map((c, i) => writeFile(join(ws.out, c.key), saved[i] ?? Buffer.alloc(0))));
      await writeFile(manifestPath, original);
    }
  });
});
