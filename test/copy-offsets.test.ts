import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locateMediaTools } from "../src/extraction/locate.js";
import { cutClip } from "../src/extraction/modes/registry.js";
import { SAME_FRAME_DB } from "../src/extraction/smart-check.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { FFMPEG, decodeFrame, makeTestVideo, psnr } from "./helpers/media.js";

// Copy clips start on the keyframe before START; their videoMetadata offsets
// must name START and END on the clip's own timeline, where a player (here
// ffmpeg's -ss on the clip) seeks. Checked against the source's frames,
// decoded from its start without seeking, on the sources where the naive
// offset (START - keyframe) goes wrong.
const run = promisify(execFile);
const FPS = 25;
const START = 3.36; // frame 84, between keyframes
const DURATION = 2.4; // END = 5.76, frame 144
let dir: string;
let tools: MediaTools;

async function openGopSource(p: string): Promise<void> {
  const args = ["-hide_banner", "-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=320x180:rate=${FPS}:duration=8`];
  args.push("-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=8", "-c:a", "aac");
  args.push("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "50", "-keyint_min", "50", "-sc_threshold", "0");
  args.push("-bf", "3", "-x264-params", "open-gop=1", p);
  await run(FFMPEG, args);
}

const SOURCES: Record<string, (path: string) => Promise<void>> = {
  "B-frames with audio": (p) => makeTestVideo(p, { seconds: 8, fps: FPS, gop: 50, bframes: true }),
  "a long GOP (10 s)": (p) => makeTestVideo(p, { seconds: 8, fps: FPS, gop: 250, bframes: true }),
  "a camera without audio": (p) => makeTestVideo(p, { seconds: 8, fps: FPS, gop: 50, bframes: true, audio: false }),
  "video starting at 1.5 s": (p) => makeTestVideo(p, { seconds: 8, fps: FPS, gop: 50, bframes: true, startOffsetSec: 1.5 }),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-offsets-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
});
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** The frame a player shows at `seconds` into the file: ffmpeg seeks the clip as players do. */
async function frameAt(path: string, seconds: number): Promise<Buffer> {
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-ss", seconds.toFixed(6), "-i", path, "-map", "0:v:0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"];
  const { stdout } = await run(FFMPEG, args, { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 });
  if (stdout.length === 0) throw new Error(`${path} shows no frame at ${seconds} s`);
  return stdout;
}

/** The source frame (by index, decoded from the start) that `frame` looks most like, among index ± 3. */
async function nearestSourceFrame(source: string, index: number, frame: Buffer): Promise<{ index: number; db: number }> {
  let best = { index: -1, db: -Infinity };
  for (let i = index - 3; i <= index + 3; i++) {
    const db = psnr(frame, await decodeFrame(source, i));
    if (db > best.db) best = { index: i, db };
  }
  return best;
}

describe("copy clips carry videoMetadata offsets on their own timeline", () => {
  it.each(Object.keys(SOURCES))("%s: the clip at startOffset is the source at START, and at endOffset the source at END", async (name) => {
    const source = join(dir, `${name.replace(/\W+/g, "-")}.mp4`);
    await SOURCES[name]?.(source);
    const output = join(dir, `clip-${name.replace(/\W+/g, "-")}.mp4`);
    const made = await cutClip(tools, { input: source, start: START, duration: DURATION, output, timeoutMs: 60_000, mode: "copy" });
    const offsets = made.videoOffsets;
    if (!offsets) throw new Error("copy gave no videoOffsets");
    expect(offsets.end - offsets.start).toBeCloseTo(DURATION, 6);
    expect(made.offset).toBeGreaterThan(0.3); // START is not on a keyframe: there is a lead-in

    const atStart = await nearestSourceFrame(source, Math.round(START * FPS), await frameAt(output, offsets.start));
    expect(atStart).toMatchObject({ index: Math.round(START * FPS) });
    expect(atStart.db).toBeGreaterThan(SAME_FRAME_DB);
    // END itself is the first frame after the play; its last frame is one before it.
    const lastIndex = Math.round((START + DURATION) * FPS) - 1;
    const atEnd = await nearestSourceFrame(source, lastIndex, await frameAt(output, offsets.end - 1 / FPS));
    expect(atEnd).toMatchObject({ index: lastIndex });
    expect(atEnd.db).toBeGreaterThan(SAME_FRAME_DB);

    if (Math.abs(offsets.start - made.offset) >= 1 / FPS) {
      // Where the naive offset (distance from the keyframe) would have put the play: frames early.
      const naive = await nearestSourceFrame(source, Math.round(START * FPS), await frameAt(output, made.offset));
      expect(naive.index).toBeLessThan(Math.round(START * FPS));
    }
  });

  it("open GOPs: copy refuses the clip with the decoder's reason instead of publishing frames that reference the GOP before it", async () => {
    const source = join(dir, "open-gop.mp4");
    await openGopSource(source);
    const output = join(dir, "clip-open-gop.mp4");
    await expect(cutClip(tools, { input: source, start: START, duration: DURATION, output, timeoutMs: 60_000, mode: "copy" }))
      .rejects.toThrow(/copy-cutting 3.36 s \+ 2.4 s of .*failed: ffmpeg exited with code 1/);
  });
});
