import { StoreError } from "../domain/errors.js";
import { statusKey } from "../domain/layout.js";
import type { GameManifest } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";

// The small status object beside the manifest (games/{id}/status.json): what
// pollers read instead of a manifest, and the game's run lease. A few hundred
// bytes whatever the game's size. Fields: docs/manifest-and-reruns.md.

// error: the run could not happen (e.g. the plays source was unreachable); a retry may succeed.
export type AttemptState = "running" | "publishing" | "done" | "failed" | "cancelled" | "error";

export interface AttemptRecord {
  run_id: string;
  /** running: cutting; publishing: the fixed keys are being rewritten; then how it ended. */
  state: AttemptState;
  reason: string | null;
  started_at: string;
  /** Refreshed while the run makes progress; stale (see staleAfterMs) means the run died. */
  heartbeat_at: string;
  finished_at: string | null;
  clips_done: number;
  clips_planned: number;
}

export interface GameStatusObject {
  version: 1;
  game_id: string;
  /** What pollers act on: complete/partial (a dataset is published), failed (none will come), pending. */
  state: "complete" | "partial" | "failed" | "pending";
  reason: string | null;
  /** The run whose outputs the fixed keys hold; its own copies are under runs/{run_id}/. */
  run_id: string | null;
  /** When that run finished. */
  finished_at: string | null;
  counts: GameManifest["counts"] | null;
  /** The latest run that started, finished or not. */
  attempt: AttemptRecord | null;
}

/** Long reasons are cut so the object stays small whatever went wrong. */
export const MAX_REASON_CHARS = 300;

export function shortReason(reason: string | null): string | null {
  return reason === null || reason.length <= MAX_REASON_CHARS ? reason : `${reason.slice(0, MAX_REASON_CHARS - 1)}…`;
}

export function emptyStatus(gameId: string): GameStatusObject {
  return { version: 1, game_id: gameId, state: "pending", reason: null, run_id: null, finished_at: null, counts: null, attempt: null };
}

export function serializeStatus(status: GameStatusObject): string {
  return `${JSON.stringify(status)}\n`;
}

/** Parses and checks a status object read from storage; null when it is torn or foreign. */
export function parseStatus(body: string, gameId: string): GameStatusObject | null {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  const s = value as Partial<GameStatusObject> | null;
  if (!s || typeof s !== "object" || s.version !== 1 || s.game_id !== gameId) return null;
  if (!["complete", "partial", "failed", "pending"].includes(String(s.state))) return null;
  if (s.attempt !== null && (typeof s.attempt !== "object" || typeof s.attempt?.run_id !== "string")) return null;
  return s as GameStatusObject;
}

/** The game's status object as stored, or null when there is none (a game never run, or run before it existed). */
export async function readStatusObject(
  store: ObjectStore, gameId: string, options: { versioned: boolean } = { versioned: true },
): Promise<{ status: GameStatusObject; version: string | null } | null> {
  const key = statusKey(gameId);
  if (store.readVersioned && options.versioned) {
    const found = await store.readVersioned(key);
    if (!found) return null;
    const status = parseStatus(found.body.toString("utf8"), gameId);
    return status ? { status, version: found.version } : { status: emptyStatus(gameId), version: found.version };
  }
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of await store.read(key)) chunks.push(chunk as Buffer);
  } catch (error) {
    if (error instanceof StoreError && error.code === "not_found") return null;
    throw error;
  }
  return { status: parseStatus(Buffer.concat(chunks).toString("utf8"), gameId) ?? emptyStatus(gameId), version: null };
}

/** True when the attempt is still said to run but has not beaten its heart for staleAfterMs. */
export function isStale(attempt: AttemptRecord | null, now: number, staleAfterMs: number): boolean {
  if (!attempt || (attempt.state !== "running" && attempt.state !== "publishing")) return false;
  return now - Date.parse(attempt.heartbeat_at) > staleAfterMs;
}
