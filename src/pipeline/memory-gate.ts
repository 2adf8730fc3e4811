/**
 * Admits clips by memory, beside the clip pool's count: a clip starts once
 * this process's own memory (its RSS at its top over the last seconds: the
 * Node heap, the range caches)
 * plus the estimates of the clips already running plus its own fit in the
 * budget. One clip always runs, however large, so a small budget slows a run
 * down and never stops it. Waiting clips start in arrival order. Shared by
 * every game of a process, like the clip pool.
 */
export interface MemoryGate {
  readonly budgetBytes: number;
  /** How many clips of `bytes` each fit beside this process now: at least 1, at most `most`. */
  fit(bytes: number, most: number): number;
  /** Tasks admitted and not yet done (a caller inside `run` counts itself). */
  running(): number;
  /** Counts `bytes` more against the budget until the returned function is called: a running task that grew. */
  hold(bytes: number): () => void;
  /**
   * Counts what `growth()` says this process may still grow by (a range
   * cache not yet full) against the budget until the returned function is
   * called: RSS read at admission misses memory the process takes after.
   */
  reserve(growth: () => number): () => void;
  run<T>(bytes: number, task: () => Promise<T>): Promise<T>;
}

/**
 * The most `read()` returned over the last `windowMs`, read at each call.
 * The process's RSS is a saw: 1 MiB blocks evicted from a range cache and
 * the chunks of blocks in flight stay until V8's next GC. Read once at
 * admission, a trough let copy's third clip in at 4 h (node 152 MB then,
 * 180 at the peak: 514-522 MB in all); its recent top does not.
 */
export function recentPeak(read: () => number, windowMs: number, now: () => number = Date.now): () => number {
  const samples: Array<{ at: number; value: number }> = [];
  return () => {
    const at = now();
    samples.push({ at, value: read() });
    while (samples.length > 1000 || (samples.length > 1 && (samples[0]?.at ?? at) < at - windowMs)) samples.shift();
    return Math.max(...samples.map((s) => s.value));
  };
}

/** How far back the gate looks for this process's own RSS: a few GC cycles of a busy worker. */
const OWN_PEAK_WINDOW_MS = 10_000;

export function createMemoryGate(
  budgetBytes: number, ownBytes: () => number = recentPeak(() => process.memoryUsage().rss, OWN_PEAK_WINDOW_MS),
): MemoryGate {
  if (!(budgetBytes > 0)) throw new RangeError(`memory budget must be > 0 bytes, got ${budgetBytes}`);
  let held = 0;
  let running = 0;
  const growths = new Set<() => number>();
  const grows = (): number => {
    let total = 0;
    for (const growth of growths) total += Math.max(0, growth());
    return total;
  };
  const waiting: Array<{ bytes: number; start: () => void }> = [];
  const fits = (bytes: number): boolean => running === 0 || ownBytes() + grows() + held + bytes <= budgetBytes;
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
    running: () => running,
    hold(bytes) {
      held += bytes;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held -= bytes;
        startWaiting();
      };
    },
    reserve(growth) {
      growths.add(growth);
      return () => {
        if (growths.delete(growth)) startWaiting();
      };
    },
    fit: (bytes, most) => Math.max(1, Math.min(most, Math.floor((budgetBytes - ownBytes() - grows()) / Math.max(1, bytes)))),
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

/**
 * Codec threads for a clip the gate has just admitted: when memory lets fewer
 * clips run than the pool would, a clip running alone gets the idle cores;
 * beside another task, one thread (at 1080p 16 % less CPU and 47 MB less
 * than ffmpeg's own threading). Each extra thread's `threadBytes` is held
 * until `release`, so no second clip is admitted beside it on an estimate
 * that left them out. Chosen at admission, not when a camera's clips are
 * queued: the camera before may still hold its cache then, and a camera
 * whose clips had all taken 2 threads ran two of them at once later, when
 * the process had shrunk (559 MB at 4 h).
 */
export function threadsOnceAdmitted(gate: MemoryGate, bytes: number, poolSize: number, threadBytes: number): { threads: number; release: () => void } {
  const threads = gate.running() > 1 ? 1 : Math.max(1, Math.floor(poolSize / gate.fit(bytes, poolSize)));
  return { threads, release: threads > 1 ? gate.hold((threads - 1) * threadBytes) : () => {} };
}
