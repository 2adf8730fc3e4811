import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { locateMediaTools } from "../src/extraction/locate.js";
import { cutClip } from "../src/extraction/modes/registry.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { FFMPEG, psnr } from "./helpers/media.js";

// A camera file joined from segments has small gaps in its video timestamps
// (each segment's audio runs a little past its video). Over such a source
// ffmpeg's default constant-rate output duplicated an exact clip's first
// frame and dropped its last: every frame one slot late. Found on the 4 h
// benchmark camera (issue 13); reproduced here by one 20 ms gap.
const execFileAsync = promisify(execFile);
const [W, H] = [320, 180];
let dir: string;
let tools: MediaTools;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-exact-frames-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await execFileAsync(FFMPEG, ["-v", "error", "-y", "-f", "lavfi", "-i", `testsrc2=size=${W}x${H}:rate=30`, "-f", "lavfi", "-i", "sine=sample_rate=48000",
    "-t", "6", "-map", "0:v", "-map", "1:a", "-vf", "setpts=PTS+gt(N\\,45)*0.02/TB", "-fps_mode", "passthrough",
    "-c:v", "libx264", "-preset", "ultrafast", "-g", "60", "-c:a", "aac", join(dir, "gap.mp4")]);
}, 60_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

/** Every video frame of `args`' input, gray, in order. */
async function frames(args: string[], file: string): Promise<Buffer[]> {
  await execFileAsync(FFMPEG, ["-v", "error", "-y", ...args, "-map", "0:v:0", "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "gray", file]);
  const bytes = await readFile(file);
  return Array.from({ length: bytes.length / (W * H) }, (_, i) => bytes.subarray(i * W * H, (i + 1) * W * H));
}

describe("an exact clip of a source whose timestamps have a gap", () => {
  it.each([[1.01, 2], [0.5, 3], [2.2, 1.5]])("holds the source's frames in [%s s, +%s s), each once and in place", async (start, duration) => {
    const clip = join(dir, `clip-${start}.mp4`);
    await cutClip(tools, { input: join(dir, "gap.mp4"), start, duration, output: clip, timeoutMs: 60_000, mode: "exact" });
    const source = await frames(["-ss", String(start), "-t", String(duration), "-i", join(dir, "gap.mp4")], join(dir, "src.gray"));
    const cut = await frames(["-i", clip], join(dir, "cut.gray"));
    expect(cut.length).toBe(source.length);
    const misplaced = cut.flatMap((frame, i) => (psnr(frame, source[i] ?? Buffer.alloc(0)) > 35 ? [] : [i]));
    expect(misplaced).toEqual([]);
  }, 60_000);
});
