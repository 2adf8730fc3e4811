import { describe, expect, it } from "vitest";
import type { DatasetDocument, DatasetExample } from "../src/dataset/model.js";
import { predictionRequests } from "../src/dataset/predict.js";
import { scorePredictions } from "../src/dataset/score.js";
import { renderScoreReport } from "../src/dataset/score-report.js";
import { geminiPredictionRequest } from "../src/domain/gemini.js";

const example = (play: string, camera: DatasetExample["camera"], playType: string, side: DatasetExample["side"] = "validation"): DatasetExample => ({
  game: "g", play, camera, side, key: `games/g/clips/${play}_${camera}.mp4`, uri: `gs://b/games/g/clips/${play}_${camera}.mp4`,
  bytes: 1, duration: 2, sha256: "x", source: { key: `Games/g/${camera}.mp4`, identity: null },
  offsets: camera === "FAR_LEFT" ? { start: 0.52, end: 2.52 } : null, playType, prompt: `classify ${play}`,
  label: JSON.stringify({ play_type: playType, quarter: "1" }), tokens: 100,
});

const doc = {
  name: "d", settings: { mediaResolution: "low" },
  examples: [
    example("p1", "FAR_LEFT", "iso"), example("p1", "NEAR_RIGHT", "iso"),
    example("p2", "FAR_LEFT", "pnr"), example("p2", "NEAR_RIGHT", "pnr"),
    example("p3", "FAR_LEFT", "iso"), example("t1", "FAR_LEFT", "iso", "training"),
  ],
} as unknown as DatasetDocument;

// Rows in the shape Vertex AI batch prediction writes to Cloud Storage: the
// request echoed, status "" and a GenerateContentResponse on success; a
// non-empty status and no response on failure.
const ok = (e: DatasetExample, text: string): string => JSON.stringify({
  status: "", processed_time: "2025-07-01T10:00:00.000+00:00",
  request: JSON.parse(geminiPredictionRequest({ uri: e.uri, prompt: e.prompt, offsets: e.offsets, mediaResolution: "low" })).request,
  response: { candidates: [{ content: { role: "model", parts: [{ text }] }, finishReason: "STOP" }], modelVersion: "tuned@1", usageMetadata: { promptTokenCount: 300 } },
});
const failed = (e: DatasetExample): string => JSON.stringify({
  status: 'Bad Request: {"error": {"code": 400, "message": "Video too long", "status": "INVALID_ARGUMENT"}}',
  processed_time: "2025-07-01T10:00:00.000+00:00", request: JSON.parse(geminiPredictionRequest({ uri: e.uri, prompt: e.prompt })).request,
});

describe("dataset score", () => {
  const [a, b, c, d, e, t] = doc.examples as [DatasetExample, DatasetExample, DatasetExample, DatasetExample, DatasetExample, DatasetExample];

  it("writes one request per validation example with its offsets and media resolution, and no model turn", () => {
    const lines = predictionRequests(doc).trimEnd().split("\n").map((l) => JSON.parse(l));
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({
      request: {
        contents: [{ role: "user", parts: [{ fileData: { mimeType: "video/mp4", fileUri: a.uri }, videoMetadata: { startOffset: "0.52s", endOffset: "2.52s" } }, { text: "classify p1" }] }],
        generationConfig: { mediaResolution: "MEDIA_RESOLUTION_LOW" },
      },
    });
  });

  it("scores fields, play_type and cameras, and counts failed, malformed, unmatched and missing rows", () => {
    const rows = [
      ok(a, '```json\n{"play_type": "iso", "quarter": 1}\n```'), // right, fenced, number for "1"
      ok(b, '{"play_type":"pnr","quarter":"1"}'), // play_type wrong
      ok(c, "It looks like a pick and roll."), // malformed
      failed(d), // error row
      ok(t, '{"play_type":"iso","quarter":"1"}'), // a training example: unmatched
      ok(a, '{"play_type":"pnr"}'), // duplicate
      "not json at all",
    ].join("\n");
    const report = scorePredictions(doc, rows, "preds.jsonl");
    expect(report.counts).toEqual({ validationExamples: 5, rows: 7, scored: 2, failed: 2, unparseable: 1, unmatched: 1, duplicates: 1, missing: 1 });
    expect(report.fields).toEqual({
      play_type: { correct: 1, scored: 2, accuracy: 0.5 },
      quarter: { correct: 2, scored: 2, accuracy: 1 },
    });
    expect(report.exactMatch).toEqual({ correct: 1, scored: 5, accuracy: 0.2 });
    expect(report.playType).toEqual({ labels: ["iso", "pnr"], matrix: { iso: { iso: 1, pnr: 1 } } });
    expect(report.cameras.FAR_LEFT).toEqual({ exactMatch: { correct: 1, scored: 3, accuracy: 0.3333 }, playType: { correct: 1, scored: 1, accuracy: 1 } });
    expect(report.cameras.NEAR_RIGHT?.playType).toEqual({ correct: 0, scored: 1, accuracy: 0 });
    expect(report.problems.map((p) => p.problem)).toEqual([
      expect.stringMatching(/not a JSON object like the label/),
      expect.stringMatching(/^Bad Request: .*Video too long/),
      expect.stringMatching(/names no validation example/),
      expect.stringMatching(/line 7 is not JSON/),
    ]);
    const markdown = renderScoreReport(report);
    expect(markdown).toContain("| iso | 1 | 1 |");
    expect(markdown).toMatch(/Exact match.*20\.0 % \(1\/5\)/);
    expect(e.side).toBe("validation");
  });
});
