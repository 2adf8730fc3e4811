import { RunCancelledError } from "../domain/errors.js";
import { wrapStore, type ObjectStore } from "../stores/object-store.js";

/**
 * The output store as a run sees it: once the run's signal aborts, every
 * write and delete is refused with RunCancelledError, so nothing of a
 * cancelled run is published afterwards, whichever entry point cancelled it.
 * Reads and every other capability go through (wrapStore).
 */
export function guardedStore(store: ObjectStore, gameId: string, signal: AbortSignal): ObjectStore {
  const check = (): void => {
    if (signal.aborted) throw new RunCancelledError(gameId, reasonOf(signal));
  };
  const overrides: Partial<ObjectStore> = {
    write: async (key, body, options) => {
      check();
      return store.write(key, body, options);
    },
  };
  const remove = store.delete?.bind(store);
  if (remove) {
    overrides.delete = async (key) => {
      check();
      await remove(key);
    };
  }
  const swap = store.writeIfVersion?.bind(store);
  if (swap) {
    overrides.writeIfVersion = async (key, body, expected, options) => {
      check();
      return swap(key, body, expected, options);
    };
  }
  return wrapStore(store, overrides);
}

export function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof RunCancelledError) return reason.reason;
  if (reason instanceof Error && reason.name !== "AbortError") return reason.message;
  if (typeof reason === "string") return reason;
  return "cancelled";
}
