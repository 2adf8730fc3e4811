import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";

/** One clip's temp as the gate sees it: bytes on disk now, and bytes it will still write. */
export interface TempShare {
  current: number;
  /** Its estimate less what is on disk; <= 0 once written (it stays until its upload ends). */
  remaining: number;
}

/**
 * The most temp the clips will hold at once if each goes on writing at the
 * same pace (clips of one mode and camera write about as many bytes per
 * second) and leaves once it has written its estimate; one at or past its
 * estimate stays throughout (it waits for its upload). The peak is where a
 * clip is about to leave, so only those points are looked at.
 */
export function projectedPeak(shares: readonly TempShare[]): number {
  let peak = 0;
  for (const at of [0, ...shares.map((s) => s.remaining).filter((r) => r > 0)]) {
    let sum = 0;
    for (const s of shares) {
      if (s.remaining <= 0) sum += s.current;
      else if (s.remaining >= at) sum += s.current + at;
    }
    peak = Math.max(peak, sum);
  }
  return peak;
}

/** What a clip tells the gate once its temp folder exists, so its size can be read. */
export interface TempClaim {
  folder(dir: string): void;
}

/**
 * Admits clips by temp disk: a clip starts once the projected peak of the
 * running clips' temp plus its own estimate fits the budget. Running clips
 * are measured on disk (their folders), so a clip well into its cut makes
 * room for the next before it ends: two clips that start apart never hold
 * their whole outputs at once. One clip always runs. Waiting clips start in
 * arrival order, looked at again every `pollMs` while any wait.
 */
export interface TempGate {
  readonly budgetBytes: number;
  run<T>(estimate: number, task: (claim: TempClaim) => Promise<T>): Promise<T>;
}

interface Running {
  estimate: number;
  dir: string | null;
  current: number;
}

export function createTempGate(budgetBytes: number, pollMs = 200): TempGate {
  if (!(budgetBytes > 0)) throw new RangeError(`temp budget must be > 0 bytes, got ${budgetBytes}`);
  const running = new Set<Running>();
  const waiting: Array<{ estimate: number; start: (entry: Running) => void }> = [];
  let timer: NodeJS.Timeout | null = null;

  const fits = (estimate: number): boolean =>
    running.size === 0 ||
    projectedPeak([...[...running].map((r) => ({ current: r.current, remaining: r.estimate - r.current })), { current: 0, remaining: estimate }]) <= budgetBytes;

  const admit = (estimate: number): Running => {
    const entry: Running = { estimate, dir: null, current: 0 };
    running.add(entry);
    return entry;
  };

  const startWaiting = (): void => {
    for (let next = waiting[0]; next && fits(next.estimate); next = waiting[0]) {
      waiting.shift();
      next.start(admit(next.estimate));
    }
    if (waiting.length === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  let measuring = false;
  const remeasure = async (): Promise<void> => {
    if (measuring) return;
    measuring = true;
    try {
      await Promise.all([...running].map(async (r) => {
        if (r.dir) r.current = await folderBytes(r.dir);
      }));
    } finally {
      measuring = false;
    }
    startWaiting();
  };

  return {
    budgetBytes,
    async run<T>(estimate: number, task: (claim: TempClaim) => Promise<T>): Promise<T> {
      let entry: Running;
      if (waiting.length === 0 && fits(estimate)) entry = admit(estimate);
      else {
        entry = await new Promise<Running>((start) => {
          waiting.push({ estimate, start });
          timer ??= setInterval(() => void remeasure(), pollMs);
          timer.unref();
        });
      }
      try {
        return await task({ folder: (dir) => void (entry.dir = dir) });
      } finally {
        running.delete(entry);
        startWaiting();
      }
    },
  };
}

/** Bytes of the files under dir; files vanishing mid-walk (a cut's scratch) count as gone. */
async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(path) : await stat(path).then((s) => s.size, () => 0);
  }
  return total;
}
