import { text } from "node:stream/consumers";
import { StoreError } from "../domain/errors.js";
import { manifestKey, runFileKey, trainingKey, validationKey } from "../domain/layout.js";
import type { GameManifest } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";
import type { DatasetFiles } from "./dataset.js";
import type { RunLease } from "./lease.js";
import { readManifest, serializeManifest } from "./manifest.js";
import { shortReason, type AttemptRecord, type GameStatusObject } from "./status-object.js";

// The commit protocol for a game's outputs (docs/manifest-and-reruns.md):
// 1. the run's own copies under runs/{run}/ (never replaced);
// 2. status.json says "publishing" (pollers read pending);
// 3. validation_data.jsonl removed (the JSONL rule reads pending);
// 4. manifest.json, training_data.jsonl, then validation_data.jsonl written;
// 5. status.json names the run and its result.
// Every step is safe to stop after; a run that finds step 2 stale finishes
// it from step 1's copies before it does anything else.

const JSON_TYPE = { contentType: "application/json" };
const JSONL_TYPE = { contentType: "application/jsonl" };

interface PublishedFiles {
  manifest: GameManifest;
  manifestBody: string;
  training: string | null;
  validation: string | null;
}

export interface CommitOptions {
  /** Throws once this run may no longer publish: it was cancelled, or its lease is not fresh. */
  guard: () => void;
  /** A failed run removes the published dataset instead of keeping it (an explicit user choice). */
  discardOnFailure: boolean;
}

export async function commitRun(
  store: ObjectStore, lease: RunLease, manifest: GameManifest, dataset: DatasetFiles | null, options: CommitOptions,
): Promise<void> {
  const { gameId } = manifest;
  const manifestBody = serializeManifest(manifest);
  options.guard();
  await store.write(runFileKey(gameId, lease.runId, "manifest.json"), manifestBody, JSON_TYPE);
  if (dataset) {
    options.guard();
    await store.write(runFileKey(gameId, lease.runId, "training_data.jsonl"), dataset.training, JSONL_TYPE);
    options.guard();
    await store.write(runFileKey(gameId, lease.runId, "validation_data.jsonl"), dataset.validation, JSONL_TYPE);
  }
  const files = { manifest, manifestBody, training: dataset?.training ?? null, validation: dataset?.validation ?? null };
  const finishAttempt = (a: AttemptRecord): AttemptRecord => ({
    ...a, state: dataset ? "done" : "failed", reason: shortReason(manifest.reason), finished_at: manifest.finishedAt, clips_done: manifest.counts.clipsOk,
  });
  if (!dataset && !options.discardOnFailure) {
    const kept = await publishedDataset(store, lease.before);
    if (kept) {
      // A failed rerun never destroys a dataset: it is recorded, and the dataset stays as it was.
      options.guard();
      await lease.update((s) => ({
        ...s, ...kept,
        reason: shortReason(`the last attempt (run ${lease.runId}) failed: ${manifest.reason ?? "no reason"}; the earlier dataset is kept`),
        attempt: s.attempt && finishAttempt(s.attempt),
      }));
      return;
    }
  }
  await publish(store, lease, files, options.guard, finishAttempt);
}

/** Publishing rewrites fixed keys, and a pending game must not keep the old validation file: deleting is required. */
function remove(store: ObjectStore, key: string): Promise<void> {
  if (!store.delete) return Promise.reject(new StoreError(store.name, "io", `cannot publish: this store cannot delete (${key})`));
  return store.delete(key);
}

/** Steps 2-5 for files already safe under runs/{run}/. */
async function publish(
  store: ObjectStore, lease: RunLease, files: PublishedFiles, guard: () => void, attemptAfter: (a: AttemptRecord) => AttemptRecord,
): Promise<void> {
  const { manifest } = files;
  const gameId = manifest.gameId;
  // Only the status writes are conditional: the plain writes between them
  // rely on the lease being fresh, so no other run can have taken over.
  const step = async (write: () => Promise<unknown>): Promise<void> => {
    guard();
    lease.assertFresh();
    await write();
  };
  guard();
  const at = new Date(lease.now()).toISOString();
  await lease.update((s) => ({ ...s, state: "pending", reason: null, attempt: s.attempt && { ...s.attempt, state: "publishing", heartbeat_at: at } }));
  await step(() => remove(store, validationKey(gameId)));
  await step(() => store.write(manifestKey(gameId), files.manifestBody, JSON_TYPE));
  const training = files.training;
  await step(() => (training === null ? remove(store, trainingKey(gameId)) : store.write(trainingKey(gameId), training, JSONL_TYPE)));
  const validation = files.validation;
  if (validation !== null) await step(() => store.write(validationKey(gameId), validation, JSONL_TYPE));
  await step(() =>
    lease.update((s) => ({
      ...s,
      state: manifest.status,
      reason: shortReason(manifest.reason),
      run_id: manifest.runId ?? null,
      finished_at: manifest.finishedAt,
      counts: manifest.counts,
      attempt: s.attempt && attemptAfter(s.attempt),
    })),
  );
}

/** The dataset the fixed keys hold before this run, if any: from the status object, or from outputs older than it. */
async function publishedDataset(store: ObjectStore, before: GameStatusObject): Promise<Partial<GameStatusObject> | null> {
  if (before.state === "complete" || before.state === "partial") {
    return { state: before.state, run_id: before.run_id, finished_at: before.finished_at, counts: before.counts };
  }
  if (before.run_id !== null || before.attempt !== null) return null;
  const gameId = before.game_id;
  const [training, validation, previous] = await Promise.all([store.stat(trainingKey(gameId)), store.stat(validationKey(gameId)), readManifest(store, gameId)]);
  if (!training || !validation) return null;
  const m = previous.kind === "ok" && previous.manifest.status !== "failed" ? previous.manifest : null;
  return { state: m?.status === "partial" ? "partial" : "complete", run_id: m?.runId ?? null, finished_at: m?.finishedAt ?? null, counts: m?.counts ?? null };
}

/**
 * A run that died while publishing (its status still says so, its heartbeat
 * stale) left the fixed keys half rewritten: its own copies are whole, so its
 * publish is finished from them. The attempt stays this run's.
 */
export async function finishDeadPublish(store: ObjectStore, lease: RunLease, guard: () => void): Promise<void> {
  const dead = lease.before.attempt;
  if (!dead || dead.state !== "publishing") return;
  const gameId = lease.before.game_id;
  const read = async (name: "training_data.jsonl" | "validation_data.jsonl"): Promise<string | null> => {
    try {
      return await text(await store.read(runFileKey(gameId, dead.run_id, name)));
    } catch (error) {
      if (error instanceof StoreError && error.code === "not_found") return null;
      throw error;
    }
  };
  const found = await readManifest(store, gameId, runFileKey(gameId, dead.run_id, "manifest.json"));
  if (found.kind !== "ok") return;
  const manifest = found.manifest;
  const [training, validation] = manifest.status === "failed" ? [null, null] : await Promise.all([read("training_data.jsonl"), read("validation_data.jsonl")]);
  if (manifest.status !== "failed" && (training === null || validation === null)) return;
  await publish(store, lease, { manifest, manifestBody: serializeManifest(manifest), training, validation }, guard, (a) => ({ ...a, state: "running" }));
}
