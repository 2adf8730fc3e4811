import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BatchResult } from "../src/pipeline/run-batch.js";
import { logText } from "./helpers/cli.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const cliEntry = join(root, "src", "cli", "run-cli.ts");
// The child runs in a temp folder, so tsx is named by path, not resolved from cwd.
const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
let dir: string;

/** Runs the real CLI in a child process, as a user would, and never throws on a non-zero exit. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ["--import", tsxLoader, cliEntry, ...args], {
      cwd: dir,
      env: { ...process.env, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-cli-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("playclips CLI", () => {
  let games: string[] = [];

  it("generates the demo and runs it end to end", async () => {
    const demo = await cli(["demo", "--out", "demo", "--games", "2", "--minutes", "0.5", "--width", "320", "--height", "180"]);
    expect(demo.code).toBe(0);
    games = /games: (\S+)/.exec(demo.stdout)?.[1]?.split(",") ?? [];
    expect(games).toHaveLength(2);

    const result = await cli(["run", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out", "--all", "--json"]);
    expect(logText(result.stderr)).toMatch(/started/); // not a TTY: JSON log lines
    expect(result.code).toBe(0);
    const batch = JSON.parse(result.stdout) as BatchResult;
    expect(batch.completed_games.sort()).toEqual([...games].sort());
    expect(batch.failed_games).toEqual([]);
    for (const game of batch.results) {
      expect(game.status).toBe("complete");
      expect(game.successful_clips).toBe(game.total_plays * 2);
      const lines = (await readFile(join(dir, "out", "games", game.game_id, "training_data.jsonl"), "utf8")).trimEnd().split("\n");
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(JSON.parse(line)).toHaveProperty("contents");
    }
  });

  it("reports status from the store and reruns without cutting again", async () => {
    const status = await cli(["status", "--out", "out", "--games", [...games, "not-run"].join(","), "--json"]);
    expect(status.code).toBe(3);
    const states = (JSON.parse(status.stdout) as Array<{ state: string }>).map((s) => s.state);
    expect(states).toEqual(["complete", "complete", "pending"]);

    const again = await cli(["run", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out", "--games", games.join(","), "--json"]);
    const batch = JSON.parse(again.stdout) as BatchResult;
    for (const game of batch.results) expect(game.reused_clips).toBe(game.successful_clips);
  });

  it("takes a game id in upper case, from the flag or the plays file, as the same game: one folder, one run", async () => {
    const game = games[0] ?? "";
    const upper = game.toUpperCase();
    // The plays file spells every game id in upper case too, as a source may.
    const plays = await readFile(join(dir, "demo", "plays.csv"), "utf8");
    await writeFile(join(dir, "upper.csv"), plays.split(game).join(upper));
    const result = await cli(["run", "--plays", "upper.csv", "--videos", "demo", "--out", "out", "--games", `${upper},${game}`, "--json"]);
    expect(result.code, result.stderr).toBe(0);
    const batch = JSON.parse(result.stdout) as BatchResult;
    expect(batch.completed_games).toEqual([game]);
    expect(batch.results).toHaveLength(1);
    expect(batch.results[0]?.reused_clips).toBe(batch.results[0]?.successful_clips);
    expect(batch.results[0]?.rejected_plays).toBe(0);
    expect(await readdir(join(dir, "out", "games"))).not.toContain(upper);
    const status = await cli(["status", "--out", "out", "--games", upper, "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject([{ game_id: game, state: "complete" }]);
  });

  it("check-games reports plays, cameras and outputs per game", async () => {
    const result = await cli(["check-games", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out", "--all", "--json"]);
    expect(result.code).toBe(0);
    const checks = JSON.parse(result.stdout) as Array<{ game_id: string; plays: number; left: number; right: number; cameras: Record<string, number | null>; output: string }>;
    expect(checks.map((c) => c.game_id).sort()).toEqual([...games].sort());
    for (const check of checks) {
      expect(check.left + check.right).toBe(check.plays);
      expect(Object.values(check.cameras).every((size) => typeof size === "number" && size > 0)).toBe(true);
      expect(check.output).toBe("complete");
    }
    const table = await cli(["check-games", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out", "--games", `${games[0]},nope`]);
    expect(table.code).toBe(1);
    expect(table.stdout).toMatch(/nope\s+0\s+0\s+0\s+0\s+missing\s+missing\s+missing\s+missing\s+none/);
  });

  it("exits non-zero with a table when a game fails as a whole", async () => {
    const result = await cli(["run", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out", "--games", "no-such-game", "--log-format", "text"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/no-such-game\s+failed.*no plays found/);
    // Piped with the default format, the result is one JSON line naming the game and why.
    const piped = await cli(["run", "--plays", "demo/plays.csv", "--videos", "demo", "--out", "out", "--games", "no-such-game"]);
    expect(piped.code).toBe(1);
    expect(JSON.parse(piped.stdout)).toMatchObject({ severity: "WARNING", failed_games: [{ game_id: "no-such-game", reason: expect.stringMatching(/no plays found/) as unknown }] });
  });

  it("takes settings from the config file and env, flags winning", async () => {
    await writeFile(join(dir, "playclips.config.json"), JSON.stringify({ format: "seed", splitRatio: 0.7, out: "from-file" }));
    const shown = await cli(["config", "--json", "--out", "from-flag"], { PLAYCLIPS_SPLIT_RATIO: "0.6" });
    expect(shown.code).toBe(0);
    const settings = (JSON.parse(shown.stdout) as { settings: Record<string, { value: unknown; from: string }> }).settings;
    expect(settings.format).toEqual({ value: "seed", from: "file" });
    expect(settings.splitRatio).toEqual({ value: 0.6, from: "env" });
    expect(settings.out).toEqual({ value: "from-flag", from: "flag" });
    expect(settings.clipTimeout).toEqual({ value: 60, from: "default" });
    await rm(join(dir, "playclips.config.json"));
  });

  it("rejects bad input with a clear message and exit code 2", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["run", "--plays", "demo/plays.csv"], /no games/],
      [["run", "--games", "../x"], /not usable as a path/],
      [["run", "--games", "a", "--format", "csv"], /format "csv" is not one of/],
      [["run", "--games", "a", "--split-ratio", "2"], /between 0 and 1/],
      [["run", "--games", "a", "--concurrency", "0"], /--concurrency must be a whole number/],
      // A huge tolerance would pass every clip's duration check.
      [["run", "--games", "a", "--tolerance", "1e9"], /--tolerance must be a number from 0.01 to 5/],
      [["run", "--gmaes", "a"], /Unknown option '--gmaes'/],
      [["frobnicate"], /unknown command/],
    ];
    for (const [args, message] of cases) {
      const result = await cli(args);
      expect(result.code, args.join(" ")).toBe(2);
      expect(logText(result.stderr)).toMatch(message);
    }
  });

  it("says how to install ffmpeg when it cannot be found", async () => {
    const result = await cli(["demo", "--out", "x"], { PATH: "/nonexistent", FFMPEG_PATH: "", FFPROBE_PATH: "" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/apt-get install -y ffmpeg/);
  });
});
