import { createHash } from "node:crypto";
import { ValidationError } from "./errors.js";

export type SplitSide = "training" | "validation";

export interface SplitOptions {
  /** Share of plays that go to training, in (0, 1). */
  ratio: number;
  /** Any string; the same seed and plays give the same split everywhere. */
  seed: string;
}

export const DEFAULT_SPLIT: SplitOptions = { ratio: 0.8, seed: "playclips" };

function rank(seed: string, playId: string): string {
  return createHash("sha256").update(`${seed}\u0000${playId}`).digest("hex");
}

/**
 * Assigns whole plays (both cameras together) to training or validation.
 *
 * Plays are ordered by a seeded hash of their id and the first round(n*ratio)
 * go to training. Unlike the original's unseeded shuffle this is the same on
 * every run and machine, and independent of the order rows arrive in. Adding a
 * play moves at most one other play across the boundary. With two or more
 * plays each side gets at least one, since Vertex rejects an empty file.
 */
export function splitPlays(playIds: readonly string[], options: SplitOptions): Map<string, SplitSide> {
  assertSplitRatio(options.ratio);
  const ordered = [...new Set(playIds)]
    .map((id) => ({ id, rank: rank(options.seed, id) }))
    .sort((a, b) => (a.rank < b.rank ? -1 : a.rank > b.rank ? 1 : 0));
  const n = ordered.length;
  let training = Math.round(n * options.ratio);
  if (n >= 2) training = Math.min(Math.max(training, 1), n - 1);
  const sides = new Map<string, SplitSide>();
  ordered.forEach((entry, index) => sides.set(entry.id, index < training ? "training" : "validation"));
  return sides;
}

export function assertSplitRatio(ratio: number): number {
  if (!Number.isFinite(ratio) || ratio <= 0 || ratio >= 1) {
    throw new ValidationError(`split ratio ${ratio} must be a number strictly between 0 and 1 (e.g. 0.8)`);
  }
  return ratio;
}
