import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VideoStreamInfo } from "../src/extraction/ffprobe-json.js";
import { keyframeAtOrBefore, probeVideoStream } from "../src/extraction/keyframes.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { copyMode } from "../src/extraction/modes/copy.js";
import { smartMode } from "../src/extraction/modes/smart.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { consecutiveGroups, MIN_SPANS_PER_READ, prepareCameraReads } from "../src/pipeline/prepare-camera.js";
import { makeTestVideo } from "./helpers/media.js";

// Issue 13: the camera's one shared packet read seeks to every clip and
// waits on the bucket at each seek, so over ranged reads it is split across
// ffprobes that run at once. Split or not, every clip must find the same
// keyframe before its START in it.
let dir: string;
let tools: MediaTools;
let input: string;
let stream: VideoStreamInfo;
// 20 clips over 56 s of a source with a keyframe every second.
const spans = Array.from({ length: 20 }, (_, i) => ({ start: 1.1 + i * 2.7 + (i % 5) * 0.04, end: 3 + i * 2.7 }));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-prepare-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  input = join(dir, "camera.mp4");
  await makeTestVideo(input, { seconds: 60, fps: 25, gop: 25, bframes: true });
  stream = await probeVideoStream(tools, input, 60_000);
}, 120_000);
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** A probing gate that records how many reads ran at once, and can fail the nth. */
function recordingGate(failing?: number) {
  let running = 0;
  let calls = 0;
  const seen = { most: 0, calls: 0 };
  const probing = async <T>(task: () => Promise<T>): Promise<T> => {
    const call = ++calls;
    seen.calls = calls;
    running += 1;
    seen.most = Math.max(seen.most, running);
    try {
      if (call === failing) throw new Error("the read failed");
      return await task();
    } finally {
      running -= 1;
    }
  };
  return { probing, seen };
}

describe("the camera's shared packet read", () => {
  it.each([["copy", copyMode], ["smart", smartMode]] as const)("%s: split in two reads at once, finds the keyframe before every START the single read finds", async (_name, mode) => {
    const one = recordingGate();
    const whole = await prepareCameraReads(mode, tools, input, stream, spans, { lanes: 1, probing: one.probing, timeoutMs: 60_000 });
    const two = recordingGate();
    const split = await prepareCameraReads(mode, tools, input, stream, spans, { lanes: 2, probing: two.probing, timeoutMs: 60_000 });
    expect(one.seen).toEqual({ most: 1, calls: 1 });
    expect(two.seen).toEqual({ most: 2, calls: 2 });
    for (const { start } of spans) {
      const key = keyframeAtOrBefore(split.packets ?? [], start, stream.fps);
      expect(key, `START ${start}`).not.toBeNull();
      expect(key?.pts).toBe(keyframeAtOrBefore(whole.packets ?? [], start, stream.fps)?.pts);
      // The keyframe of START's own second (a keyframe every 25 frames from 0).
      expect(key?.pts).toBeCloseTo(Math.floor(start + 1e-6), 3);
    }
  }, 120_000);

  it("is not split below a few clips per read, nor past the lanes it is given", () => {
    expect(consecutiveGroups(spans, 3).map((g) => g.length)).toEqual([7, 7, 6]);
    expect(consecutiveGroups([...spans].reverse(), 2)[0]?.[0]).toEqual(spans[0]);
    expect(MIN_SPANS_PER_READ).toBeGreaterThan(1);
  });

  it("reads once when there are too few clips for two reads", async () => {
    const gate = recordingGate();
    await prepareCameraReads(copyMode, tools, input, stream, spans.slice(0, MIN_SPANS_PER_READ * 2 - 1), { lanes: 4, probing: gate.probing, timeoutMs: 60_000 });
    expect(gate.seen.calls).toBe(1);
  }, 60_000);

  it("keeps the packets of the reads that worked when one fails: only its clips read their keyframes themselves", async () => {
    const gate = recordingGate(2);
    const reads = await prepareCameraReads(copyMode, tools, input, stream, spans, { lanes: 2, probing: gate.probing, timeoutMs: 60_000 });
    // A clip uses the shared packets when they reach its START (keyframeBeforeStart); the second half's do not exist.
    const reached = spans.map(({ start }) => (reads.packets ?? []).some((p) => Math.abs(p.pts - start) < 1 / stream.fps));
    expect(reached).toEqual(spans.map((_, i) => i < 10));
  }, 60_000);
});
