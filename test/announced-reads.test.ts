import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { probeVideoStream, readVideoPackets } from "../src/extraction/keyframes.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { cutModeNamed } from "../src/extraction/modes/registry.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { makeTestVideo } from "./helpers/media.js";

// Issue 13: a cut that is one ffmpeg reading the camera (exact, copy) tells the
// range reader which bytes it will read, so they are fetched ahead at once
// instead of one block per round trip to the bucket. The span must hold what
// the cut reads (else it costs speed) and end near END (else it costs bytes).
let dir: string;
let tools: MediaTools;
const input = (): string => join(dir, "camera.mp4");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-announced-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await makeTestVideo(input(), { seconds: 16, fps: 25, gop: 50, bframes: true });
}, 120_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe.each(["exact", "copy"] as const)("a %s cut", (name) => {
  it("announces the bytes from the keyframe before START to END, once, and withdraws them when done", async () => {
    const mode = cutModeNamed(name);
    const stream = await probeVideoStream(tools, input(), 60_000);
    const clips = [{ start: 5.13, end: 8.17 }, { start: 10.5, end: 14 }];
    const shared = await mode.prepareCamera(tools, input(), stream, clips, 60_000);
    for (const [i, clip] of clips.entries()) {
      const spans: Array<{ from: number; to: number; open: boolean }> = [];
      const expectRead = (from: number, to: number): (() => void) => {
        const span = { from, to, open: true };
        spans.push(span);
        return () => void (span.open = false);
      };
      const duration = clip.end - clip.start;
      await mode.cut(tools, { input: input(), start: clip.start, duration, output: join(dir, `${name}${i}.mp4`), timeoutMs: 60_000,
        stream, ...shared, expectRead });
      expect(spans).toHaveLength(1);
      const span = spans[0];
      if (!span) return;
      expect(span.open).toBe(false);
      // What the cut reads: its GOP's keyframe, and every frame shown before END.
      const packets = await readVideoPackets(tools, input(), { fromSec: clip.start - 2.5, toSec: clip.end + 1, originSec: stream.originSec }, 60_000);
      const key = packets.filter((p) => p.key && p.pts <= clip.start + 1e-3).at(-1);
      const last = Math.max(...packets.filter((p) => p.pts < clip.end).map((p) => p.pos ?? 0));
      expect(key?.pos).toBeDefined();
      expect(span.from).toBe(key?.pos);
      expect(span.to).toBeGreaterThanOrEqual(last);
      // And not much past it: a quarter second of a ~1 Mbit/s test video.
      const after = packets.filter((p) => p.pts >= clip.end + 0.5);
      expect(after[0]?.pos).toBeDefined();
      expect(span.to).toBeLessThan(after[0]?.pos ?? 0);
    }
  }, 120_000);
});
