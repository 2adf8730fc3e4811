import { describe, expect, it } from "vitest";
import { datasetJsonl, DEFAULT_TEMPLATES, renderTemplate, templateFields, unknownTemplateNames } from "../src/domain/jsonl.js";
import type { Play } from "../src/domain/types.js";

const play: Play = {
  id: "p1",
  gameId: "g1",
  angle: "LEFT",
  start: 12.5,
  end: 20,
  playType: "pick_and_roll",
  metadata: { quarter: 2, note: 'said "go"\nnow' },
};
const clips = [
  { play, camera: "FAR_LEFT" as const, uri: "gs://bucket/games/g1/clips/p1_FAR_LEFT.mp4" },
  { play: { ...play, id: "p2", playType: null, metadata: {} }, camera: "NEAR_RIGHT" as const, uri: "gs://b/p2.mp4" },
];

function lines(text: string): unknown[] {
  expect(text.endsWith("\n")).toBe(true);
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as unknown);
}

describe("JSONL lines", () => {
  it("gemini: a user turn with the video and prompt, a model turn with the label", () => {
    const parsed = lines(datasetJsonl(clips, "gemini", DEFAULT_TEMPLATES));
    expect(parsed).toHaveLength(2);
    const first = parsed[0] as { contents: Array<{ role: string; parts: Array<Record<string, unknown>> }> };
    expect(Object.keys(first)).toEqual(["contents"]);
    const [user, model] = first.contents;
    expect(user?.role).toBe("user");
    expect(user?.parts[0]).toEqual({ fileData: { mimeType: "video/mp4", fileUri: clips[0]?.uri } });
    expect(String(user?.parts[1]?.text)).toContain("far-left camera");
    expect(model?.role).toBe("model");
    expect(JSON.parse(String(model?.parts[0]?.text))).toEqual({ play_type: "pick_and_roll", quarter: 2, note: 'said "go"\nnow' });
    const second = parsed[1] as { contents: Array<{ parts: Array<{ text?: string }> }> };
    expect(JSON.parse(String(second.contents[1]?.parts[0]?.text))).toEqual({ play_type: null });
  });

  it("seed: exactly the original's two keys", () => {
    const parsed = lines(datasetJsonl(clips, "seed", { prompt: "{play_type} from the {side}", label: "" }));
    expect(parsed[0]).toEqual({ videoGcsUri: clips[0]?.uri, textPrompt: "pick_and_roll from the left" });
    expect(parsed[1]).toEqual({ videoGcsUri: clips[1]?.uri, textPrompt: "unknown from the left" });
  });

  it("no clips gives an empty file", () => {
    expect(datasetJsonl([], "gemini", DEFAULT_TEMPLATES)).toBe("");
  });
});

describe("templates", () => {
  it("fills play columns, metadata and derived fields", () => {
    const text = renderTemplate("{play_id} q{quarter} {camera} {duration}s {angle}", templateFields(play, "NEAR_RIGHT"));
    expect(text).toBe("p1 q2 NEAR_RIGHT 7.5s LEFT");
  });

  it("names fields no play has, so typos fail before cutting", () => {
    expect(unknownTemplateNames({ prompt: "{play_tpye} {quarter}", label: "{annotation_json}" }, [play])).toEqual(["play_tpye"]);
    expect(unknownTemplateNames(DEFAULT_TEMPLATES, [play])).toEqual([]);
  });
});
