import { describe, expect, it } from "vitest";
import { camerasForAngle } from "../src/domain/angles.js";
import { parseGameId } from "../src/domain/ids.js";
import { clipKey, gameLayout, videoKey } from "../src/domain/layout.js";
import type { Play } from "../src/domain/types.js";
import { planClips } from "../src/pipeline/plan.js";
import { clipConcurrencyFor } from "../src/extraction/modes/registry.js";
import { createPool } from "../src/pipeline/pool.js";

const play = (id: string, angle: Play["angle"], start: number): Play => ({
  id,
  gameId: "g1",
  angle,
  start,
  end: start + 5,
  playType: null,
  metadata: {},
});

describe("angle mapping", () => {
  it("maps LEFT to FAR_LEFT + NEAR_RIGHT and RIGHT to FAR_RIGHT + NEAR_LEFT", () => {
    expect(camerasForAngle("LEFT")).toEqual(["FAR_LEFT", "NEAR_RIGHT"]);
    expect(camerasForAngle("RIGHT")).toEqual(["FAR_RIGHT", "NEAR_LEFT"]);
  });
});

describe("planClips", () => {
  it("groups every clip under its source camera, in start order", () => {
    const plan = planClips(gameLayout(parseGameId("g1")), [play("b", "LEFT", 30), play("a", "LEFT", 10), play("c", "RIGHT", 20)]);
    expect([...plan.keys()]).toEqual(["FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT", "NEAR_RIGHT"]);
    expect(plan.get("FAR_LEFT")?.map((c) => c.play.id)).toEqual(["a", "b"]);
    expect(plan.get("NEAR_RIGHT")?.map((c) => c.play.id)).toEqual(["a", "b"]);
    expect(plan.get("FAR_RIGHT")?.map((c) => c.play.id)).toEqual(["c"]);
    expect(plan.get("NEAR_LEFT")?.map((c) => c.play.id)).toEqual(["c"]);
    const clip = plan.get("NEAR_LEFT")?.[0];
    expect(clip?.key).toBe("games/g1/clips/c_NEAR_LEFT.mp4");
    expect(clip?.source).toBe("Games/g1/NEAR_LEFT.mp4");
  });

  it("leaves out cameras no play needs", () => {
    const plan = planClips(gameLayout(parseGameId("g1")), [play("a", "LEFT", 1)]);
    expect([...plan.keys()].sort()).toEqual(["FAR_LEFT", "NEAR_RIGHT"]);
  });

  it("refuses ids that would escape their folder", () => {
    expect(() => clipKey("g1", "../x", "FAR_LEFT")).toThrow(/not usable as a path/);
    expect(() => videoKey("a/b", "FAR_LEFT")).toThrow(/not usable as a path/);
    expect(() => videoKey("..", "FAR_LEFT")).toThrow(/not usable as a path/);
  });
});

describe("createPool", () => {
  it("never runs more than its size at once and runs everything", async () => {
    const pool = createPool(2);
    let active = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        pool.run(async () => {
          active += 1;
          peak = Math.max(peak, active);
          await new Promise((r) => setTimeout(r, 5));
          active -= 1;
          return i;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(results).toEqual([...Array(10).keys()]);
  });

  it("frees the slot when a task throws", async () => {
    const pool = createPool(1);
    await expect(pool.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    await expect(pool.run(async () => 7)).resolves.toBe(7);
  });

  it("sizes the default clip pool by the cores: every mode's clip ends in CPU work (an encode or a decode check)", () => {
    // Copy at 2x the cores ran three clips at once from 4 h cameras (502 MiB) for the wall time of two (114.5 s against 115.8 s, 48 clips).
    expect([clipConcurrencyFor("exact", 2), clipConcurrencyFor("smart", 2), clipConcurrencyFor("copy", 2)]).toEqual([2, 2, 2]);
    expect(clipConcurrencyFor("copy", 4)).toBe(4);
    expect(clipConcurrencyFor("exact", 0)).toBe(1);
  });
});
