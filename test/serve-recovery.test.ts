import { readFile, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GameManifest } from "../src/domain/types.js";
import { cliEntry, demoFolder, run, serveHarness, tsxLoader } from "./helpers/serve.js";

// A game on an instance that goes away: shut down past its grace (cancelled,
// nothing published after), or SIGKILLed (its heartbeat goes stale, batch
// triggers it again elsewhere, and the clips that had landed are reused).

let dir: string;
let gameId: string;
const { serve, post, until, inFlight, killAll } = serveHarness(() => dir);
const gameDir = (out: string): string => join(dir, out, "games", gameId);
const clipFiles = (out: string): Promise<string[]> => readdir(join(gameDir(out), "clips")).catch(() => []);
const statusOf = async (out: string): Promise<{ state: string; attempt: { run_id: string; state: string; reason: string } }> =>
  JSON.parse(await readFile(join(gameDir(out), "status.json"), "utf8")) as { state: string; attempt: { run_id: string; state: string; reason: string } };

beforeAll(async () => {
  ({ dir, gameId } = await demoFolder("playclips-recovery-"));
});
afterAll(async () => {
  killAll();
  await rm(dir, { recursive: true, force: true });
});

describe("serve cancels a game its grace cannot wait for", () => {
  it("publishes nothing of it after the grace runs out: 503, no manifest or JSONL, the game reads pending", async () => {
    const server = await serve("out-grace", ["--grace", "1"]);
    const pending = post(server.url, { game_id: gameId });
    await until(async () => (await inFlight(server.url)) === 1, "the game to start");
    // Let some clips land first, as in the case (SIGTERM 4 s in, grace 3).
    await until(async () => (await clipFiles("out-grace")).length >= 2, "two clips");
    server.proc.kill("SIGTERM");
    const response = await pending;
    const clipsAtCancel = await clipFiles("out-grace");
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "cancelled", detail: expect.stringMatching(/server shut down/) as unknown });
    expect(await server.exited).toBe(1);
    for (const file of ["manifest.json", "training_data.jsonl", "validation_data.jsonl"]) {
      await expect(stat(join(gameDir("out-grace"), file)), file).rejects.toThrow();
    }
    expect(await statusOf("out-grace")).toMatchObject({ state: "pending", attempt: { state: "cancelled" } });
    const cli = await run(process.execPath, ["--import", tsxLoader, cliEntry, "status", "--out", "out-grace", "--games", gameId], { cwd: dir }).catch((e: { code: number }) => e);
    expect("code" in cli ? cli.code : 0).toBe(3);
    expect(await clipFiles("out-grace")).toEqual(clipsAtCancel);
  });
});

describe("a game survives its instance dying", () => {
  it("SIGKILL mid-game: batch --via http re-triggers it on another serve, which completes it without re-cutting a landed clip", async () => {
    const first = await serve("out-kill", ["--stale-after", "5"]);
    void post(first.url, { game_id: gameId }).catch(() => undefined);
    // Some clips landed and are in the progress record.
    const progressFile = async (): Promise<string> => join(gameDir("out-kill"), "runs", (await statusOf("out-kill")).attempt.run_id, "progress.json");
    await until(async () => {
      const record = await progressFile().then((file) => readFile(file, "utf8")).catch(() => "");
      return record !== "" && (JSON.parse(record) as { clips: unknown[] }).clips.length >= 3;
    }, "three clips recorded", 60_000);
    first.proc.kill("SIGKILL");
    await first.exited;
    const landed = (JSON.parse(await readFile(await progressFile(), "utf8")) as { clips: Array<{ key: string }> }).clips.map((c) => c.key);
    const mtimes = new Map(await Promise.all(landed.map(async (key) => [key, (await stat(join(dir, "out-kill", key))).mtimeMs] as const)));

    const second = await serve("out-kill", ["--stale-after", "5"]);
    const batch = await run(
      process.execPath,
      [
        "--import", tsxLoader, cliEntry, "batch", "--via", "http", "--function-url", second.url, "--games", gameId,
        "--out", "out-kill", "--poll-interval", "1", "--stale-after", "5", "--trigger-timeout", "2", "--max-wait", "3", "--json",
      ],
      { cwd: dir },
    );
    const report = JSON.parse(batch.stdout) as { completed_games: string[] };
    expect(report.completed_games).toEqual([gameId]);
    expect(second.log()).toMatch(new RegExp(`game ${gameId}: started`));
    const manifest = JSON.parse(await readFile(join(gameDir("out-kill"), "manifest.json"), "utf8")) as GameManifest;
    expect(manifest.status).toBe("complete");
    for (const key of landed) {
      expect(manifest.clips.find((c) => c.key === key)?.reused, key).toBe(true);
      expect((await stat(join(dir, "out-kill", key))).mtimeMs, key).toBe(mtimes.get(key));
    }
    second.proc.kill("SIGTERM");
  }, 180_000);
});
