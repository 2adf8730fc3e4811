import { createHash } from "node:crypto";
import { ValidationError } from "../domain/errors.js";
import { splitPlays } from "../domain/split.js";
import type { CollectedExample } from "./collect.js";
import type { Side, SplitBy } from "./model.js";

export interface SplitRequest {
  by: SplitBy;
  ratio: number;
  seed: string;
}

// Up to this many games every assignment is tried (2^14 ≈ 16k, each scored in
// microseconds); beyond it a greedy pass in seeded order is close enough.
const EXHAUSTIVE_GAMES = 14;

const rank = (seed: string, id: string): string => createHash("sha256").update(`${seed}\u0000${id}`).digest("hex");
const byRank = (seed: string) => (a: string, b: string): number => {
  const ra = rank(seed, a);
  const rb = rank(seed, b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
};

/**
 * Assigns every example a side. A play (both its cameras) is always on one
 * side; with `game`, a whole game is. Throws when the validation side would be
 * empty, which Vertex AI refuses.
 */
export function assignSides(examples: readonly CollectedExample[], request: SplitRequest): Map<CollectedExample, Side> {
  const sideOf = request.by === "game" ? splitByGame(examples, request) : splitByPlay(examples, request);
  const sides = new Map(examples.map((e) => [e, sideOf(e)]));
  const count = (side: Side): number => [...sides.values()].filter((s) => s === side).length;
  if (count("validation") === 0 || count("training") === 0) {
    const hint = request.by === "game" ? " (--split-by game needs two or more games; --split-by play splits within them)" : "";
    throw new ValidationError(`the split leaves the ${count("validation") === 0 ? "validation" : "training"} file empty${hint}`);
  }
  return sides;
}

function splitByPlay(examples: readonly CollectedExample[], request: SplitRequest): (e: CollectedExample) => Side {
  const playKey = (e: CollectedExample): string => `${e.game}/${e.play}`;
  const sides = splitPlays(examples.map(playKey), { ratio: request.ratio, seed: request.seed });
  return (e) => sides.get(playKey(e)) ?? "training";
}

interface GameSummary {
  game: string;
  examples: number;
  types: Set<string>;
}

/**
 * Whole games per side. Among all assignments with both sides non-empty, the
 * best has every play_type that appears in two or more games on both sides,
 * then the validation share closest to 1 - ratio; ties go to the assignment
 * met first in seeded order, so the result is the same everywhere.
 */
function splitByGame(examples: readonly CollectedExample[], request: SplitRequest): (e: CollectedExample) => Side {
  const games = [...new Set(examples.map((e) => e.game))].sort(byRank(request.seed));
  const summaries: GameSummary[] = games.map((game) => {
    const own = examples.filter((e) => e.game === game);
    return { game, examples: own.length, types: new Set(own.map((e) => e.playType ?? "unknown")) };
  });
  const total = examples.length;
  const shared = sharedTypes(summaries);
  const score = (validation: boolean[]): number => {
    let valExamples = 0;
    const sides = { training: new Set<string>(), validation: new Set<string>() };
    summaries.forEach((g, i) => {
      if (validation[i]) valExamples += g.examples;
      for (const t of g.types) sides[validation[i] ? "validation" : "training"].add(t);
    });
    const missing = [...shared].filter((t) => !sides.training.has(t) || !sides.validation.has(t)).length;
    return missing * 10 + Math.abs(valExamples / total - (1 - request.ratio));
  };
  const chosen = games.length <= EXHAUSTIVE_GAMES ? exhaustive(games.length, score) : greedy(summaries, total, request.ratio);
  const side = new Map(games.map((g, i) => [g, chosen[i] ? "validation" : "training"] as const));
  return (e) => side.get(e.game) ?? "training";
}

function sharedTypes(summaries: readonly GameSummary[]): Set<string> {
  const seen = new Map<string, number>();
  for (const g of summaries) for (const t of g.types) seen.set(t, (seen.get(t) ?? 0) + 1);
  return new Set([...seen].filter(([, n]) => n >= 2).map(([t]) => t));
}

function exhaustive(n: number, score: (validation: boolean[]) => number): boolean[] {
  let best: boolean[] = [];
  let bestScore = Infinity;
  // Masks with neither side empty; counting up tries few validation games first.
  for (let mask = 1; mask < 2 ** n - 1; mask++) {
    const validation = Array.from({ length: n }, (_, i) => (mask & (1 << i)) !== 0);
    const s = score(validation);
    if (s < bestScore - 1e-12) {
      best = validation;
      bestScore = s;
    }
  }
  return best;
}

function greedy(summaries: readonly GameSummary[], total: number, ratio: number): boolean[] {
  const target = total * (1 - ratio);
  let validation = 0;
  return summaries.map((g, i) => {
    const last = i === summaries.length - 1;
    const take = validation === 0 ? !last || summaries.length === 1 : Math.abs(validation + g.examples - target) < Math.abs(validation - target);
    if (take) validation += g.examples;
    return take;
  });
}
