import { GameBusyError, RunCancelledError } from "../domain/errors.js";
import { statusKey } from "../domain/layout.js";
import type { ObjectStore } from "../stores/object-store.js";
import { emptyStatus, isStale, readStatusObject, serializeStatus, type GameStatusObject } from "./status-object.js";

/**
 * A run's hold on its game: the attempt recorded in the status object, replaced
 * only if unchanged since this run last wrote it (a GCS generation, a local
 * content hash). Another run takes the game over only once the heartbeat is
 * stale, and this run then finds its next update refused and stops.
 */
export interface RunLease {
  readonly runId: string;
  /** The status object as this run found it. */
  readonly before: GameStatusObject;
  current(): GameStatusObject;
  /** Replaces the status object if this run still holds the game; else throws RunCancelledError. */
  update(change: (status: GameStatusObject) => GameStatusObject): Promise<void>;
  /**
   * Throws unless this run's last confirmed update is recent enough that no
   * other run can have taken over since: called before each publishing step.
   */
  assertFresh(): void;
  /** The lease's clock (ms since the epoch). */
  now(): number;
  /** Resolves once no update is in flight; later updates are refused. */
  end(): Promise<void>;
}

export interface LeaseOptions {
  /** A running attempt whose heartbeat is older than this is dead and may be taken over. */
  staleAfterMs: number;
  now?: () => number;
  /** Take the game even from a fresh attempt (a queue's retry: its previous owner's time ran out). */
  takeOver?: boolean;
}

const ACQUIRE_ATTEMPTS = 5;

export async function acquireLease(store: ObjectStore, gameId: string, runId: string, options: LeaseOptions): Promise<RunLease> {
  const now = options.now ?? Date.now;
  const key = statusKey(gameId);
  for (let attempt = 1; ; attempt++) {
    const found = await readStatusObject(store, gameId);
    const before = found?.status ?? emptyStatus(gameId);
    const held = before.attempt;
    const live = held && (held.state === "running" || held.state === "publishing") && !isStale(held, now(), options.staleAfterMs);
    if (held && live && !options.takeOver) {
      throw new GameBusyError(gameId, held.run_id, now() - Date.parse(held.heartbeat_at));
    }
    const at = new Date(now()).toISOString();
    const mine: GameStatusObject = {
      ...before,
      attempt: { run_id: runId, state: "running", reason: null, started_at: at, heartbeat_at: at, finished_at: null, clips_done: 0, clips_planned: 0 },
    };
    const version = await put(store, key, mine, found ? found.version : null);
    if (version !== false) return createLease(store, key, runId, before, mine, version, options);
    if (attempt === ACQUIRE_ATTEMPTS) throw new GameBusyError(gameId, "unknown", 0);
  }
}

/** Writes conditionally where the store can; false when the precondition failed. */
async function put(store: ObjectStore, key: string, status: GameStatusObject, expected: string | null): Promise<string | null | false> {
  const body = serializeStatus(status);
  if (!store.writeIfVersion) {
    // A store without compare-and-swap gets no guard against two concurrent runs (docs/manifest-and-reruns.md).
    await store.write(key, body, { contentType: "application/json" });
    return null;
  }
  const version = await store.writeIfVersion(key, body, expected, { contentType: "application/json" });
  return version ?? false;
}

function createLease(
  store: ObjectStore, key: string, runId: string, before: GameStatusObject, first: GameStatusObject, firstVersion: string | null, options: LeaseOptions,
): RunLease {
  const now = options.now ?? Date.now;
  let status = first;
  let version = firstVersion;
  let confirmedAt = now();
  let lost: RunCancelledError | null = null;
  // Updates run one at a time: two at once would race each other's version.
  let queue: Promise<void> = Promise.resolve();
  const gameId = first.game_id;

  let ended = false;
  const apply = async (change: (s: GameStatusObject) => GameStatusObject): Promise<void> => {
    if (lost) throw lost;
    if (ended) return;
    const next = change(status);
    const sentAt = now();
    const written = await put(store, key, next, version);
    if (written === false) {
      lost = new RunCancelledError(gameId, `run ${runId} lost the game to another run: its heartbeat had gone stale`);
      throw lost;
    }
    status = next;
    version = written;
    confirmedAt = sentAt;
  };

  return {
    runId,
    before,
    current: () => status,
    update(change) {
      const run = queue.then(() => apply(change));
      queue = run.catch(() => undefined);
      return run;
    },
    assertFresh() {
      if (lost) throw lost;
      if (now() - confirmedAt > options.staleAfterMs / 2) {
        throw new RunCancelledError(gameId, `run ${runId} has not confirmed its lease for ${now() - confirmedAt} ms`);
      }
    },
    now,
    async end() {
      ended = true;
      await queue;
    },
  };
}
