/**
 * Admits clips by memory, beside the clip pool's count: a clip starts once
 * this process's own memory (its RSS now: the Node heap, the range caches)
 * plus the estimates of the clips already running plus its own fit in the
 * budget. One clip always runs, however large, so a small budget slows a run
 * down and never stops it. Waiting clips start in arrival order. Shared by
 * every game of a process, like the clip pool.
 */
export interface MemoryGate {
  readonly budgetBytes: number;
  /** How many clips of `bytes` each fit beside this process now: at least 1, at most `most`. */
  fit(bytes: number, most: number): number;
  run<T>(bytes: number, task: () => Promise<T>): Promise<T>;
}

export function createMemoryGate(budgetBytes: number, ownBytes: () => number = () => process.memoryUsage().rss): MemoryGate {
  if (!(budgetBytes > 0)) throw new RangeError(`memory budget must be > 0 bytes, got ${budgetBytes}`);
  let held = 0;
  let running = 0;
  const waiting: Array<{ bytes: number; start: () => void }> = [];
  const fits = (bytes: number): boolean => running === 0 || ownBytes() + held + bytes <= budgetBytes;
  const admit = (bytes: number): void => {
    held += bytes;
    running += 1;
  };
  const startWaiting = (): void => {
    for (let next = waiting[0]; next && fits(next.bytes); next = waiting[0]) {
      waiting.shift();
      admit(next.bytes);
      next.start();
    }
  };

  return {
    budgetBytes,
    fit: (bytes, most) => Math.max(1, Math.min(most, Math.floor((budgetBytes - ownBytes()) / Math.max(1, bytes)))),
    async run<T>(bytes: number, task: () => Promise<T>): Promise<T> {
      if (waiting.length === 0 && fits(bytes)) admit(bytes);
      else await new Promise<void>((start) => waiting.push({ bytes, start }));
      try {
        return await task();
      } finally {
        held -= bytes;
        running -= 1;
        startWaiting();
      }
    },
  };
}
