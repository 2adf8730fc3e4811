import { join } from "node:path";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDatasetFromGames } from "../src/dataset/build.js";
import type { DatasetDocument } from "../src/dataset/model.js";
import { datasetKeys, describeFile, publishDataset, readDataset } from "../src/dataset/publish.js";
import { videoKey } from "../src/domain/layout.js";
import { CAMERAS } from "../src/domain/types.js";
import { processGame } from "../src/pipeline/process-game.js";
import { createGcsStore } from "../src/stores/gcs.js";
import { createLocalStore } from "../src/stores/local.js";
import type { ObjectStore } from "../src/stores/object-store.js";
import { buildRequest, gameRows } from "./helpers/dataset.js";
import { startGcsEmulator, type GcsEmulator } from "./helpers/gcs-emulator.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

let emulator: GcsEmulator;
let ws: Workspace;

beforeAll(async () => {
  emulator = await startGcsEmulator();
  await emulator.createBucket("videos");
  await emulator.createBucket("training");
  ws = await createWorkspace(8);
}, 120_000);
afterAll(async () => {
  await ws?.cleanup();
  await emulator?.stop();
});

/** A store whose write number `failAt` (1-based) throws, as if the process died there. */
function crashingStore(inner: ObjectStore, failAt: number): ObjectStore {
  let writes = 0;
  return Object.assign(Object.create(inner) as ObjectStore, {
    write: (...args: Parameters<ObjectStore["write"]>) => {
      writes += 1;
      if (writes === failAt) return Promise.reject(new Error(`crash before write ${failAt}`));
      return inner.write(...args);
    },
  });
}

function fakeDataset(store: ObjectStore, name: string, tag: string): { doc: DatasetDocument; bodies: { training: string; validation: string; card: string } } {
  const keys = datasetKeys(name);
  const bodies = { training: `{"t":"${tag}"}\n`, validation: `{"v":"${tag}"}\n`, card: `# ${tag}\n` };
  const doc = {
    kind: "playclips-dataset", version: 1, name, playclips: tag,
    files: { training: describeFile(store, keys.training, bodies.training), validation: describeFile(store, keys.validation, bodies.validation), card: describeFile(store, keys.card, bodies.card) },
  } as unknown as DatasetDocument;
  return { doc, bodies };
}

describe.each(["local", "gcs"] as const)("dataset publish on %s", (kind) => {
  const open = (): ObjectStore =>
    kind === "local" ? createLocalStore({ root: join(ws.root, "publish") }) : createGcsStore({ bucket: "training", prefix: "publish", apiEndpoint: emulator.apiEndpoint });

  it("a build stopped before any of its four writes leaves the previous dataset or one readers see as incomplete", async () => {
    const store = open();
    for (let failAt = 1; failAt <= 4; failAt++) {
      const name = `crash${failAt}`;
      const old = fakeDataset(store, name, "old");
      await publishDataset(store, old.doc, old.bodies);
      const next = fakeDataset(store, name, "new");
      await expect(publishDataset(crashingStore(store, failAt), next.doc, next.bodies)).rejects.toThrow(/crash/);
      const read = await readDataset(store, name);
      if (failAt === 1) expect(read).toEqual({ kind: "ok", doc: old.doc });
      else expect(read).toMatchObject({ kind: "incomplete", reason: expect.stringMatching(/is not the file .*dataset.json records/) });
      // The next build completes it.
      await publishDataset(store, next.doc, next.bodies);
      expect(await readDataset(store, name)).toEqual({ kind: "ok", doc: next.doc });
    }
    // A first build that stops before dataset.json is incomplete, not absent.
    const first = fakeDataset(store, "first", "new");
    await expect(publishDataset(crashingStore(store, 2), first.doc, first.bodies)).rejects.toThrow(/crash/);
    expect(await readDataset(store, "first")).toMatchObject({ kind: "incomplete", reason: expect.stringMatching(/dataset.json is missing/) });
  });
});

describe("dataset build on GCS", () => {
  it("builds from games in a bucket with gs:// URIs and no --allow-local, byte-identical on rerun", async () => {
    const videos = createGcsStore({ bucket: "videos", apiEndpoint: emulator.apiEndpoint });
    const output = createGcsStore({ bucket: "training", prefix: "run", apiEndpoint: emulator.apiEndpoint });
    await ws.writePlays(gameRows("g1"));
    await ws.addCameras("g1");
    for (const camera of CAMERAS) await videos.write(videoKey("g1", camera), { file: join(ws.videos, videoKey("g1", camera)) });
    expect((await processGame("g1", await ws.pipeline({ backends: { videos, output } }))).status).toBe("complete");

    const request = buildRequest("gcs", "all", { splitBy: "play", allowLocal: false });
    const { doc } = await buildDatasetFromGames(output, request);
    expect(doc.examples).toHaveLength(8);
    expect(doc.examples.every((e) => e.uri.startsWith("gs://training/run/games/g1/clips/"))).toBe(true);
    expect(doc.files.training.uri).toBe("gs://training/run/datasets/gcs/training_data.jsonl");
    expect(await readDataset(output, "gcs")).toEqual({ kind: "ok", doc });
    const keys = datasetKeys("gcs");
    const before = await Promise.all([keys.training, keys.validation, keys.card, keys.record].map(async (k) => text(await output.read(k))));
    expect((await buildDatasetFromGames(output, request)).changed).toBe(false);
    const after = await Promise.all([keys.training, keys.validation, keys.card, keys.record].map(async (k) => text(await output.read(k))));
    expect(after).toEqual(before);
    expect(before[0]).toContain('"fileUri":"gs://training/run/games/g1/clips/');
  });
});
