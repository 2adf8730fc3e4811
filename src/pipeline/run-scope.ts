import { randomBytes } from "node:crypto";
import { RunCancelledError } from "../domain/errors.js";
import { guardedStore, reasonOf } from "./guarded-store.js";
import type { Pipeline, RunOptions } from "./parts.js";
import { acquireLease, type RunLease } from "./lease.js";
import { createProgressRecorder, type ProgressRecorder } from "./progress.js";
import { shortReason } from "./status-object.js";

export const DEFAULT_STALE_AFTER_MS = 120_000;

/**
 * One run of one game: its id, its lease on the game, the signal that cancels
 * it (the caller's, or the lease being lost), the output store as it may use
 * it (refusing writes once cancelled), its heartbeat and its progress record.
 */
export interface RunScope {
  readonly runId: string;
  readonly lease: RunLease;
  /** The caller's pipeline with the guarded output store. */
  readonly pipeline: Pipeline;
  /** The caller's options with the run's own signal, and landed clips recorded. */
  readonly run: RunOptions;
  readonly progress: ProgressRecorder;
  /** Throws RunCancelledError once the run may publish nothing more. */
  guard(): void;
  planned(clips: number): void;
  /** Records how an attempt that threw ended (best effort: the lease may be gone) and returns what to throw. */
  failed(error: unknown): Promise<unknown>;
  /** Stops the heartbeat and waits for a beat in flight: nothing of the run writes after this. */
  close(): Promise<void>;
}

export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

export async function openRunScope(gameId: string, pipeline: Pipeline, options: RunOptions): Promise<RunScope> {
  const runId = newRunId();
  const staleAfterMs = options.lease?.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const heartbeatMs = options.lease?.heartbeatMs ?? staleAfterMs / 4;
  const store = pipeline.backends.output;
  if (options.signal?.aborted) throw new RunCancelledError(gameId, reasonOf(options.signal));
  const lease = await acquireLease(store, gameId, runId, { staleAfterMs, now: options.lease?.now, takeOver: options.lease?.takeOver });
  const own = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, own.signal]) : own.signal;
  const output = guardedStore(store, gameId, signal);
  const progress = createProgressRecorder(output, gameId, runId);
  let done = 0;
  let planned = 0;
  const now = options.lease?.now ?? Date.now;
  const beat = (): void => {
    const at = new Date(now()).toISOString();
    lease
      .update((s) => ({ ...s, attempt: s.attempt && { ...s.attempt, heartbeat_at: at, clips_done: done, clips_planned: planned } }))
      .catch((error: unknown) => {
        // Lost to another run (we looked dead): stop, so two runs never publish the same game.
        if (error instanceof RunCancelledError) own.abort(error);
      });
  };
  const timer = setInterval(beat, heartbeatMs);
  timer.unref();
  const cancellation = (): RunCancelledError | null => (signal.aborted ? new RunCancelledError(gameId, reasonOf(signal)) : null);
  return {
    runId,
    lease,
    pipeline: { ...pipeline, backends: { ...pipeline.backends, output } },
    run: {
      ...options,
      signal,
      onEvent: (event) => {
        if (event.type === "clip-done" && event.clip.status === "ok") {
          done += 1;
          progress.add(event.clip);
        }
        options.onEvent?.({ ...event, runId });
      },
    },
    progress,
    guard() {
      const cancelled = cancellation();
      if (cancelled) throw cancelled;
    },
    planned(clips) {
      planned = clips;
    },
    async failed(error) {
      const cancelled = cancellation() ?? (error instanceof RunCancelledError ? error : null);
      const reason = shortReason(cancelled ? cancelled.reason : error instanceof Error ? error.message : String(error));
      const at = new Date(now()).toISOString();
      await lease
        .update((s) => ({ ...s, attempt: s.attempt && { ...s.attempt, state: cancelled ? "cancelled" : "error", reason, heartbeat_at: at, finished_at: at } }))
        .catch(() => undefined);
      return cancelled ?? error;
    },
    async close() {
      clearInterval(timer);
      await lease.end();
    },
  };
}
