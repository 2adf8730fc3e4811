import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyframeAtOrBefore, probeVideoStream, readVideoPackets, readVideoPacketsIn } from "../src/extraction/keyframes.js";
import { cutCopyClip } from "../src/extraction/modes/copy.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { makeTestVideo } from "./helpers/media.js";

let dir: string;
let video: string;
let tools: MediaTools;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-keyframes-"));
  video = join(dir, "bframes.mp4");
  // Keyframe every 1.2 s (30 frames at 25 fps), B-frames, index at the end, as a camera writes it.
  await makeTestVideo(video, { seconds: 12, fps: 25, gop: 30, bframes: true });
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("reading keyframes for many clips at once", () => {
  it("finds, in one ffprobe, the same keyframe before each START as one ffprobe per START", async () => {
    const info = await probeVideoStream(tools, video, 30_000);
    // Unsorted, two in one GOP, one on a keyframe, one just before a keyframe.
    const starts = [7.3, 0.5, 2.41, 2.9, 3.6, 4.75, 10.9];
    const union = await readVideoPacketsIn(
      tools, video, starts.map((s) => ({ fromSec: s, toSec: s + 2 / info.fps })), info.originSec, 30_000,
    );
    for (const start of starts) {
      const alone = await readVideoPackets(tools, video, { fromSec: start, toSec: start + 1, originSec: info.originSec }, 30_000);
      const expected = Math.floor((start + 0.5 / info.fps) / 1.2) * 1.2;
      expect(keyframeAtOrBefore(alone, start, info.fps)?.pts).toBeCloseTo(expected, 3);
      expect(keyframeAtOrBefore(union, start, info.fps)?.pts).toBeCloseTo(expected, 3);
    }
    // It reads around the starts, not the whole video: far fewer packets than 12 s of frames.
    expect(union.length).toBeLessThan(12 * 25);
  }, 60_000);

  it("a copy cut ignores shared packets that never reached its START and reads its own", async () => {
    const info = await probeVideoStream(tools, video, 30_000);
    // Read for another clip at 0.5 s: its only keyframe (0 s) would be a wrong start for 7.3 s.
    const elsewhere = await readVideoPacketsIn(tools, video, [{ fromSec: 0.5, toSec: 0.6 }], info.originSec, 30_000);
    const cut = await cutCopyClip(tools, { input: video, start: 7.3, duration: 1, output: join(dir, "copy.mp4"), timeoutMs: 30_000 },
      { stream: info, packets: elsewhere });
    expect(cut.actualStart).toBeCloseTo(7.2, 3);
    expect(cut.offset).toBeCloseTo(0.1, 3);
  }, 60_000);

  it("reads nothing for no ranges", async () => {
    expect(await readVideoPacketsIn(tools, video, [], 0, 30_000)).toEqual([]);
  });
});
