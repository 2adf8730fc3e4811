import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clipTempEstimate } from "../src/pipeline/clip-temp.js";
import { createTempGate, projectedPeak } from "../src/pipeline/temp-gate.js";
import { copyMode } from "../src/extraction/modes/copy.js";
import { exactMode } from "../src/extraction/modes/exact.js";
import { smartMode } from "../src/extraction/modes/smart.js";

// Issue 13: temp at most 1 % of a 4 h camera. Two clips that start apart
// never hold their whole outputs at once, so the gate projects the peak from
// what each running clip has written on disk, not from their estimates alone.

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-temp-gate-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the projected temp peak", () => {
  it("is where a clip is about to leave, each writing at the same pace; a written clip stays", () => {
    expect(projectedPeak([])).toBe(0);
    // One clip: its estimate.
    expect(projectedPeak([{ current: 0, remaining: 50 }])).toBe(50);
    // Two starting together: both whole at once.
    expect(projectedPeak([{ current: 0, remaining: 50 }, { current: 0, remaining: 50 }])).toBe(100);
    // One half written: when it ends (25 more) the new one holds 25.
    expect(projectedPeak([{ current: 25, remaining: 25 }, { current: 0, remaining: 50 }])).toBe(75);
    // A short new one ends first: the peak is then, 30 + 20 + 20.
    expect(projectedPeak([{ current: 30, remaining: 40 }, { current: 0, remaining: 20 }])).toBe(70);
    // Written and waiting for its upload: counted throughout.
    expect(projectedPeak([{ current: 60, remaining: 0 }, { current: 0, remaining: 50 }])).toBe(110);
  });
});

describe("the temp gate", () => {
  it("runs one clip however large, and holds the next until it ends when the first writes nothing", async () => {
    const gate = createTempGate(100, 20);
    const order: string[] = [];
    const a = gate.run(1_000, async () => {
      order.push("a starts");
      await sleep(300);
      order.push("a ends");
    });
    // 1,000 is over the budget, yet it runs: one always does. A small second clip waits for room.
    await sleep(50);
    const b = gate.run(10, async () => void order.push("b starts"));
    await sleep(150);
    expect(order).toEqual(["a starts"]);
    await a;
    await b;
    expect(order).toEqual(["a starts", "a ends", "b starts"]);
  });

  it("admits the second clip while the first runs once the first's folder shows it past half its estimate", async () => {
    const gate = createTempGate(100, 20);
    const folder = await mkdtemp(join(dir, "clip-"));
    let release: () => void = () => {};
    const hold = new Promise<void>((resolve) => (release = resolve));
    let bStarted = false;
    const a = gate.run(60, async (claim) => {
      claim.folder(folder);
      await hold;
    });
    const b = gate.run(60, async () => void (bStarted = true));
    // Nothing written: 60 + 60 > 100.
    await sleep(150);
    expect(bStarted).toBe(false);
    // 40 of a's 60 on disk: when a ends (20 more) b holds 20, and 60 + 20 <= 100.
    await writeFile(join(folder, "clip.mp4"), Buffer.alloc(40));
    await sleep(150);
    expect(bStarted).toBe(true);
    release();
    await Promise.all([a, b]);
  });
});

describe("a clip's temp estimate", () => {
  // A camera of 3,600 s and 3.6 GB: 1 MB/s.
  const span = (spanSec: number, leadSec = 0) => ({ spanSec, leadSec });

  it("starts from the mode's prior, then follows the largest clip the camera has shown, with a margin", () => {
    const exact = clipTempEstimate(exactMode.memory, 3.6e9, 3_600);
    expect(exact.bytes(span(20))).toBe(20e6 * exactMode.memory.outputPerSourceByte);
    exact.learn(span(20), 10e6);
    expect(exact.bytes(span(20))).toBe(11e6);
    exact.learn(span(10), 8e6);
    expect(exact.bytes(span(10))).toBe(8.8e6);
    exact.learn(span(10), 1e6);
    expect(exact.bytes(span(10))).toBe(8.8e6);
  });

  it("counts smart's excerpt from the keyframe before START to a second past END, beside its clip", () => {
    // At 4 h two 8 s excerpts with 2 s lead-ins filled 87 MiB of an 80 MiB budget when only the span was counted.
    const smart = clipTempEstimate(smartMode.memory, 3.6e9, 3_600);
    smart.learn(span(10), 10e6);
    expect(smart.bytes(span(10))).toBe(10e6 * 1.1 + 11e6);
    // 8 s with a 2 s lead-in: the output ratio over 10 s, the excerpt over 10 + 1 s.
    expect(smart.bytes(span(8, 2))).toBe(10e6 * 1.1 + 11e6);
    expect(smart.bytes(span(8, 2))).toBeGreaterThan(smart.bytes(span(8, 0)));
  });

  it("counts copy's lead-in, which its clip holds, and learns its ratio over it", () => {
    const copy = clipTempEstimate(copyMode.memory, 3.6e9, 3_600);
    expect(copy.bytes(span(8, 2))).toBe(10e6 * copyMode.memory.outputPerSourceByte);
    // A clip of 8 s + 2 s lead-in that came out at 10 MB is 1.0 per source byte: the next short-lead one is not overrated.
    copy.learn(span(8, 2), 10e6);
    expect(copy.bytes(span(9, 1))).toBe(11e6);
  });
});
