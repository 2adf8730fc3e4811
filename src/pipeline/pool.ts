import type { CutMode } from "../domain/types.js";

/**
 * A counting semaphore: at most `size` tasks run at once, the rest wait in
 * arrival order. One pool is shared by every game of a run so that games add
 * up to the machine's capacity instead of each spawning its own workers.
 */
export interface Pool {
  readonly size: number;
  run<T>(task: () => Promise<T>): Promise<T>;
}

export function createPool(size: number): Pool {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
  let active = 0;
  const waiting: Array<() => void> = [];

  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };

  return {
    size,
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active < size) active += 1;
      // The slot is handed over directly by release(), so `active` stays put.
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

/**
 * How many clips to cut at once when the user does not say. An exact clip is
 * one libx264 encode that keeps ~1.5 cores busy: more than one per core only
 * adds contention. A smart clip's largest cost is the full decode that checks
 * it, also CPU. A copy clip barely uses CPU: it waits on the store, the
 * loopback range server and the upload, so more of them overlap those waits;
 * 2x, not more: at 4x on 2 cores the benchmark's copy run peaked at 548 MB
 * (ffmpeg processes plus two cameras' range caches) for ~20 % less wall time.
 */
export function clipConcurrencyFor(mode: CutMode, cores: number): number {
  const n = Math.max(1, Math.floor(cores));
  return mode === "copy" ? 2 * n : n;
}
