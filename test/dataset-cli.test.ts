import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import type { ScoreReport } from "../src/dataset/score.js";
import { processGame } from "../src/pipeline/process-game.js";
import { gameRows } from "./helpers/dataset.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

let ws: Workspace;

beforeAll(async () => {
  ws = await createWorkspace(8);
  await ws.writePlays([...gameRows("g1"), ...gameRows("g2"), { id: "x", game_id: "bad", angle: "UP", start_timestamp: 1, end_timestamp: 2, play_type: "iso", quarter: 1 }]);
  await ws.addCameras("g1");
  await ws.addCameras("g2");
  const pipeline = await ws.pipeline();
  for (const game of ["g1", "g2", "bad"]) await processGame(game, pipeline);
}, 120_000);
afterAll(() => ws?.cleanup());

/** Runs the CLI in-process as a user would, with the workspace's output as --out. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on("data", (c: Buffer) => chunks.out.push(c));
  stderr.on("data", (c: Buffer) => chunks.err.push(c));
  const code = await main([...args, "--out", ws.out], { cwd: ws.root, env: { PATH: process.env.PATH }, stdout, stderr: stderr as unknown as NodeJS.WriteStream });
  return { code, stdout: Buffer.concat(chunks.out).toString(), stderr: Buffer.concat(chunks.err).toString() };
}

describe("playclips dataset (CLI)", () => {
  it("refuses bad input with one clear line and exit code 2, writing nothing", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["dataset", "build", "d", "--all"], /clip URIs are not gs:\/\/.*--allow-local/],
      [["dataset", "build", "d", "--games", "g1,nope", "--allow-local"], /game nope: unknown game/],
      [["dataset", "build", "d", "--games", "g1,bad", "--allow-local"], /game bad: it has no dataset: its last run failed/],
      [["dataset", "build", "--all"], /exactly one dataset NAME, got none/],
      [["dataset", "build", "../x", "--all"], /dataset name "..\/x" is not usable/],
      [["dataset", "build", "d", "--all", "--split-by", "team"], /--split-by must be one of game, play/],
      [["dataset", "build", "d", "--all", "--media-resolution", "ultra"], /--media-resolution "ultra" is not one of: low, medium, high/],
      [["dataset", "build", "d", "--all", "--price-date", "yesterday"], /--price-date must be a date/],
      [["dataset", "predict-requests", "d"], /no dataset "d" in .*build it with/],
      [["dataset", "frobnicate", "d"], /unknown dataset command "frobnicate"/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(...args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    await expect(readFile(join(ws.out, "datasets/d/dataset.json"))).rejects.toThrow(/ENOENT/);
  });

  it("builds, writes prediction requests and scores predictions end to end", async () => {
    const build = await cli("dataset", "build", "d", "--all", "--allow-local");
    expect(build.code).toBe(0);
    expect(build.stderr).toMatch(/left out 1 games without a dataset: bad \(failed\)/);
    expect(build.stdout).toMatch(/8 training \+ 8 validation examples from 2 games/);
    expect(build.stdout).toContain("/tuningJobs");

    const requests = await cli("dataset", "predict-requests", "d");
    expect(requests.code).toBe(0);
    expect(requests.stdout).toContain("batchPredictionJobs");
    const lines = (await readFile(join(ws.out, "datasets/d/prediction_requests.jsonl"), "utf8")).trimEnd().split("\n");
    expect(lines).toHaveLength(8);

    // The model answers every request with its label, except one failed row.
    const doc = JSON.parse(await readFile(join(ws.out, "datasets/d/dataset.json"), "utf8")) as { examples: Array<{ uri: string; label: string }> };
    const rows = lines.map((line, i) => {
      const request = (JSON.parse(line) as { request: { contents: Array<{ parts: Array<{ fileData?: { fileUri: string } }> }> } }).request;
      const uri = request.contents[0]?.parts[0]?.fileData?.fileUri;
      const label = doc.examples.find((e) => e.uri === uri)?.label ?? "";
      return i === 7
        ? JSON.stringify({ status: "Internal error", request })
        : JSON.stringify({ status: "", request, response: { candidates: [{ content: { role: "model", parts: [{ text: label }] } }] } });
    });
    await writeFile(join(ws.root, "predictions.jsonl"), `${rows.join("\n")}\n`);
    const scored = await cli("dataset", "score", "d", "--predictions", "predictions.jsonl");
    expect(scored.code).toBe(0);
    expect(scored.stdout).toMatch(/exact match 87\.5 % of 8 validation examples \(7 scored, 1 failed/);
    const report = JSON.parse(await readFile(join(ws.out, "datasets/d/score/score.json"), "utf8")) as ScoreReport;
    expect(report.fields.play_type).toEqual({ correct: 7, scored: 7, accuracy: 1 });
    expect(await readFile(join(ws.out, "datasets/d/score/score.md"), "utf8")).toMatch(/confusion matrix/);

    const missing = await cli("dataset", "score", "d", "--predictions", "nope.jsonl");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read --predictions nope.jsonl: .*ENOENT/);
  });
});
