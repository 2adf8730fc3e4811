import { execFile } from "node:child_process";
import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaError } from "../src/domain/errors.js";
import { cutExactClip } from "../src/extraction/cut.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { probeMedia } from "../src/extraction/probe.js";
import { MediaToolError, runMediaTool } from "../src/extraction/run.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { DEFAULT_DURATION_TOLERANCE_SEC, verifyClip } from "../src/extraction/verify.js";
import { countFrames, decodeFrame, ffprobeJson, makeTestVideo, psnr, truncateCopy } from "./helpers/media.js";

const FPS = 25;
// Measured: the right frame re-encoded scores ~48 dB; its neighbours 19-27 dB.
const SAME_FRAME_DB = 35;

let dir: string;
let tools: MediaTools;
const src = (): string => join(dir, "source.mp4");
const offsetSrc = (): string => join(dir, "offset.mp4");
const bframeSrc = (): string => join(dir, "bframes.mp4");
const faststartSrc = (): string => join(dir, "faststart.mp4");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-extraction-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await Promise.all([
    makeTestVideo(src(), { seconds: 10, fps: FPS, gop: 2 * FPS }),
    makeTestVideo(offsetSrc(), { seconds: 10, fps: FPS, gop: 2 * FPS, startOffsetSec: 1.5 }),
    makeTestVideo(bframeSrc(), { seconds: 10, fps: FPS, gop: 2 * FPS, bframes: true, audio: false }),
    makeTestVideo(faststartSrc(), { seconds: 10, fps: FPS, gop: 2 * FPS, faststart: true }),
  ]);
});

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** Cuts and checks the clip starts on source frame `frame`, not on either neighbour, and has the right length. */
async function expectCutStartsOn(input: string, start: number, duration: number, frame: number, fps = FPS): Promise<void> {
  const output = join(dir, `clip-${start}-${Math.random().toString(36).slice(2)}.mp4`);
  await cutExactClip(tools, { input, start, duration, output, timeoutMs: 30_000 });

  const [first, expected, before, after] = await Promise.all([
    decodeFrame(output, 0), decodeFrame(input, frame), decodeFrame(input, frame - 1), decodeFrame(input, frame + 1),
  ]);
  const match = psnr(first, expected);
  expect(match).toBeGreaterThan(SAME_FRAME_DB);
  // Proves the check can fail: the neighbouring frames must score far lower.
  expect(psnr(first, before)).toBeLessThan(match - 10);
  expect(psnr(first, after)).toBeLessThan(match - 10);

  const frames = await countFrames(output);
  expect(Math.abs(frames - Math.round(duration * fps))).toBeLessThanOrEqual(1);
}

describe("locateMediaTools", () => {
  it("finds ffmpeg and ffprobe on PATH or beside FFMPEG_PATH", async () => {
    const found = await locateMediaTools({ searchPath: process.env.PATH });
    expect(isAbsolute(found.ffmpeg)).toBe(true);
    expect(found.ffmpeg).toMatch(/ffmpeg(\.exe)?$/);
    expect(found.ffprobe).toMatch(/ffprobe(\.exe)?$/);

    // With an explicit FFMPEG_PATH, ffprobe comes from beside it, not from PATH.
    const beside = await locateMediaTools({ ffmpegPath: tools.ffmpeg, searchPath: "" });
    expect(beside).toEqual({ ffmpeg: tools.ffmpeg, ffprobe: join(dirname(tools.ffmpeg), "ffprobe") });
  });

  it("names the variable when FFMPEG_PATH is wrong, and rejects a binary that is not ffmpeg", async () => {
    const missing = locateMediaTools({ ffmpegPath: join(dir, "no-such-ffmpeg"), searchPath: process.env.PATH });
    await expect(missing).rejects.toThrow(MediaError);
    await expect(missing).rejects.toThrow(/FFMPEG_PATH is set to .*no-such-ffmpeg.*does not exist/);

    const plain = join(dir, "not-executable");
    await writeFile(plain, "");
    await chmod(plain, 0o644);
    await expect(locateMediaTools({ ffmpegPath: plain, searchPath: undefined })).rejects.toThrow(/FFMPEG_PATH .* not executable/);

    const impostor = join(dir, "fake-ffmpeg");
    await writeFile(impostor, "#!/bin/sh\necho hello\n");
    await chmod(impostor, 0o755);
    const fake = locateMediaTools({ ffmpegPath: impostor, ffprobePath: tools.ffprobe, searchPath: undefined });
    await expect(fake).rejects.toThrow(/is not ffmpeg: "-version" printed "hello"/);
  });

  it("says how to install ffmpeg when PATH has none", async () => {
    const search = locateMediaTools({ searchPath: "" });
    await expect(search).rejects.toThrow(MediaError);
    await expect(search).rejects.toThrow(/ffmpeg was not found.*apt-get install -y ffmpeg.*brew install ffmpeg.*FFMPEG_PATH/);
    await expect(locateMediaTools({ searchPath: dir })).rejects.toThrow(/not found on PATH/);
  });
});

describe("runMediaTool", () => {
  it("returns stdout, or reports the exit code and the end of stderr, or a binary that cannot start", async () => {
    await expect(runMediaTool(tools.ffmpeg, ["-version"], { timeoutMs: 10_000 })).resolves.toMatchObject({
      stdout: expect.stringMatching(/^ffmpeg version/),
    });
    const args = ["-v", "error", "-i", join(dir, "nope.mp4"), "-f", "null", "-"];
    const run = runMediaTool(tools.ffmpeg, args, { timeoutMs: 10_000 });
    await expect(run).rejects.toThrow(MediaToolError);
    await expect(run).rejects.toThrow(/ffmpeg exited with code 1: .*nope\.mp4: No such file or directory/);
    await expect(runMediaTool(join(dir, "missing-bin"), [], { timeoutMs: 1000 })).rejects.toThrow(/could not start/);
  });

  it("kills a run that exceeds its timeout", async () => {
    const output = join(dir, `timeout-${process.pid}.nut`);
    const hour = ["-f", "lavfi", "-i", "testsrc2=size=64x36:duration=3600", "-c:v", "rawvideo", "-y", output];
    const began = Date.now();
    await expect(runMediaTool(tools.ffmpeg, hour, { timeoutMs: 400 })).rejects.toThrow(/ffmpeg timed out after 0\.4 s/);
    expect(Date.now() - began).toBeLessThan(5000);

    const { stdout } = await promisify(execFile)("ps", ["-A", "-o", "args="]);
    expect(stdout).not.toContain(output);
    // A killed ffmpeg writes no more; a leaked one would keep growing the file.
    const size = async (): Promise<number> => stat(output).then((s) => s.size, () => 0);
    const before = await size();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await size()).toBe(before);
  });

  it("kills a run when its signal aborts", async () => {
    const controller = new AbortController();
    const hour = ["-f", "lavfi", "-i", "testsrc2=duration=3600", "-f", "null", "-"];
    setTimeout(() => controller.abort(), 200);
    const run = runMediaTool(tools.ffmpeg, hour, { timeoutMs: 30_000, signal: controller.signal });
    await expect(run).rejects.toThrow(/ffmpeg was cancelled/);
  });
});

describe("probeMedia", () => {
  it("describes a good file", async () => {
    const info = await probeMedia(tools, src());
    expect(info.duration).toBeCloseTo(10, 1);
    expect(info.startTime).toBe(0);
    // One parse gives the pipeline's view and the codec details copy and smart cuts match.
    expect(info.video).toEqual({
      codec: "h264", width: 320, height: 180, fps: 25, duration: 10,
      pixFmt: "yuv420p", profile: "Constrained Baseline", level: 12, originSec: 0, colour: {}, hasAudio: true, reorderDepth: 0,
      timescales: { video: 12_800, audio: 48_000 },
    });
    expect(info.audio).toEqual({ codec: "aac" });
    await expect(probeMedia(tools, bframeSrc())).resolves.toMatchObject({ audio: null, video: { duration: 10 } });
  });

  it("measures a shifted source from its first timestamp, not from zero", async () => {
    const raw = await ffprobeJson(offsetSrc());
    // The fixture must really start late, or the cut tests below prove nothing.
    expect(Number(raw.streams.find((s) => s.codec_type === "video")?.start_time)).toBeCloseTo(1.5, 3);
    // MP4 counts the leading empty edit in the container duration.
    expect(Number(raw.format.duration)).toBeCloseTo(11.5, 1);

    const info = await probeMedia(tools, offsetSrc());
    // The AAC track starts one priming frame (1024 samples, ~21 ms) before the video.
    expect(info.startTime).toBeCloseTo(Number(raw.format.start_time), 6);
    expect(info.startTime).toBeGreaterThan(1.45);
    expect(info.startTime).toBeLessThan(1.5);
    expect(info.duration).toBeCloseTo(10, 1);
    expect(info.video?.duration).toBeCloseTo(10, 3);
  });

  it("says a non-media file is not a readable video", async () => {
    const text = join(dir, "notes.mp4");
    await writeFile(text, "this is not a video\n");
    await expect(probeMedia(tools, text)).rejects.toThrow(/not a readable video: .*notes\.mp4/);
    await expect(probeMedia(tools, join(dir, "absent.mp4"))).rejects.toThrow(/does not exist/);
  });

  it("says a truncated mp4 is truncated, with its index at the end or the front", async () => {
    const tail = join(dir, "truncated.mp4");
    await truncateCopy(src(), tail, 0.5);
    await expect(probeMedia(tools, tail)).rejects.toThrow(/not a readable video: .*moov atom.*truncated/);

    const front = join(dir, "truncated-faststart.mp4");
    await truncateCopy(faststartSrc(), front, 0.6);
    await expect(probeMedia(tools, faststartSrc())).resolves.toBeTruthy();
    await expect(probeMedia(tools, front)).rejects.toThrow(/not a readable video: .*truncated/);
  });
});

describe("cutExactClip", () => {
  it.each([3.28, 7.04])("starts a clip at %s s on that frame, between keyframes", async (start) => {
    await expectCutStartsOn(src(), start, 2, Math.round(start * FPS));
  });

  it("counts START from the first frame of a source that does not start at 0", async () => {
    await expectCutStartsOn(offsetSrc(), 3.28, 2, Math.round(3.28 * FPS));
  });

  it("cuts a source with B-frames on the right frame", async () => {
    await expectCutStartsOn(bframeSrc(), 7.04, 1.5, Math.round(7.04 * FPS));
  });

  it("starts a clip between two frames on the later one", async () => {
    // 5.13 s lies inside frame 128 (5.12–5.16 s): ffmpeg keeps the first frame at or after START.
    await expectCutStartsOn(src(), 5.13, 1, 129);
  });

  // Known limitation of the fixed command, pinned so a fix shows up here:
  // ffmpeg counts START from the container's start_time, the earliest of all
  // streams. In a shifted MP4 the AAC track starts ~21 ms (its priming) before
  // the video, so at 60 fps (16.7 ms frames) the clip starts one frame early.
  // At 25 fps that is under half a frame, and the tests above get frame N.
  it("starts one frame early at 60 fps when the audio starts 21 ms before the video", async () => {
    const input = join(dir, "offset-60.mp4");
    await makeTestVideo(input, { seconds: 5, fps: 60, gop: 120, startOffsetSec: 1.5 });
    await expectCutStartsOn(input, 3, 1, 179, 60);
  });

  it("leaves no output when the input is missing", async () => {
    const output = join(dir, "from-missing.mp4");
    // Stands in for a half-written clip of an earlier attempt: it must not survive.
    await writeFile(output, "partial");
    const cut = cutExactClip(tools, { input: join(dir, "absent.mp4"), start: 1, duration: 1, output, timeoutMs: 10_000 });
    await expect(cut).rejects.toThrow(MediaError);
    await expect(cut).rejects.toThrow(/cutting .*absent\.mp4.*No such file/);
    expect(await exists(output)).toBe(false);
  });

  it("removes the partial output of a cut that times out", async () => {
    const output = join(dir, "too-slow.mp4");
    const cut = cutExactClip(tools, { input: src(), start: 0, duration: 10, output, timeoutMs: 30 });
    await expect(cut).rejects.toThrow(/timed out/);
    expect(await exists(output)).toBe(false);
  });
});

describe("verifyClip", () => {
  it("accepts an exact cut and rejects a clip of the wrong length", async () => {
    const output = join(dir, "verify.mp4");
    await cutExactClip(tools, { input: src(), start: 3.28, duration: 2, output, timeoutMs: 30_000 });

    const good = await verifyClip(tools, output, { duration: 2, toleranceSec: DEFAULT_DURATION_TOLERANCE_SEC });
    expect(good.ok).toBe(true);
    if (!good.ok) return;
    expect(good.bytes).toBe((await stat(output)).size);
    expect(good.info.video?.duration).toBeCloseTo(2, 2);

    const wrong = await verifyClip(tools, output, { duration: 2.5, toleranceSec: DEFAULT_DURATION_TOLERANCE_SEC });
    expect(wrong).toEqual({ ok: false, reason: expect.stringMatching(/is 2\.000 s long.*expected 2\.500 s ± 0\.200 s/) });

    // A play running past the end of the video yields a short clip, not an error.
    const short = join(dir, "past-end.mp4");
    await cutExactClip(tools, { input: src(), start: 9, duration: 2, output: short, timeoutMs: 30_000 });
    const check = await verifyClip(tools, short, { duration: 2, toleranceSec: DEFAULT_DURATION_TOLERANCE_SEC });
    expect(check).toEqual({ ok: false, reason: expect.stringMatching(/is 1\.000 s long.*expected 2\.000 s/) });
  });

  it("rejects a missing or unreadable clip with a reason", async () => {
    const missing = await verifyClip(tools, join(dir, "none.mp4"), { duration: 1, toleranceSec: 0.2 });
    expect(missing).toEqual({ ok: false, reason: expect.stringMatching(/does not exist/) });

    const text = join(dir, "fake-clip.mp4");
    await writeFile(text, "not a clip");
    const unreadable = await verifyClip(tools, text, { duration: 1, toleranceSec: 0.2 });
    expect(unreadable).toEqual({ ok: false, reason: expect.stringMatching(/not a readable video/) });
  });
});
