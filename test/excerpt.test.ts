import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyframeAtOrBefore, keyframeBeforeStart, probeVideoStream, readPacketsAtStarts, readVideoPackets } from "../src/extraction/keyframes.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { readSpanBytes } from "../src/extraction/announced-reads.js";
import { EXCERPT_PAST_END_SEC, movieTimescale, cutExcerpt } from "../src/extraction/excerpt.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { FFMPEG, makeTestVideo, type TestVideoOptions } from "./helpers/media.js";

// Issue 13: a smart cut reads its source once, into an excerpt every later
// process opens. Its frames are then the check's reference for "the source's
// frame", so the excerpt must hold the source's packets at the source's times,
// over every kind of source the smart tests use.
const execFileAsync = promisify(execFile);
let dir: string;
let tools: MediaTools;

const SOURCES: Record<string, TestVideoOptions> = {
  "b-frames, moov at the end": { seconds: 14, fps: 25, gop: 50, bframes: true },
  "no audio": { seconds: 14, fps: 25, gop: 50, audio: false, bframes: true },
  hevc: { seconds: 14, fps: 25, gop: 50, hevc: true },
  "variable frame rate": { seconds: 14, fps: 25, gop: 50, vfr: true },
  "non-zero start time": { seconds: 14, fps: 25, gop: 50, startOffsetSec: 3.5, bframes: true },
  // Keyframes and audio frames off the millisecond grid: MP4's default movie
  // timescale (1000) would shift the excerpt's video by a fraction of a ms.
  "29.97 fps": { seconds: 14, fps: 29.97, gop: 50, bframes: true },
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-excerpt-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await Promise.all(Object.values(SOURCES).map((options, i) => makeTestVideo(join(dir, `src${i}.mp4`), options)));
}, 240_000);

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

describe("a smart cut's excerpt", () => {
  it.each(Object.keys(SOURCES).map((name, i) => [name, i] as const))("holds the source's packets at the source's times: %s", async (_name, i) => {
    const input = join(dir, `src${i}.mp4`);
    const info = await probeVideoStream(tools, input, 60_000);
    for (const [start, duration] of [[2.28, 5.5], [5.13, 3.04]] as const) {
      const file = join(dir, `excerpt${i}-${start}.mp4`);
      const excerpt = await cutExcerpt(tools, { input, start, duration, output: join(dir, "unused.mp4"), timeoutMs: 60_000 }, info, file);
      expect(excerpt, `no excerpt of ${input} at ${start} s`).not.toBeNull();
      if (!excerpt) return;
      expect(excerpt.info.originSec + excerpt.start).toBeCloseTo(info.originSec + start, 6);
      const source = await readVideoPackets(tools, input, { fromSec: start, toSec: start + duration + 2, originSec: info.originSec }, 60_000);
      // Absolute times in both (the excerpt's own origin differs from the
      // source's), to half a second past END: the excerpt runs a second past it.
      const times = (packets: typeof source, origin: number): string[] =>
        packets.filter((p) => p.pts + origin <= info.originSec + start + duration + 0.5).map((p) => `${(p.pts + origin).toFixed(4)}${p.key ? "K" : ""}`);
      const local = times(excerpt.packets, excerpt.info.originSec);
      expect(local.length).toBeGreaterThan(duration * 20);
      expect(local).toEqual(times(source, info.originSec));
    }
  }, 120_000);

  it("keeps the excerpt's frames the source's: the first frame at START decodes identically from both", async () => {
    const input = join(dir, "src0.mp4");
    const info = await probeVideoStream(tools, input, 60_000);
    const excerpt = await cutExcerpt(tools, { input, start: 5.13, duration: 3.04, output: join(dir, "unused.mp4"), timeoutMs: 60_000 }, info, join(dir, "frames.mp4"));
    if (!excerpt) throw new Error("no excerpt");
    const frame = async (file: string, at: number): Promise<string> => {
      const { stdout } = await execFileAsync(FFMPEG, ["-v", "error", "-ss", at.toFixed(6), "-i", file, "-frames:v", "1", "-f", "framemd5", "-"]);
      return stdout.split("\n").filter((l) => /^\d/.test(l)).map((l) => l.split(",").pop()?.trim()).join();
    };
    for (const offset of [0, 1.04, 2.96]) expect(await frame(excerpt.input, excerpt.start + offset)).toBe(await frame(input, 5.13 + offset));
  }, 120_000);

  it("knows from the camera's shared packet read which bytes the excerpt reads, to fetch them ahead", async () => {
    const input = join(dir, "src0.mp4");
    const info = await probeVideoStream(tools, input, 60_000);
    const [start, duration] = [5.13, 3.04];
    const packets = await readPacketsAtStarts(tools, input, info, [start, start + duration + EXCERPT_PAST_END_SEC], 60_000);
    const bytes = readSpanBytes(packets, start, start + duration + EXCERPT_PAST_END_SEC, info.fps);
    if (!bytes) throw new Error("no byte span");
    const excerpt = await cutExcerpt(tools, { input, start, duration, output: join(dir, "unused.mp4"), timeoutMs: 60_000 }, info, join(dir, "span.mp4"));
    if (!excerpt) throw new Error("no excerpt");
    // The span is the excerpt's media bytes in the source: about the excerpt's size (its index aside).
    const { size } = await stat(excerpt.input);
    expect(bytes.to - bytes.from).toBeGreaterThan(size * 0.6);
    expect(bytes.to - bytes.from).toBeLessThan(size * 1.2);
    // Without the read around its end there is no span to announce.
    expect(readSpanBytes(packets.filter((p) => p.pts < start + 1), start, start + duration + EXCERPT_PAST_END_SEC, info.fps)).toBeNull();
  }, 60_000);

  it("finds the keyframe before every START in the camera's one shared read, whatever frame of a B-frame GOP START is", async () => {
    const input = join(dir, "src0.mp4");
    const info = await probeVideoStream(tools, input, 60_000);
    expect(info.reorderDepth).toBeGreaterThan(0);
    // A START on each frame position of the B-frame pattern, each in a GOP
    // of its own (neighbouring STARTs' reads would cover each other).
    const starts = Array.from({ length: 6 }, (_, i) => 2 * (i + 1) + 0.28 + i / info.fps);
    const shared = await readPacketsAtStarts(tools, input, info, starts, 60_000);
    // An ffprobe that cannot run: finding a keyframe must not need a read of its own.
    const noProbe: MediaTools = { ...tools, ffprobe: join(dir, "no-such-ffprobe") };
    for (const start of starts) {
      const own = await readVideoPackets(tools, input, { fromSec: start, toSec: start + 1, originSec: info.originSec }, 60_000);
      const expected = keyframeAtOrBefore(own, start, info.fps);
      const found = await keyframeBeforeStart(noProbe, input, start, info, shared, 60_000);
      expect(found?.pts, `START ${start.toFixed(3)} s`).toBe(expected?.pts);
    }
  }, 120_000);

  it("is not made when MP4 cannot keep the source's times exactly", () => {
    const base = { hasAudio: true, timescales: { video: 15_360, audio: 48_000 } };
    expect(movieTimescale(base)).toBe(384_000);
    expect(movieTimescale({ ...base, hasAudio: false, timescales: { video: 12_800, audio: null } })).toBe(12_800);
    // Audio whose time base is not 1/N, or a source without a probed time base.
    expect(movieTimescale({ ...base, timescales: { video: 15_360, audio: null } })).toBeNull();
    expect(movieTimescale({ hasAudio: false })).toBeNull();
    // Co-prime time bases whose product does not fit MP4's 32-bit timescale.
    expect(movieTimescale({ ...base, timescales: { video: 1_000_003, audio: 48_000 } })).toBeNull();
  });
});
