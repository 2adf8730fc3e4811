import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cutClip, type CutClipRequest } from "../src/extraction/modes/registry.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { SAME_FRAME_DB, checkSmartClip } from "../src/extraction/smart-check.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { countFrames, decodeFrame, ffprobeJson, makeTestVideo, psnr } from "./helpers/media.js";

const FPS = 25;
let dir: string;
let tools: MediaTools;
const closed = (): string => join(dir, "closed.mp4");
const bframes = (): string => join(dir, "bframes.mp4");
const indexAtEnd = (): string => join(dir, "index-at-end.mp4");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-cut-modes-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await Promise.all([
    // faststart: true puts the index first; the other two keep it at the end.
    makeTestVideo(closed(), { seconds: 12, fps: FPS, gop: 2 * FPS, faststart: true }),
    makeTestVideo(bframes(), { seconds: 12, fps: FPS, gop: 2 * FPS, bframes: true }),
    makeTestVideo(indexAtEnd(), { seconds: 12, fps: FPS, gop: 2 * FPS, faststart: false }),
  ]);
});

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

let n = 0;
const cut = (input: string, mode: CutClipRequest["mode"], start: number, duration: number, extra: Partial<CutClipRequest> = {}) => {
  const output = join(dir, `${mode}-${start}-${n++}.mp4`);
  return cutClip(tools, { input, start, duration, output, timeoutMs: 30_000, mode, ...extra }).then((r) => ({ ...r, output }));
};

/** The independent check: the clip's first frame against the source frame decoded from 0, never by seeking. */
async function expectFirstFrame(clip: string, source: string, frame: number): Promise<void> {
  const [first, right, wrong] = await Promise.all([decodeFrame(clip, 0), decodeFrame(source, frame), decodeFrame(source, frame + 1)]);
  expect(psnr(first, right)).toBeGreaterThan(SAME_FRAME_DB);
  expect(psnr(first, wrong)).toBeLessThan(psnr(first, right) - 10);
}

describe("copy mode", () => {
  it.each([[3.28, 2], [7.04, 6]])("starts at the keyframe before %s s and reports the offset", async (start, keyframe) => {
    for (const input of [closed(), indexAtEnd()]) {
      const clip = await cut(input, "copy", start, 2);
      expect(clip.mode).toBe("copy");
      expect(clip.actualStart).toBeCloseTo(keyframe, 3);
      expect(clip.offset).toBeCloseTo(start - keyframe, 3);
      await expectFirstFrame(clip.output, input, keyframe * FPS);
      // The play starts `offset` into the clip: that frame is source frame START.
      expect(psnr(await decodeFrame(clip.output, Math.round(clip.offset * FPS)), await decodeFrame(input, Math.round(start * FPS))))
        .toBeGreaterThan(SAME_FRAME_DB);
      const video = (await ffprobeJson(clip.output)).streams.find((s) => s.codec_type === "video");
      expect(Number(video?.duration)).toBeCloseTo(2 + clip.offset, 1);
    }
  });

  it("copies from a keyframe START without a lead-in", async () => {
    const clip = await cut(bframes(), "copy", 4, 1.5);
    expect(clip).toMatchObject({ mode: "copy", actualStart: 4, offset: 0 });
  });
});

describe("smart mode on a closed-GOP source", () => {
  it.each([
    ["off a keyframe", 3.28, 2, 18],
    ["on a keyframe", 4, 2, 0],
    ["between two frames", 5.13, 1.5, 21],
    ["in the last GOP, reaching a keyframe", 9.5, 2, 12],
  ])("passes every check %s (%s s + %s s)", async (_label, start, duration, reencoded) => {
    for (const input of [closed(), indexAtEnd()]) {
      const clip = await cut(input, "smart", start, duration);
      expect(clip).toMatchObject({ mode: "smart", actualStart: start, offset: 0, reencodedFrames: reencoded });
      const join_ = reencoded > 0 ? { frame: reencoded, sourceSec: Math.ceil(start / 2) * 2 } : undefined;
      const check = await checkSmartClip(tools, { clip: clip.output, source: input, start, duration, fps: FPS, join: join_, timeoutMs: 30_000 });
      expect(check).toMatchObject({ ok: true });
      await expectFirstFrame(clip.output, input, Math.ceil(start * FPS - 1e-6));
      expect(Math.abs((await countFrames(clip.output)) - Math.round(duration * FPS))).toBeLessThanOrEqual(1);
    }
  });

  it("re-encodes the whole clip when no keyframe lies before END, and says so", async () => {
    const clip = await cut(closed(), "smart", 10.3, 1.5);
    expect(clip).toMatchObject({ mode: "exact", fallbackReason: expect.stringMatching(/no keyframe between START and END/) });
    await expectFirstFrame(clip.output, closed(), Math.ceil(10.3 * FPS - 1e-6));
  });
});

describe("smart mode on a B-frame source", () => {
  // Keyframes every 2 s; P-frames are decoded before the two B-frames they follow.
  it.each([
    // END on a decode-order boundary (P 4.12, then B 4.04/4.08): head + copy up to END.
    [3.28, 0.88, { reencoded: 18 }],
    [4, 1.36, { reencoded: 0 }],
    // Copying up to END would add a frame after it: head, copy [4, 6), tail [6, END) re-encoded.
    [3.28, 3.5, { reencoded: 18 + 20, tailKeyframe: 6 }],
    [4, 3.64, { reencoded: 41, tailKeyframe: 6 }],
    // The same, but the clip's only keyframe is K1: nothing worth copying.
    [3.28, 2, /reordering at END.*only keyframe/],
    [7.04, 1.5, /reordering at END.*only keyframe/],
    [5.13, 2.5, /reordering at END.*only keyframe/],
  ] as const)("splices or falls back as planned, and passes every check (%s s + %s s)", async (start, duration, outcome) => {
    const clip = await cut(bframes(), "smart", start, duration);
    const first = Math.ceil(start * FPS - 1e-6);
    let tailJoin: { frame: number; sourceSec: number } | undefined;
    if (outcome instanceof RegExp) {
      expect(clip).toMatchObject({ mode: "exact", fallbackReason: expect.stringMatching(outcome) });
    } else {
      expect(clip).toMatchObject({ mode: "smart", reencodedFrames: outcome.reencoded });
      expect(clip.fallbackReason).toBeUndefined();
      if ("tailKeyframe" in outcome) tailJoin = { frame: outcome.tailKeyframe * FPS - first, sourceSec: outcome.tailKeyframe };
    }
    // Whatever mode it reports, the published file is never broken.
    const check = await checkSmartClip(tools, { clip: clip.output, source: bframes(), start, duration, fps: FPS, tailJoin, timeoutMs: 30_000 });
    expect(check).toMatchObject({ ok: true });
    if (tailJoin) expect(check).toMatchObject({ tailJoinPsnr: expect.any(Number) });
    await expectFirstFrame(clip.output, bframes(), first);
    if (tailJoin) expect(psnr(await decodeFrame(clip.output, tailJoin.frame), await decodeFrame(bframes(), tailJoin.sourceSec * FPS))).toBeGreaterThan(SAME_FRAME_DB);
  });
});

describe("checkSmartClip", () => {
  it("rejects a clip that starts on the wrong frame, has the wrong length or a tail off by a frame", async () => {
    const clip = await cut(closed(), "exact", 3.28, 2);
    const base = { clip: clip.output, source: closed(), fps: FPS, timeoutMs: 30_000 };
    expect(await checkSmartClip(tools, { ...base, start: 3.28, duration: 2 })).toMatchObject({ ok: true });
    expect(await checkSmartClip(tools, { ...base, start: 3.32, duration: 2 })).toMatchObject({ ok: false, reason: expect.stringMatching(/first frame/) });
    expect(await checkSmartClip(tools, { ...base, start: 3.28, duration: 2.5 })).toMatchObject({ ok: false, reason: expect.stringMatching(/50 frames/) });
    // Clip frame 18 is the keyframe at 4 s; frame 19 is not, so a tail joined one frame off is caught.
    expect(await checkSmartClip(tools, { ...base, start: 3.28, duration: 2, tailJoin: { frame: 18, sourceSec: 4 } }))
      .toMatchObject({ ok: true, tailJoinPsnr: expect.any(Number) });
    expect(await checkSmartClip(tools, { ...base, start: 3.28, duration: 2, tailJoin: { frame: 19, sourceSec: 4 } }))
      .toMatchObject({ ok: false, reason: expect.stringMatching(/frame 19, the first of the re-encoded tail, is not the source frame at keyframe 4 s/) });
  });
});

describe("maxHeight and maxFps", () => {
  it("scales down keeping the aspect with an even width, and smart falls back to exact", async () => {
    const clip = await cut(closed(), "exact", 3.28, 1, { maxHeight: 90, maxFps: 10 });
    const video = (await ffprobeJson(clip.output, ["-select_streams", "v:0", "-show_entries", "stream=width,height"]))
      .streams[0] as { width?: number; height?: number };
    expect([video.width, video.height]).toEqual([160, 90]);
    expect(Math.abs((await countFrames(clip.output)) - 10)).toBeLessThanOrEqual(1);

    const smart = await cut(closed(), "smart", 3.28, 1, { maxHeight: 100 });
    expect(smart).toMatchObject({ mode: "exact", fallbackReason: expect.stringMatching(/maxHeight/) });
    const odd = (await ffprobeJson(smart.output, ["-select_streams", "v:0", "-show_entries", "stream=width,height"]))
      .streams[0] as { width?: number; height?: number };
    expect([odd.width, odd.height]).toEqual([178, 100]);
    await expect(cut(closed(), "copy", 3.28, 1, { maxHeight: 90 })).rejects.toThrow(/copy mode cannot scale/);
  });
});
