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
