import { text } from "node:stream/consumers";
import { StoreError } from "../domain/errors.js";
import { runFileKey } from "../domain/layout.js";
import type { ClipRecord } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";

// A run's progress record (games/{id}/runs/{run}/progress.json): the good clips
// it has so far, rewritten whole (atomically) as clips land, so that the next
// attempt reuses them even if this run is killed before its manifest exists.

interface ProgressRecord {
  version: 1;
  run_id: string;
  clips: ClipRecord[];
}

export interface ProgressRecorder {
  add(clip: ClipRecord): void;
  /** Resolves once every clip added so far is in the stored record. */
  flush(): Promise<void>;
}

/**
 * One write at a time; clips that land meanwhile go out together in the next,
 * so a game of n clips costs at most n small writes and usually far fewer.
 * A failed write is retried with the next clip: progress only saves work.
 */
export function createProgressRecorder(store: ObjectStore, gameId: string, runId: string): ProgressRecorder {
  const key = runFileKey(gameId, runId, "progress.json");
  const clips: ClipRecord[] = [];
  let written = 0;
  let writing: Promise<void> | null = null;

  const pump = async (): Promise<boolean> => {
    while (written < clips.length) {
      const upTo = clips.length;
      const record: ProgressRecord = { version: 1, run_id: runId, clips: clips.slice(0, upTo) };
      try {
        await store.write(key, JSON.stringify(record), { contentType: "application/json" });
        written = upTo;
      } catch {
        return false;
      }
    }
    return true;
  };
  const kick = (): void => {
    if (writing) return;
    writing = pump().then((ok) => {
      writing = null;
      // A clip that landed during the last write's final moment still goes out.
      if (ok && written < clips.length) kick();
    });
  };
  return {
    add(clip) {
      if (clip.status !== "ok") return;
      clips.push(clip);
      kick();
    },
    async flush() {
      while (writing) await writing;
    },
  };
}

/** The good clips a run recorded, or none when it recorded nothing readable. */
export async function readProgress(store: ObjectStore, gameId: string, runId: string): Promise<ClipRecord[]> {
  try {
    const parsed = JSON.parse(await text(await store.read(runFileKey(gameId, runId, "progress.json")))) as Partial<ProgressRecord>;
    if (parsed.version !== 1 || parsed.run_id !== runId || !Array.isArray(parsed.clips)) return [];
    return parsed.clips.filter((c) => typeof c?.key === "string" && c.status === "ok" && typeof c.bytes === "number");
  } catch (error) {
    if (error instanceof StoreError && error.code !== "not_found") throw error;
    return [];
  }
}
