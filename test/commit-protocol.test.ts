import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { buffer, text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreError } from "../src/domain/errors.js";
import { manifestKey, runFileKey, trainingKey, validationKey, videoKey } from "../src/domain/layout.js";
import { CAMERAS, type GameManifest } from "../src/domain/types.js";
import type { Pipeline, RunOptions } from "../src/pipeline/parts.js";
import { processGame } from "../src/pipeline/process-game.js";
import { readGameStatus } from "../src/pipeline/status.js";
import { createGcsStore } from "../src/stores/gcs.js";
import { createLocalStore } from "../src/stores/local.js";
import type { ObjectStore } from "../src/stores/object-store.js";
import { crashAfter } from "./helpers/crash-store.js";
import { startGcsEmulator, type GcsEmulator } from "./helpers/gcs-emulator.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

// The commit protocol, proven by stopping the writer after every store
// operation of a rerun that changes the dataset (new seed, one more play),
// in turn, and looking at the store as each reader would each time.

const GAME = "g1";
// The recovery run's clock runs this far ahead, so the dead attempt looks stale at once.
const STALE_MS = { local: 10_000, gcs: 10_000 };
let ws: Workspace;
let emulator: GcsEmulator;

const row = (id: string, angle: string, start: number, end: number) => ({ id, game_id: GAME, angle, start_timestamp: start, end_timestamp: end, play_type: "iso", quarter: 1 });
const FIRST_PLAYS = [row("p1", "LEFT", 0.5, 1.5), row("p2", "RIGHT", 1, 2), row("p3", "LEFT", 2, 3), row("p4", "RIGHT", 3, 4)];
// Locally the rerun also cuts one more play; on the emulator it relabels one (no cutting: each step stays quick).
const RERUN_PLAYS = { local: [...FIRST_PLAYS, row("p5", "LEFT", 4, 5)], gcs: [{ ...row("p1", "LEFT", 0.5, 1.5), play_type: "pick and roll" }, ...FIRST_PLAYS.slice(1)] };

beforeAll(async () => {
  ws = await createWorkspace(6);
  await ws.addCameras(GAME);
  emulator = await startGcsEmulator();
  await emulator.createBucket("videos");
  await emulator.createBucket("training");
});
afterAll(async () => {
  await ws?.cleanup();
  await emulator?.stop();
});

interface Setup {
  pipeline: Pipeline;
  run: RunOptions;
}

/** A rerun changes the dataset through its split seed (and its plays). */
function withSeed(pipeline: Pipeline, seed: string): Pipeline {
  return { ...pipeline, dataset: { ...pipeline.dataset, split: { ratio: 0.5, seed } } };
}

async function readText(store: ObjectStore, key: string): Promise<string | null> {
  try {
    return await text(await store.read(key));
  } catch (error) {
    if (error instanceof StoreError && error.code === "not_found") return null;
    throw error;
  }
}

/** Every reader's view must be one whole, finished run's outputs; returns the run each one sees complete. */
async function checkReaders(store: ObjectStore): Promise<{ jsonlRun: string | null; statusRun: string | null }> {
  const [manifestBody = null, training = null, validation = null] = await Promise.all([manifestKey, trainingKey, validationKey].map((k) => readText(store, k(GAME))));
  const sameRun = async (runId: string | undefined | null): Promise<string> => {
    expect(runId, "published files name their run").toBeTruthy();
    const run = runId as string;
    expect(training).toBe(await readText(store, runFileKey(GAME, run, "training_data.jsonl")));
    expect(validation).toBe(await readText(store, runFileKey(GAME, run, "validation_data.jsonl")));
    expect(manifestBody).toBe(await readText(store, runFileKey(GAME, run, "manifest.json")));
    return run;
  };
  // The workflow's rule: both JSONL files present = complete.
  const manifest = manifestBody === null ? null : (JSON.parse(manifestBody) as GameManifest);
  const jsonlRun = training !== null && validation !== null ? await sameRun(manifest?.runId) : null;
  // playclips status and batch: the status object.
  const status = await readGameStatus(store, GAME);
  const statusRun = status.state === "complete" ? await sameRun(status.run_id) : null;
  if (status.state === "complete") expect(manifest?.runId).toBe(status.run_id);
  return { jsonlRun, statusRun };
}

async function rerunWithCrashes(
  label: "local" | "gcs",
  freshStore: (step: number) => Promise<ObjectStore>,
  context: (output: ObjectStore) => Promise<Setup>,
): Promise<{ steps: number; sawPending: boolean }> {
  let sawPending = false;
  for (let step = 1; ; step++) {
    const store = await freshStore(step);
    const before = await checkReaders(store);
    const firstRun = before.statusRun as string;
    const firstCopies = await Promise.all(["manifest.json", "training_data.jsonl", "validation_data.jsonl"].map((n) => readText(store, runFileKey(GAME, firstRun, n as "manifest.json"))));
    await ws.writePlays(RERUN_PLAYS[label]);
    const crashing = crashAfter(store, step);
    const crashed = await context(crashing.store);
    const outcome = await processGame(GAME, crashed.pipeline, crashed.run).then(() => "finished", () => "crashed");
    const view = await checkReaders(store).catch((error: unknown) => {
      throw new Error(`${label}: after operation ${step} (${crashing.log().at(-1)}): ${String(error)}`);
    });
    if (view.statusRun === null) sawPending = true;
    // The first run's outputs stay recoverable at every step.
    for (const [i, n] of (["manifest.json", "training_data.jsonl", "validation_data.jsonl"] as const).entries()) {
      expect(await readText(store, runFileKey(GAME, firstRun, n))).toBe(firstCopies[i]);
    }
    if (outcome === "finished") {
      console.log(`${label}: stopped after each of ${step - 1} operations: ${crashing.log().join(", ")}`);
      return { steps: step, sawPending };
    }
    // The next attempt, once the dead one's heartbeat is stale (its clock runs ahead), ends with the rerun's dataset.
    const later = await context(store);
    const result = await processGame(GAME, later.pipeline, { ...later.run, lease: { ...later.run.lease, now: () => Date.now() + STALE_MS[label] + 1 } });
    expect(result.status, `${label}: recovery after operation ${step}`).toBe("complete");
    const after = await checkReaders(store);
    expect(after.statusRun).toBe(after.jsonlRun);
    expect((await readText(store, trainingKey(GAME)))?.trimEnd().split("\n").length).toBe(result.successful_clips - (await readText(store, validationKey(GAME)))!.trimEnd().split("\n").length);
  }
}

describe("commit protocol under crash injection", () => {
  it("local store: a rerun stopped after each operation in turn never shows a mixed or abandoned dataset", async () => {
    const base = join(ws.root, "base");
    await ws.writePlays(FIRST_PLAYS);
    const first = await processGame(GAME, withSeed(await ws.pipeline({ backends: { output: createLocalStore({ root: base }) } }), "a"));
    expect(first.status).toBe("complete");
    const context = async (output: ObjectStore): Promise<Setup> => ({
      pipeline: withSeed(await ws.pipeline({ backends: { output } }), "b"),
      run: { lease: { staleAfterMs: STALE_MS.local, heartbeatMs: 60_000 } },
    });
    const { steps, sawPending } = await rerunWithCrashes("local", async () => {
      await rm(ws.out, { recursive: true, force: true });
      await cp(base, ws.out, { recursive: true });
      return createLocalStore({ root: ws.out });
    }, context);
    expect(steps).toBeGreaterThan(10);
    expect(sawPending).toBe(true);
  }, 600_000);

  it("GCS emulator: the same, step by step", async () => {
    const videos = createGcsStore({ bucket: "videos", apiEndpoint: emulator.apiEndpoint });
    for (const camera of CAMERAS) await videos.write(videoKey(GAME, camera), { file: join(ws.videos, videoKey(GAME, camera)) });
    const at = (prefix: string): ObjectStore => createGcsStore({ bucket: "training", prefix, apiEndpoint: emulator.apiEndpoint });
    const base = at("base");
    await ws.writePlays(FIRST_PLAYS);
    expect((await processGame(GAME, withSeed(await ws.pipeline({ backends: { videos, output: base } }), "a"))).status).toBe("complete");
    const baseObjects = (await base.list?.("")) ?? [];
    expect(baseObjects.length).toBeGreaterThan(5);
    const context = async (output: ObjectStore): Promise<Setup> => ({
      pipeline: withSeed(await ws.pipeline({ backends: { videos, output } }), "b"),
      run: { lease: { staleAfterMs: STALE_MS.gcs, heartbeatMs: 60_000 } },
    });
    const { steps } = await rerunWithCrashes("gcs", async (step) => {
      const store = at(`step${step}`);
      // URIs inside the files name the base prefix; the checks compare files with their run's copies, so that is fine.
      for (const { key } of baseObjects) await store.write(key, await buffer(await base.read(key)));
      return store;
    }, context);
    expect(steps).toBeGreaterThan(10);
  }, 600_000);
});
