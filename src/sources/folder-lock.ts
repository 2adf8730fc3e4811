import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { PlayclipsError } from "../domain/errors.js";

export const LOCK_FILE = "playclips.lock";
/** How long a second process waits for a folder by default: long enough for a short import to end. */
export const DEFAULT_LOCK_WAIT_MS = 10_000;

/** Who holds a folder: enough to tell a live holder from a dead one on this host. */
export interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** The folder is held by another live process, and stayed held for as long as we could wait. */
export class FolderBusyError extends PlayclipsError {
  constructor(
    folder: string,
    readonly owner: LockOwner | null,
    message: string,
  ) {
    super(`lock:${folder}`, message);
    this.name = "FolderBusyError";
  }
}

export interface FolderLock {
  release(): Promise<void>;
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === "number" && typeof value.host === "string" && typeof value.since === "string") {
      return { pid: value.pid, host: value.host, since: value.since };
    }
  } catch {
    // A lock file cut short by a crash while it was written: judged by its age below.
  }
  return null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sameOwner = (a: LockOwner | null, b: LockOwner | null): boolean =>
  a !== null && b !== null && a.pid === b.pid && a.host === b.host && a.since === b.since;

async function readOwner(path: string): Promise<{ owner: LockOwner | null; ageMs: number } | null> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    return { owner: parseOwner(text), ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}

/**
 * Moves a dead holder's lock aside. Two processes may judge the same lock
 * stale at once; the rename lets only one of them have it, and the one that
 * finds it renamed a live lock instead (the other's fresh one) puts it back
 * with link(), which never overwrites.
 */
async function takeOver(path: string, stale: LockOwner | null): Promise<void> {
  const aside = `${path}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const moved = await readOwner(aside);
  if (moved !== null && moved.owner !== null && !sameOwner(moved.owner, stale)) {
    await link(aside, path).catch(() => {});
  }
  await unlink(aside).catch(() => {});
}

/**
 * One writer per folder, across processes: an exclusive lock file holding
 * pid, host and start time. A holder that died (same host, pid gone) is
 * detected and its lock taken over; a live one is waited for up to waitMs,
 * then FolderBusyError says who holds it. A holder on another host cannot
 * be checked, so it is never taken over: the message says how to clear it.
 */
export async function lockFolder(folder: string, options: { waitMs: number; onWait?: (owner: LockOwner | null) => void }): Promise<FolderLock> {
  const path = join(folder, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const deadline = Date.now() + options.waitMs;
  let told = false;
  for (;;) {
    try {
      const handle = await open(path, "wx");
      try {
        await handle.writeFile(JSON.stringify(me));
        await handle.sync();
      } finally {
        await handle.close();
      }
      return { release: () => releaseIfMine(path, me) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    const found = await readOwner(path);
    if (found === null) continue;
    const { owner, ageMs } = found;
    const dead = owner === null ? ageMs > 5_000 : owner.host === me.host && !isAlive(owner.pid);
    if (dead) {
      await takeOver(path, owner);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = owner === null ? "another process" : `process ${owner.pid} on ${owner.host} (since ${owner.since})`;
      const clear = owner !== null && owner.host !== me.host ? `; if that process is gone, delete ${path}` : "";
      throw new FolderBusyError(folder, owner, `${folder} is in use by ${who}: only one playclips process may use it at a time; try again when it is done${clear}`);
    }
    if (!told) {
      told = true;
      options.onWait?.(owner);
    }
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 100));
  }
}

/** Removes the lock only if it is still ours: after a takeover it may not be. */
async function releaseIfMine(path: string, me: LockOwner): Promise<void> {
  const found = await readOwner(path).catch(() => null);
  if (found !== null && sameOwner(found.owner, me)) await unlink(path).catch(() => {});
}
