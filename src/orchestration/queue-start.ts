import type PgBoss from "pg-boss";
import { PlayclipsError, errorMessage } from "../domain/errors.js";

/**
 * SQLSTATEs of two clients creating pg-boss's schema or queue at the same
 * moment: a deadlock between their partition DDL, or the loser's insert of a
 * row the winner just made. Both mean "someone else did it": look again.
 */
const RACE_CODES = new Set(["40P01", "23505", "42P07", "42710"]);
const ATTEMPTS = 6;

/** The queue could not be opened: the database is unreachable, refused us, or kept racing. */
export class QueueError extends PlayclipsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("queue", message, options);
    this.name = "QueueError";
  }
}

function isRace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && RACE_CODES.has(code);
}

/**
 * A failed start leaves pg-boss half started: stop() then thinks it never ran
 * and keeps its pool open, which would hold the process alive for ever. Its
 * own pool is closed here instead, so a worker that cannot start exits.
 */
async function discard(boss: PgBoss): Promise<void> {
  await boss.stop({ graceful: false, wait: true, timeout: 1000 }).catch(() => {});
  const db = boss.getDb() as { opened?: boolean; close?: () => Promise<void> };
  if (db.opened) await db.close?.().catch(() => {});
}

/**
 * Starts pg-boss and makes sure the queue exists. N workers started together
 * on a fresh schema race on the same DDL; each lost race is retried on a fresh
 * instance (a failed start cannot be resumed), after a short random pause so
 * they do not collide again in step.
 */
export async function startQueueRacing(make: () => PgBoss, ensureQueue: (boss: PgBoss) => Promise<void>): Promise<PgBoss> {
  for (let attempt = 1; ; attempt++) {
    const boss = make();
    try {
      await boss.start();
      await ensureQueue(boss);
      return boss;
    } catch (error) {
      await discard(boss);
      if (!isRace(error) || attempt >= ATTEMPTS) {
        const raced = isRace(error) ? ` (still racing other workers after ${ATTEMPTS} attempts)` : "";
        throw new QueueError(`cannot open the queue${raced}: ${errorMessage(error)}`, { cause: error });
      }
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200 * attempt));
    }
  }
}
