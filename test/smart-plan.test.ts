import { describe, expect, it } from "vitest";
import type { VideoStreamInfo } from "../src/extraction/ffprobe-json.js";
import type { VideoPacket } from "../src/extraction/keyframes.js";
import { planSmartCut } from "../src/extraction/smart-plan.js";

// 10 fps, so frame f is shown at f / 10 s.
const FPS = 10;
const info: VideoStreamInfo = {
  codec: "h264", width: 320, height: 180, pixFmt: "yuv420p", profile: "High", level: 30, fps: FPS,
  duration: null, originSec: 0, colour: {}, hasAudio: true, reorderDepth: 1,
};

/** Packets from frame numbers in decode order; `key` lists the keyframes. */
const packets = (decodeOrder: number[], key: number[]): VideoPacket[] =>
  decodeOrder.map((f, i) => ({ pts: f / FPS, dts: (i - 1) / FPS, key: key.includes(f) }));

/**
 * Closed GOPs of 10 frames, each decoded I P B B P B B P B B: the P-frame
 * goes before the two B-frames it shows after (0 3 1 2 6 4 5 9 7 8).
 */
function closedGops(gops: number): VideoPacket[] {
  const order: number[] = [];
  for (let g = 0; g < gops; g++) order.push(...[0, 3, 1, 2, 6, 4, 5, 9, 7, 8].map((f) => g * 10 + f));
  return packets(order, Array.from({ length: gops }, (_, g) => g * 10));
}

describe("planSmartCut", () => {
  it("re-encodes the tail from the last keyframe before END when copying to END would add a frame after it", () => {
    // [0.2, 2.75): frames 2..27. Copying from 10 up to 27 in decode order takes 29 too (…26 24 25 29 27).
    expect(planSmartCut(info, closedGops(4), 0.2, 2.55)).toEqual({
      kind: "splice", keyframeSec: 1, headFrames: 8, copiedFrames: 10, tailKeyframeSec: 2, tailFrames: 8,
    });
  });

  it("keeps the two-part splice when copying to END is a clean decode-order prefix", () => {
    // [0.2, 2.7): frames 2..26; the prefix 20 23 21 22 26 24 25 holds nothing after END.
    expect(planSmartCut(info, closedGops(4), 0.2, 2.5)).toEqual({
      kind: "splice", keyframeSec: 1, headFrames: 8, copiedFrames: 17, tailKeyframeSec: null, tailFrames: 0,
    });
    // No B-frames: decode order is display order, so any END is clean.
    const noB = packets(Array.from({ length: 40 }, (_, f) => f), [0, 10, 20, 30]);
    expect(planSmartCut({ ...info, reorderDepth: 0 }, noB, 0.2, 2.55)).toMatchObject({ copiedFrames: 18, tailKeyframeSec: null, tailFrames: 0 });
  });

  it("re-encodes a head of one or two frames on through the next GOP on a B-frame source, where it would have no decode delay", () => {
    // [0.9, 3.0): frame 9, then keyframes 10 and 20. A 1-frame head would be spliced before 10; it runs on to 20.
    expect(planSmartCut(info, closedGops(4), 0.9, 2.1)).toEqual({
      kind: "splice", keyframeSec: 2, headFrames: 11, copiedFrames: 10, tailKeyframeSec: null, tailFrames: 0,
    });
    expect(planSmartCut(info, closedGops(4), 0.8, 2.2)).toMatchObject({ keyframeSec: 2, headFrames: 12 });
    // Three frames have the encoder's delay: spliced at the first keyframe, as without B-frames.
    expect(planSmartCut(info, closedGops(4), 0.7, 2.3)).toMatchObject({ keyframeSec: 1, headFrames: 3 });
    expect(planSmartCut({ ...info, reorderDepth: 0 }, closedGops(4), 0.9, 2.1)).toMatchObject({ keyframeSec: 1, headFrames: 1 });
    // No second keyframe in the clip: exact, and why.
    expect(planSmartCut(info, closedGops(2), 0.9, 0.6)).toEqual({ kind: "exact", reason: expect.stringMatching(/1-frame head before the clip's only keyframe/) });
  });

  it("keeps the two-part splice when END is on a keyframe", () => {
    expect(planSmartCut(info, closedGops(4), 0.2, 1.8)).toMatchObject({ kind: "splice", copiedFrames: 10, tailKeyframeSec: null });
  });

  it("re-encodes the whole clip when K2 would be K1: nothing is left to copy", () => {
    // [0.2, 1.75): frames 2..17, one keyframe (10), and 19 comes before 17 in decode order.
    const plan = planSmartCut(info, closedGops(4), 0.2, 1.55);
    expect(plan).toMatchObject({ kind: "exact", reason: expect.stringMatching(/B-frame reordering at END.*1\.000 s is the clip's only keyframe/) });
  });

  it("re-encodes the whole clip on an open GOP at K2", () => {
    // The GOP at 20 opens with B-frames 18 and 19, decoded after it and referencing the GOP before.
    const order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 10, 13, 11, 12, 17, 14, 15, 16, 20, 18, 19, 23, 21, 22, 26, 24, 25, 29, 27, 28, 30];
    const plan = planSmartCut(info, packets(order, [0, 10, 20, 30]), 0.2, 2.55);
    expect(plan).toMatchObject({ kind: "exact", reason: expect.stringMatching(/open GOP at 2\.000 s: the frame at 1\.800 s/) });
  });

  it("re-encodes the whole clip when a frame decoded before K2 is shown after it", () => {
    const order = [0, 3, 1, 2, 6, 4, 5, 9, 7, 8, 10, 13, 11, 12, 21, 14, 15, 16, 17, 18, 19, 20, 23, 22, 26, 24, 25, 29, 27, 28, 30];
    const plan = planSmartCut(info, packets(order, [0, 10, 20, 30]), 0.2, 2.55);
    expect(plan).toMatchObject({ kind: "exact", reason: expect.stringMatching(/2\.100 s is decoded before keyframe 2\.000 s/) });
  });
});
