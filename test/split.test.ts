import { describe, expect, it } from "vitest";
import { splitPlays } from "../src/domain/split.js";

const ids = Array.from({ length: 200 }, (_, i) => `play-${i}`);

describe("splitPlays", () => {
  it("is the same on every call and independent of input order", () => {
    const a = splitPlays(ids, { ratio: 0.8, seed: "s" });
    const b = splitPlays([...ids].reverse(), { ratio: 0.8, seed: "s" });
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
  });

  it("puts round(n * ratio) plays in training", () => {
    for (const [n, ratio] of [[200, 0.8], [7, 0.8], [10, 0.5], [3, 0.9]] as const) {
      const sides = splitPlays(ids.slice(0, n), { ratio, seed: "s" });
      const training = [...sides.values()].filter((s) => s === "training").length;
      const expected = Math.min(Math.max(Math.round(n * ratio), 1), n - 1);
      expect(training).toBe(expected);
      expect(sides.size).toBe(n);
    }
  });

  it("changes with the seed", () => {
    const a = splitPlays(ids, { ratio: 0.8, seed: "one" });
    const b = splitPlays(ids, { ratio: 0.8, seed: "two" });
    expect([...a.entries()]).not.toEqual([...b.entries()]);
  });

  it("moves at most one play when a play is added", () => {
    const before = splitPlays(ids.slice(0, 100), { ratio: 0.8, seed: "s" });
    const after = splitPlays(ids.slice(0, 101), { ratio: 0.8, seed: "s" });
    const moved = [...before].filter(([id, side]) => after.get(id) !== side);
    expect(moved.length).toBeLessThanOrEqual(1);
  });

  it("keeps a single play in training and rejects bad ratios", () => {
    expect([...splitPlays(["only"], { ratio: 0.8, seed: "s" }).values()]).toEqual(["training"]);
    expect(() => splitPlays(ids, { ratio: 1, seed: "s" })).toThrow(/between 0 and 1/);
    expect(() => splitPlays(ids, { ratio: Number.NaN, seed: "s" })).toThrow(/between 0 and 1/);
  });
});
