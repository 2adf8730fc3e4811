import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { clipMemoryBytes } from "../src/pipeline/clip-memory.js";
import { createMemoryGate } from "../src/pipeline/memory-gate.js";

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

  it("frees a failed clip's share", async () => {
    const gate = createMemoryGate(1000, () => 0);
    await expect(gate.run(900, () => Promise.reject(new Error("ffmpeg failed")))).rejects.toThrow("ffmpeg failed");
    expect(await gate.run(900, async () => "next")).toBe("next");
  });

  it("estimates a clip from the source: a 4 h camera's index and a 1080p encoder", () => {
    const media = (duration: number) => ({
      duration, startTime: 0, video: { codec: "h264", width: 1920, height: 1080, fps: 30, duration }, audio: { codec: "aac" },
    });
    const MB = 1e6;
    const copy = { encodes: false, sourceInputs: 1 };
    const exact = { encodes: true, sourceInputs: 1 };
    const smart = { encodes: true, sourceInputs: 1, encodesExcerpt: true };
    // Measured maxrss: copy from the 4 h camera 118 MB, exact 153 MB; the estimate adds the clip's ffprobe after it.
    expect(clipMemoryBytes(copy, media(14_400)) / MB).toBeCloseTo(155, -1);
    expect(clipMemoryBytes(exact, media(14_400)) / MB).toBeCloseTo(192, -1);
    // Smart's excerpt copy holds the index, its encodes from the excerpt the encoder: never both in one process.
    expect(clipMemoryBytes(smart, media(14_400)) / MB).toBeCloseTo(157, -1);
    expect(clipMemoryBytes(copy, media(120))).toBeLessThan(clipMemoryBytes(copy, media(14_400)) - 30 * MB);
  });
});
