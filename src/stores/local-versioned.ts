import { createHash } from "node:crypto";
import { open, readFile, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

// Compare-and-swap for the local store. A folder has no generations, so a
// version is the content's hash, and the check-then-rename runs under a lock
// file created with O_EXCL. The lock name is a reserved '.<name>.partial'
// segment, so it is never listed or mistaken for an object.

/** A lock older than this was left by a process that died inside the few milliseconds it is held. */
const STALE_LOCK_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

export function contentVersion(body: Buffer): string {
  return createHash("sha256").update(body).digest("hex").slice(0, 32);
}

/** The file's bytes and version, or null when it does not exist. */
export async function readVersionedFile(file: string): Promise<{ body: Buffer; version: string } | null> {
  try {
    const body = await readFile(file);
    return { body, version: contentVersion(body) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR") return null;
    throw error;
  }
}

/** Runs `task` holding `<dir>/.<name>.lock.partial`; waits for another holder, breaks a stale lock. */
export async function withFileLock<T>(file: string, task: () => Promise<T>): Promise<T> {
  const lock = path.join(path.dirname(file), `.${path.basename(file)}.lock.partial`);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      const handle = await open(lock, "wx");
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const held = await stat(lock).catch(() => null);
      if (held && Date.now() - held.mtimeMs > STALE_LOCK_MS) await unlink(lock).catch(() => undefined);
      else if (Date.now() > deadline) throw new Error(`${lock} has been held for over ${LOCK_WAIT_MS / 1000} s`);
      else await sleep(5 + Math.random() * 20);
    }
  }
  try {
    return await task();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}
