import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planSmartCut, smartParts } from "../src/extraction/cut-smart.js";
import { probeVideoStream, readVideoPackets } from "../src/extraction/keyframes.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { SAME_FRAME_DB, referenceSeeks } from "../src/extraction/smart-check.js";
import { runSmartSteps, smartSteps } from "../src/extraction/smart-steps.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { decodeFrame, makeTestVideo, psnr } from "./helpers/media.js";

const FPS = 25;
let dir: string;
let tools: MediaTools;
const source = (): string => join(dir, "bframes.mp4");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-smart-steps-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await makeTestVideo(source(), { seconds: 12, fps: FPS, gop: 2 * FPS, bframes: true });
});

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe("a smart cut's processes", () => {
  // START inside a GOP with a tail; START on a keyframe (no head) with a tail; a head and no tail.
  it.each([[3.28, 3.5], [4, 3.64], [5.13, 2.87]])("write the check's references, the source's own frames (%s s + %s s)", async (start, duration) => {
    const info = await probeVideoStream(tools, source(), 30_000);
    const packets = await readVideoPackets(tools, source(), { fromSec: start, toSec: start + duration + 2, originSec: info.originSec }, 30_000);
    const plan = planSmartCut(info, packets, start, duration);
    expect(plan.kind).toBe("splice");
    if (plan.kind !== "splice") return;
    const work = await mkdtemp(join(dir, "work-"));
    const parts = smartParts({ input: source(), start, duration, output: join(work, "clip.mp4"), timeoutMs: 30_000 }, info, plan, work);
    const tail = plan.tailKeyframeSec;
    const refs = referenceSeeks({ clip: join(work, "clip.mp4"), source: source(), start, duration, fps: FPS, timeoutMs: 30_000,
      join: plan.headFrames > 0 ? { frame: plan.headFrames, sourceSec: plan.keyframeSec } : undefined,
      tailJoin: tail !== null ? { frame: plan.headFrames + plan.copiedFrames, sourceSec: tail } : undefined });
    const steps = smartSteps(source(), parts, plan.headFrames, refs, FPS);
    // One process for the head and the copied middle, one for the tail: no process of their own for references or the copy.
    expect(steps).toHaveLength(tail !== null ? 2 : 1);
    const frames = await runSmartSteps(tools.ffmpeg, steps, info, refs.length, { timeoutMs: 30_000 });
    expect(frames).toHaveLength(refs.length);
    // The first frame shown at or after START.
    const first = Math.ceil(start * FPS - 1e-6);
    for (const [i, ref] of refs.entries()) {
      // Decoded from frame 0 without seeking: the frame clip frame n must be.
      const [right, next] = await Promise.all([decodeFrame(source(), first + ref.n), decodeFrame(source(), first + ref.n + 1)]);
      expect(psnr(frames[i] ?? Buffer.alloc(0), right), `reference ${i} (clip frame ${ref.n})`).toBeGreaterThan(SAME_FRAME_DB);
      expect(psnr(frames[i] ?? Buffer.alloc(0), next)).toBeLessThan(SAME_FRAME_DB);
    }
    await rm(work, { recursive: true, force: true });
  });
});
