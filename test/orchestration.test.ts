import { execFile, spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchReport } from "../src/cli/commands/batch.js";
import { waitForGames } from "../src/orchestration/wait.js";
import { processGame } from "../src/pipeline/process-game.js";
import { wrapStore } from "../src/stores/object-store.js";
import { logText, until } from "./helpers/cli.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres.js";

const row = (id: string, game: string, angle: string, start: number, end: number) => ({ id, game_id: game, angle, start_timestamp: start, end_timestamp: end, play_type: "iso", quarter: 1 });

describe("waitForGames on a local store", () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await createWorkspace(12);
    await ws.writePlays([row("p1", "g-ok", "LEFT", 1, 3), row("p2", "g-ok", "RIGHT", 4, 6)]);
    await ws.addCameras("g-ok");
  }, 60_000);
  afterAll(() => ws.cleanup());

  it("reports complete and failed games, and times out on pending ones", async () => {
    const pipeline = await ws.pipeline();
    await processGame("g-ok", pipeline);
    await processGame("g-none", pipeline); // no plays: a manifest that says failed
    const started = Date.now();
    const result = await waitForGames(pipeline.backends.output, ["g-ok", "g-none", "g-never", "g-ok"], { maxWaitMs: 500, pollIntervalMs: 100 });
    expect(result.completed_games).toEqual(["g-ok"]);
    expect(result.failed_games).toEqual([{ game_id: "g-none", reason: expect.stringMatching(/no plays found/) as unknown as string }]);
    expect(result.pending_games).toEqual(["g-never"]);
    expect(result.timed_out).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);

    // Without a pending game, a failed one ends the wait at once instead of at the limit.
    const prompt = await waitForGames(pipeline.backends.output, ["g-ok", "g-none"], { maxWaitMs: 60_000, pollIntervalMs: 10_000 });
    expect(prompt.timed_out).toBe(false);
    expect(prompt.total_time).toBeLessThan(1);
  });

  it("does not count a result of an earlier run as this batch's", async () => {
    const pipeline = await ws.pipeline();
    await processGame("g-ok", pipeline);
    const since = new Date(Date.now() + 5);
    await new Promise((r) => setTimeout(r, 10));
    const stale = await waitForGames(pipeline.backends.output, ["g-ok"], { maxWaitMs: 300, pollIntervalMs: 100, since });
    expect(stale.pending_games).toEqual(["g-ok"]);
    // The rerun writes a fresh manifest: now it counts.
    const waiting = waitForGames(pipeline.backends.output, ["g-ok", "g-none"], { maxWaitMs: 20_000, pollIntervalMs: 100, since });
    await processGame("g-ok", pipeline);
    await processGame("g-none", pipeline);
    const fresh = await waiting;
    expect(fresh.completed_games).toEqual(["g-ok"]);
    expect(fresh.failed_games.map((f) => f.game_id)).toEqual(["g-none"]);
    expect(fresh.timed_out).toBe(false);
  });

  it("keeps waiting when the store fails a look, and stops on abort", async () => {
    const pipeline = await ws.pipeline();
    let calls = 0;
    const out = pipeline.backends.output;
    const flaky = wrapStore(out, {
      read: (key, range) => (++calls === 1 ? Promise.reject(new Error("503")) : out.read(key, range)),
    });
    const result = await waitForGames(flaky, ["g-ok"], { maxWaitMs: 5_000, pollIntervalMs: 50 });
    expect(result.completed_games).toEqual(["g-ok"]);
    expect(calls).toBeGreaterThan(1);
    const aborted = await waitForGames(pipeline.backends.output, ["g-never"], { maxWaitMs: 60_000, pollIntervalMs: 60_000, signal: AbortSignal.timeout(100) });
    expect(aborted).toMatchObject({ pending_games: ["g-never"], timed_out: false });
  });
});

const root = join(import.meta.dirname, "..");
const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
let dir: string;
let db: TestPostgres;
const entry = join(root, "src", "cli", "run-cli.ts");

interface Child { proc: ChildProcess; log: () => string; exited: Promise<number | null> }

const children: ChildProcess[] = [];

function start(args: string[]): Child {
  const proc = spawn(process.execPath, ["--import", tsxLoader, entry, ...args], { cwd: dir, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  let log = "";
  proc.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, log: () => log, exited };
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ["--import", tsxLoader, entry, ...args], { cwd: dir, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

async function stop(child: Child): Promise<number | null> {
  child.proc.kill("SIGTERM");
  return child.exited;
}

const clipFiles = async (game: string): Promise<string[]> =>
  (await readdir(join(dir, "out", "games", game, "clips")).catch(() => [] as string[])).filter((f) => f.endsWith(".mp4"));

describe("batch with real workers (queue) and a real server (http)", () => {
  let games: string[] = [];
  const partialGame = randomUUID();
  const noPlays = randomUUID();
  const slowGame = randomUUID();
  const common = () => ["--plays", "plays.csv", "--videos", "demo", "--out", "out", "--queue-url", db.connectionString];

  beforeAll(async () => {
    db = await startTestPostgres();
    // pg-boss needs a real server (advisory locks, partitioned tables); PGlite's socket serves one client at a time.
    if (db.kind !== "server") throw new Error("queue tests need a real Postgres at 127.0.0.1:5432 (pg-boss does not run on PGlite)");
    dir = await mkdtemp(join(tmpdir(), "playclips-queue-"));
    const demo = await cli(["demo", "--out", "demo", "--games", "2", "--minutes", "0.5", "--width", "320", "--height", "180"]);
    expect(demo.code, demo.stderr).toBe(0);
    games = /games: (\S+)/.exec(demo.stdout)?.[1]?.split(",") ?? [];
    // A game missing its FAR_LEFT camera, and a slow one for the SIGKILL test, share the demo's video.
    const source = (camera: string) => join(dir, "demo", "Games", games[0] ?? "", `${camera}.mp4`);
    for (const [game, cameras] of [[partialGame, ["FAR_RIGHT", "NEAR_LEFT", "NEAR_RIGHT"]], [slowGame, ["FAR_LEFT", "FAR_RIGHT", "NEAR_LEFT", "NEAR_RIGHT"]]] as const) {
      await mkdir(join(dir, "demo", "Games", game), { recursive: true });
      for (const camera of cameras) await copyFile(source(camera), join(dir, "demo", "Games", game, `${camera}.mp4`));
    }
    const extra = [`${randomUUID()},${partialGame},LEFT,1,4,iso,1,HOME,3`, `${randomUUID()},${partialGame},RIGHT,5,8,iso,1,HOME,3`];
    for (let i = 0; i < 6; i += 1) extra.push(`${randomUUID()},${slowGame},${i % 2 ? "RIGHT" : "LEFT"},${1 + 4 * i},${4 + 4 * i},iso,1,HOME,3`);
    await writeFile(join(dir, "plays.csv"), `${(await readFile(join(dir, "demo", "plays.csv"), "utf8")).trimEnd()}\n${extra.join("\n")}\n`);
    // Every cut waits a little, so a game is reliably caught mid-way.
    await writeFile(join(dir, "slow-ffmpeg.sh"), `#!/bin/sh\nsleep 0.5\nexec ${process.env.FFMPEG_PATH || "ffmpeg"} "$@"\n`);
    await chmod(join(dir, "slow-ffmpeg.sh"), 0o755);
  }, 60_000);
  afterAll(async () => {
    // A failed test must not leave a worker taking the next test's jobs, or running on.
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await db?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("two workers run every game once; failed and partial games end promptly", async () => {
    const workers = [0, 1].map(() => start(["worker", ...common(), "--concurrency", "1", "--maintenance-interval", "1"]));
    let batch: Awaited<ReturnType<typeof cli>>;
    let codes: Array<number | null>;
    try {
      await until("workers to start", () => (workers.every((w) => /waiting for games/.test(w.log())) ? true : undefined), () => workers.map((w) => w.log()).join("\n"));
      batch = await cli(["batch", "--via", "queue", ...common(), "--games", [...games, partialGame, noPlays, games[0]].join(","), "--poll-interval", "0.3", "--max-wait", "1", "--json"]);
    } finally {
      // Stopped even when the test fails, so they cannot take the next test's jobs.
      codes = await Promise.all(workers.map(stop));
    }
    const logs = workers.map((w) => w.log());
    expect(batch.code, `${batch.stderr}\n${logs.join("\n")}`).toBe(1);
    const report = JSON.parse(batch.stdout) as BatchReport;
    expect(report.completed_games.sort()).toEqual([...games, partialGame].sort());
    expect(report.failed_games).toEqual([{ game_id: noPlays, reason: expect.stringMatching(/no plays found/) as unknown as string }]);
    expect(report).toMatchObject({ pending_games: [], timed_out: false, via: "queue" });
    expect(report.total_time).toBeLessThan(30);
    expect(batch.stderr).toMatch(/duplicate game id/);
    // Each game ran exactly once, and both workers took part.
    for (const game of [...games, partialGame, noPlays]) expect(logs.join("").split(`game ${game}: started`).length - 1).toBe(1);
    for (const log of logs) expect(log).toMatch(/: started \(job/);
    const manifest = JSON.parse(await readFile(join(dir, "out", "games", partialGame, "manifest.json"), "utf8")) as { status: string };
    expect(manifest.status).toBe("partial");
    expect(codes).toEqual([0, 0]);
    for (const log of logs) expect(log).toMatch(/stopped/);
    // Progress from any machine: the store's state plus each game's job.
    const status = await cli(["status", ...common(), "--games", [games[0], noPlays].join(","), "--json"]);
    const states = JSON.parse(status.stdout) as Array<{ state: string; job: { state: string } | null }>;
    expect(states.map((s) => [s.state, s.job?.state])).toEqual([["complete", "completed"], ["failed", "completed"]]);
  }, 60_000);

  it("a game whose worker is SIGKILLed mid-way is retried elsewhere and completes exactly once", async () => {
    const slow = start(["worker", ...common(), "--ffmpeg", "./slow-ffmpeg.sh", "--clip-concurrency", "1", "--maintenance-interval", "1"]);
    await until("the slow worker", () => (/waiting for games/.test(slow.log()) ? true : undefined), slow.log);
    const batch = cli(["batch", "--via", "queue", ...common(), "--games", slowGame, "--job-expire", "20", "--retry-delay", "1", "--poll-interval", "0.3", "--max-wait", "1.5", "--json"]);
    const cutBeforeKill = await until("clips mid-game", async () => ((await clipFiles(slowGame)).length >= 2 ? (await clipFiles(slowGame)).length : undefined), slow.log);
    slow.proc.kill("SIGKILL");
    await slow.exited;
    const killedAt = Date.now();
    expect(cutBeforeKill).toBeLessThan(12);
    await expect(readFile(join(dir, "out", "games", slowGame, "manifest.json"))).rejects.toThrow(/ENOENT/);

    const rescuer = start(["worker", ...common(), "--maintenance-interval", "1"]);
    const result = await batch;
    const rescueSeconds = (Date.now() - killedAt) / 1000;
    expect(await stop(rescuer)).toBe(0);
    expect(result.code, `${result.stderr}\n${rescuer.log()}`).toBe(0);
    expect((JSON.parse(result.stdout) as BatchReport).completed_games).toEqual([slowGame]);
    expect(rescuer.log()).toMatch(new RegExp(`game ${slowGame}: started \\(job \\S+, attempt 2\\)`));
    console.log(`SIGKILL after ${cutBeforeKill} of 12 clips; game complete ${rescueSeconds.toFixed(1)}s later`);

    const manifest = JSON.parse(await readFile(join(dir, "out", "games", slowGame, "manifest.json"), "utf8")) as {
      status: string;
      clips: Array<{ key: string; status: string }>;
      counts: { clipsOk: number };
    };
    expect(manifest.status).toBe("complete");
    expect(manifest.clips).toHaveLength(12);
    expect(new Set(manifest.clips.map((c) => c.key)).size).toBe(12);
    expect(manifest.clips.every((c) => c.status === "ok")).toBe(true);
    expect((await clipFiles(slowGame)).sort()).toEqual(manifest.clips.map((c) => c.key.split("/").pop()).sort());
    const jsonl = (await Promise.all(["training_data.jsonl", "validation_data.jsonl"].map((f) => readFile(join(dir, "out", "games", slowGame, f), "utf8"))))
      .join("").trimEnd().split("\n");
    const uris = jsonl.map((l) => /"fileUri":"([^"]+)"/.exec(l)?.[1]);
    expect(jsonl).toHaveLength(manifest.counts.clipsOk);
    expect(new Set(uris).size).toBe(uris.length);

    // One job, completed after one retry: nothing ran twice at the end. (With a 10 s expiry, a rescuer slowed
    // by a loaded machine outlived its own attempt and the job ran a third time: retry_count 2.)
    const client = new pg.Client({ connectionString: db.connectionString });
    await client.connect();
    const jobs = await client.query("SELECT state, retry_count FROM pgboss.job WHERE singleton_key = $1", [slowGame]);
    await client.end();
    expect(jobs.rows).toEqual([{ state: "completed", retry_count: 1 }]);
  }, 90_000);

  it("batch --via http triggers every game fire-and-forget and waits on the store", async () => {
    const server = start(["serve", "--port", "0", "--host", "127.0.0.1", "--plays", "plays.csv", "--videos", "demo", "--out", "out-http"]);
    try {
      const url = await until("the server", () => /listening on (http:\/\/\S+)/.exec(logText(server.log()))?.[1], server.log);
      const games = [...new Set([...(await readFile(join(dir, "demo", "plays.csv"), "utf8")).matchAll(/^[^,]+,([0-9a-f-]{36}),/gm)].map((m) => m[1] ?? ""))];
      const missing = randomUUID();
      // Triggers time out long before a game is done: the games go on and the store says when.
      const batch = await cli(["batch", "--via", "http", "--function-url", `${url}/`, "--out", "out-http", "--games", [...games, missing].join(","), "--trigger-timeout", "0.2", "--poll-interval", "0.3", "--max-wait", "1", "--json"]);
      expect(batch.code, `${batch.stderr}\n${server.log()}`).toBe(1);
      const report = JSON.parse(batch.stdout) as BatchReport;
      expect(report.completed_games.sort()).toEqual(games.filter((g) => g !== missing).sort());
      expect(report.failed_games.map((f) => f.game_id)).toEqual([missing]);
      expect(logText(batch.stderr)).toMatch(/no answer within 0.2s/);
    } finally {
      expect(await stop(server)).toBe(0);
    }
  }, 60_000);

  it("batch --via local runs in-process with the same report, and rejects bad input", async () => {
    const local = await cli(["batch", "--via", "local", "--plays", "plays.csv", "--videos", "demo", "--out", "out-local", "--games", `${games.join(",")},${partialGame}`]);
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toMatch(/3 complete, 0 failed, 0 pending, in [\d.]+s \(via local\)/);
    const cases: Array<[string[], RegExp]> = [
      [["--games", "a,b"], /not game UUIDs: "a", "b"/],
      [["--games", " , "], /no games/],
      [["--games", randomUUID(), "--via", "carrier"], /--via must be local, http or queue/],
      [["--games", randomUUID(), "--via", "http"], /needs --function-url/],
      [["--games", randomUUID(), "--via", "queue", "--database-url", ""], /needs --queue-url/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(["batch", ...args]);
      expect(result.code, args.join(" ")).toBe(2);
      expect(logText(result.stderr)).toMatch(message);
    }
  }, 60_000);
});
