import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { clipMemoryBytes } from "../src/pipeline/clip-memory.js";
import { createMemoryGate, recentPeak, threadsOnceAdmitted } from "../src/pipeline/memory-gate.js";

// Issue 13: at 1080p from 4 h cameras, four copy clips at once held ~117 MB
// each and the run peaked at 737 MB. The gate admits clips by memory.
describe("the memory gate", () => {
  it("runs only the clips that fit beside the process, in arrival order, and always one", async () => {
    let own = 200;
    const gate = createMemoryGate(1000, () => own);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const clip = (i: number, bytes: number) => gate.run(bytes, async () => {
      running++;
      most = Math.max(most, running);
      order.push(i);
      await sleep(20);
      running--;
      return i;
    });
    expect(await Promise.all([0, 1, 2, 3, 4].map((i) => clip(i, 300)))).toEqual([0, 1, 2, 3, 4]);
    expect([most, order]).toEqual([2, [0, 1, 2, 3, 4]]);
    // The process grew: now one at a time.
    own = 500;
    most = 0;
    await Promise.all([0, 1, 2].map((i) => clip(i, 300)));
    expect(most).toBe(1);
    // Larger than the whole budget: it still runs, alone.
    most = 0;
    await Promise.all([clip(0, 5000), clip(1, 5000)]);
    expect(most).toBe(1);
    expect([gate.fit(300, 4), gate.fit(100, 4), gate.fit(100, 2), gate.fit(5000, 4)]).toEqual([1, 4, 2, 1]);
  });

  it("counts what a range cache not yet full may still take, until it is released, and lets waiting clips in then", async () => {
    const gate = createMemoryGate(1000, () => 200);
    let unfilled = 300;
    const release = gate.reserve(() => unfilled);
    // 200 + 300 still to come + 300 + 300 is over: one clip at a time while the cache may grow.
    expect(gate.fit(300, 4)).toBe(1);
    unfilled = 0;
    expect(gate.fit(300, 4)).toBe(2);
    unfilled = 300;
    let second = false;
    const first = gate.run(300, () => sleep(200));
    const next = gate.run(300, async () => void (second = true));
    await sleep(50);
    expect(second).toBe(false);
    release();
    await sleep(10);
    expect(second).toBe(true);
    await Promise.all([first, next]);
    // A cache over its figure (negative growth) never gives room back.
    gate.reserve(() => -500);
    expect(gate.fit(300, 4)).toBe(2);
  });

  it("gives a clip the idle cores only when it runs alone and no second would fit, judged once it is admitted", async () => {
    let own = 200;
    const gate = createMemoryGate(1000, () => own);
    // Alone, with room for only one: both cores.
    expect(await gate.run(500, async () => threadsOnceAdmitted(gate, 500, 2, 50).threads)).toBe(2);
    // Alone, with room for two: one each.
    expect(await gate.run(300, async () => threadsOnceAdmitted(gate, 300, 2, 50).threads)).toBe(1);
    // Beside a running task: one, even where the process has grown since so that only one would fit.
    let release = (): void => {};
    const first = gate.run(300, () => new Promise<void>((resolve) => (release = resolve)));
    const second = gate.run(300, async () => {
      own = 600;
      return threadsOnceAdmitted(gate, 300, 2, 50).threads;
    });
    expect(await second).toBe(1);
    release();
    await first;
    expect(gate.running()).toBe(0);
  });

  it("holds a lone clip's extra threads against the budget until it releases them", async () => {
    const gate = createMemoryGate(1000, () => 200);
    let admitted = false;
    let finish = (): void => {};
    const alone = gate.run(450, async () => {
      // 200 + 450 + 450 > 1000: alone, so both cores, and 100 more held for the second thread.
      const { threads, release } = threadsOnceAdmitted(gate, 450, 2, 100);
      expect(threads).toBe(2);
      await new Promise<void>((resolve) => (finish = resolve));
      release();
      await new Promise<void>((resolve) => setTimeout(resolve, 10));
      expect(admitted).toBe(true);
    });
    await sleep(10);
    // 200 + 450 + 100 + 300 > 1000: a 300-byte clip waits while the extra thread is held...
    const next = gate.run(300, async () => (admitted = true));
    await sleep(10);
    expect(admitted).toBe(false);
    // ...and starts once it is released, while the first clip still runs.
    finish();
    await Promise.all([alone, next]);
  });

  it("frees a failed clip's share", async () => {
    const gate = createMemoryGate(1000, () => 0);
    await expect(gate.run(900, () => Promise.reject(new Error("ffmpeg failed")))).rejects.toThrow("ffmpeg failed");
    expect(await gate.run(900, async () => "next")).toBe("next");
  });

  it("estimates a clip from the source: a 4 h camera's index and a 1080p encoder", () => {
    const media = (duration: number) => ({
      duration, startTime: 0, video: { codec: "h264", width: 1920, height: 1080, fps: 30, duration }, audio: { codec: "aac" },
    });
    const MB = 2 ** 20;
    const copy = { encodes: false, sourceInputs: 1 };
    const exact = { encodes: true, sourceInputs: 1 };
    const smart = { encodes: true, sourceInputs: 1, encodesExcerpt: true };
    // Measured at the runs' peaks (MiB): copy from the 4 h camera 115-116, exact 150-151; the clip's check runs after its cut, in its slot.
    // Each estimate sits at or above what was measured, and carries the 2-3 MiB the worker grows by per clip.
    expect(clipMemoryBytes(copy, media(14_400)) / MB).toBeCloseTo(118, 0);
    expect(clipMemoryBytes(exact, media(14_400)) / MB).toBeCloseTo(153.5, 0);
    // The decisions those figures make in 500 MiB, with the worker at what it measured when admitting (MiB):
    // copy two at once beside a 152 MiB worker (three peaked at 498-501), exact two at once beside 188.
    const fitting = (worker: number, clip: number) => Math.floor((500 * MB - worker * MB) / clip);
    expect(fitting(152, clipMemoryBytes(copy, media(14_400)))).toBe(2);
    expect(fitting(188, clipMemoryBytes(exact, media(14_400)))).toBe(2);
    // Smart's excerpt copy holds the index, its encodes from the excerpt the encoder: never both in one process,
    // and its processes one after another (measured at most 145 MB, a 1-thread head encode).
    expect(clipMemoryBytes(smart, media(14_400)) / MB).toBeCloseTo(148, 0);
    expect(clipMemoryBytes(copy, media(120))).toBeLessThan(clipMemoryBytes(copy, media(14_400)) - 30 * MB);
  });
});

describe("recentPeak", () => {
  it("answers the top of the readings within the window, so a GC trough does not read as room", () => {
    let t = 0;
    let rss = 180;
    const own = recentPeak(() => rss, 10_000, () => t);
    expect(own()).toBe(180);
    t = 4_000;
    rss = 150;
    expect(own()).toBe(180);
    t = 10_500;
    expect(own()).toBe(150);
    rss = 200;
    expect(own()).toBe(200);
  });
});
