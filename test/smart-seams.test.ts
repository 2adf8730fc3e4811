import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cutClip } from "../src/extraction/modes/registry.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { FFMPEG, makeTestVideo, type TestVideoOptions } from "./helpers/media.js";

// Issue 13.4: smart clips are checked at their seams only (the copied middle
// by its index), so these tests decode every smart clip in full, independently,
// over sources of every kind the pipeline meets: each must decode without a
// single error, or the cut must have fallen back to exact and said why.
const execFileAsync = promisify(execFile);
let dir: string;
let tools: MediaTools;

const SOURCES: Record<string, TestVideoOptions> = {
  "b-frames, moov at the end": { seconds: 14, fps: 25, gop: 50, bframes: true },
  "long GOP (10 s)": { seconds: 24, fps: 25, gop: 250, faststart: true },
  "no audio": { seconds: 14, fps: 25, gop: 50, audio: false, bframes: true },
  hevc: { seconds: 14, fps: 25, gop: 50, hevc: true },
  "variable frame rate": { seconds: 14, fps: 25, gop: 50, vfr: true },
  "non-zero start time": { seconds: 14, fps: 25, gop: 50, startOffsetSec: 3.5, bframes: true },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-smart-seams-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await Promise.all(Object.entries(SOURCES).map(([name, options], i) => makeTestVideo(join(dir, `src${i}.mp4`), options).catch((error: unknown) => {
    throw new Error(`making the ${name} source failed: ${String(error)}`);
  })));
}, 240_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** Every decoder message of a full decode of the file (video and audio); "" when it decodes cleanly. */
async function fullDecodeErrors(file: string): Promise<string> {
  const { stderr } = await execFileAsync(FFMPEG, ["-hide_banner", "-nostdin", "-v", "error", "-i", file, "-fps_mode", "passthrough", "-f", "null", "-"]);
  return stderr.trim();
}

describe("smart clips checked at their seams decode cleanly in full", () => {
  it.each(Object.keys(SOURCES).map((name, i) => [name, i] as const))("%s", async (_name, i) => {
    const input = join(dir, `src${i}.mp4`);
    // Mid-GOP starts and ends, a start on a keyframe, a clip spanning several GOPs.
    for (const [start, duration] of [[2.28, 5.5], [4, 6.16], [5.13, 3.04], [1.1, 9.7]] as const) {
      const output = join(dir, `clip${i}-${start}.mp4`);
      const made = await cutClip(tools, { input, start, duration, output, timeoutMs: 60_000, mode: "smart" });
      if (made.mode === "smart") expect(await fullDecodeErrors(output), `${output}`).toBe("");
      else expect(made.fallbackReason, `${output} fell back without a reason`).toMatch(/\w/);
    }
  }, 240_000);

  it("splices on the plain sources rather than falling back", async () => {
    const made = await cutClip(tools, { input: join(dir, "src0.mp4"), start: 2.28, duration: 5.5, output: join(dir, "spliced.mp4"), timeoutMs: 60_000, mode: "smart" });
    expect(made.mode).toBe("smart");
    expect(await fullDecodeErrors(join(dir, "spliced.mp4"))).toBe("");
  }, 120_000);
});
