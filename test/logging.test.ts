import { appendFile, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CAMERAS, type GameResult } from "../src/domain/types.js";
import { createLogSink } from "../src/interfaces/logging/log-sink.js";
import { runCli } from "./helpers/cli.js";
import { demoFolder, serveHarness } from "./helpers/serve.js";

// Off a terminal every line is one Cloud Logging structured entry, and the
// original's three dashboard queries, as docs/logging.md writes them for our
// lines, find what they name in a real game: its time, its clips' progress,
// and (severity>=ERROR) its failed clips and nothing else.

type Line = Record<string, unknown> & { severity: string; message: string; time: string };

let dir: string;
let gameId: string;
const TOKEN = "tok-9f8e7d-secret";
const { serve, post, killAll } = serveHarness(() => dir);

beforeAll(async () => {
  ({ dir, gameId } = await demoFolder("playclips-logs-"));
  // A play past the end of the 2-minute videos: its two clips fail, the game is partial.
  const plays = join(dir, "demo", "plays.csv");
  const [header = "", first = ""] = (await readFile(plays, "utf8")).split("\n");
  const cells = first.split(",");
  const row = header.split(",").map((name, i) => ({ id: "beyond-the-end", angle: "LEFT", start_timestamp: "200", end_timestamp: "204" })[name] ?? cells[i] ?? "");
  await appendFile(plays, `${row.join(",")}\n`);
});
afterAll(async () => {
  killAll();
  await rm(dir, { recursive: true, force: true });
});

/** Every line of the output, each of which must be one JSON object with Cloud Logging's fields. */
function parseLines(output: string): Line[] {
  return output.split("\n").filter((line) => line !== "").map((line) => {
    const parsed = JSON.parse(line) as Line;
    expect(parsed, line).toMatchObject({ severity: expect.stringMatching(/^(DEBUG|INFO|WARNING|ERROR|CRITICAL)$/), message: expect.any(String) });
    expect(new Date(parsed.time).toISOString(), line).toBe(parsed.time);
    return parsed;
  });
}

const SEVERITY_RANK: Record<string, number> = { DEFAULT: 0, DEBUG: 100, INFO: 200, NOTICE: 300, WARNING: 400, ERROR: 500, CRITICAL: 600 };

/**
 * A Cloud Logging filter of one comparison per line (implicit AND), as
 * docs/logging.md gives them: resource.* is set by Cloud Run, not by us, so
 * it matches; severity compares by rank; jsonPayload.x is our field x.
 */
function matches(filter: string, line: Line): boolean {
  return filter.split("\n").map((term) => term.trim()).filter((term) => term !== "").every((term) => {
    const m = /^([\w.]+)\s*(>=|=)\s*"?([^"]*)"?$/.exec(term);
    if (!m) throw new Error(`unsupported filter term: ${term}`);
    const [, field = "", op, value = ""] = m;
    if (field.startsWith("resource.")) return true;
    if (field === "severity") return op === ">=" ? (SEVERITY_RANK[line.severity] ?? 0) >= (SEVERITY_RANK[value] ?? 0) : line.severity === value;
    if (!field.startsWith("jsonPayload.") || op !== "=") throw new Error(`unsupported filter term: ${term}`);
    return String(line[field.slice("jsonPayload.".length)]) === value;
  });
}

/** The three filters of docs/logging.md, in order: execution time, clip progress, errors. */
async function dashboardFilters(): Promise<{ time: string; progress: string; errors: string }> {
  const doc = await readFile(join(import.meta.dirname, "..", "docs", "logging.md"), "utf8");
  const blocks = [...doc.matchAll(/```filter\n([\s\S]*?)```/g)].map((m) => (m[1] ?? "").replaceAll("GAME_ID", gameId));
  expect(blocks).toHaveLength(3);
  const [time = "", progress = "", errors = ""] = blocks;
  return { time, progress, errors };
}

function checkDashboards(lines: Line[], filters: { time: string; progress: string; errors: string }, result: GameResult): void {
  const timed = lines.filter((line) => matches(filters.time, line));
  expect(timed).toHaveLength(1);
  expect(timed[0]).toMatchObject({ game_id: gameId, status: "partial", elapsed_ms: result.elapsed_ms, run_id: expect.any(String) });

  const progress = lines.filter((line) => matches(filters.progress, line));
  const planned = (result.total_plays - result.rejected_plays) * 2;
  expect(progress).toHaveLength(planned);
  const runIds = new Set(progress.map((line) => line.run_id));
  expect(runIds.size).toBe(1);
  expect(runIds.has(timed[0]?.run_id)).toBe(true);
  for (const line of progress) {
    expect(CAMERAS).toContain(line.camera);
    expect(line.clip).toBe(`games/${gameId}/clips/${String(line.play_id)}_${String(line.camera)}.mp4`);
    expect(line.clips_planned).toBe(planned);
  }
  expect(progress.map((line) => line.clips_done).sort((a, b) => Number(a) - Number(b))).toEqual(Array.from({ length: planned }, (_, i) => i + 1));

  const errors = lines.filter((line) => matches(filters.errors, line));
  expect(errors.map((line) => [line.event, line.play_id, line.camera]).sort()).toEqual([
    ["clip-done", "beyond-the-end", "FAR_LEFT"],
    ["clip-done", "beyond-the-end", "NEAR_RIGHT"],
  ]);
  for (const line of errors) expect(line.reason).toMatch(/beyond the end of/);
}

describe("log lines off a terminal", () => {
  it("serve, as on Cloud Run: every line is JSON, and the three dashboard filters find the game's time, clip progress and failed clips", async () => {
    const filters = await dashboardFilters();
    const server = await serve("out-serve", [], { PLAYCLIPS_TOKEN: TOKEN });
    const response = await post(server.url, { game_id: gameId }, { headers: { authorization: `Bearer ${TOKEN}` } });
    const result = (await response.json()) as GameResult;
    expect(result).toMatchObject({ status: "partial", failed_clips: 2 });
    // A refused request is a WARNING: a caller to correct, not a failure of ours.
    expect((await post(server.url, { game_id: gameId }, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    server.proc.kill("SIGTERM");
    expect(await server.exited).toBe(0);

    const lines = parseLines(server.log());
    expect(server.log()).not.toContain(TOKEN);
    checkDashboards(lines, filters, result);
    expect(lines.find((line) => line.event === "request" && line.status === 401)).toMatchObject({ severity: "WARNING" });
    expect(lines.find((line) => line.event === "game-done")).toMatchObject({ severity: "WARNING", failed_clips: 2 });
    expect(lines.at(-1)).toMatchObject({ severity: "INFO", message: "stopped" });
  });

  it("run, piped: stderr and stdout are JSON lines, the result one of them", async () => {
    const filters = await dashboardFilters();
    const out = await runCli(["run", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out-run", "--games", gameId], { cwd: dir });
    expect(out.code, out.stderr).toBe(0);
    const results = parseLines(out.stdout);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ event: "result", severity: "INFO", completed_games: [gameId], message: expect.stringMatching(/^1 games with a dataset, 0 failed/) });
    const result = (results[0]?.results as GameResult[])[0];
    if (!result) throw new Error("no result");
    checkDashboards(parseLines(out.stderr), filters, result);
  });

  it("a command that fails says so in one ERROR line", async () => {
    const out = await runCli(["run", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out-run"], { cwd: dir });
    expect(out.code).toBe(2);
    expect(parseLines(out.stderr)).toEqual([expect.objectContaining({ severity: "ERROR", message: expect.stringMatching(/^playclips run: .*no games/) as unknown })]);
  });

  it("--log-format text keeps the plain lines", async () => {
    const out = await runCli(["run", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out-run", "--games", gameId, "--log-format", "text"], { cwd: dir });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z game ${gameId}: started$`, "m"));
    expect(out.stderr).toMatch(/ game \S+: clip \S+ failed: .*beyond the end of/);
    expect(out.stdout).toMatch(new RegExp(`${gameId}\\s+partial`));
  });
});

describe("the JSON sink", () => {
  it("scrubs secrets from the message and from every field, nested ones too", () => {
    const stream = new PassThrough();
    let text = "";
    stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
    const log = createLogSink("json", stream, (t) => t.split("hunter2").join("[redacted]"));
    log.child({ worker_id: "w hunter2" }).error("connect to postgres://u:hunter2@db failed", { reason: "hunter2", nested: { list: ["x hunter2"] } });
    expect(text).not.toContain("hunter2");
    expect(JSON.parse(text)).toMatchObject({ severity: "ERROR", worker_id: "w [redacted]", reason: "[redacted]", nested: { list: ["x [redacted]"] } });
  });
});
