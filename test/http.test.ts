import { rm } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlaySourceError } from "../src/domain/errors.js";
import type { GameResult } from "../src/domain/types.js";
import { createGameHandler } from "../src/interfaces/http/handler.js";
import { startHttpServer } from "../src/interfaces/http/node-server.js";
import { demoFolder, serveHarness, type Child } from "./helpers/serve.js";
import { logText } from "./helpers/cli.js";

const root = join(import.meta.dirname, "..");
let dir: string;
let gameId: string;
const { spawnChild, serve, post, exists, until, inFlight, killAll } = serveHarness(() => dir);
const datasetFile = (out: string): string => join(dir, out, "games", gameId, "validation_data.jsonl");

beforeAll(async () => {
  ({ dir, gameId } = await demoFolder("playclips-http-"));
});
afterAll(async () => {
  killAll();
  await rm(dir, { recursive: true, force: true });
});

describe("playclips serve", () => {
  let server: Child;
  beforeAll(async () => {
    server = await serve("out", ["--force"]);
  });
  afterAll(() => server.proc.kill("SIGTERM"));

  it("runs a game on POST / and answers its result", async () => {
    const response = await post(server.url, { game_id: gameId });
    expect(response.status).toBe(200);
    const result = (await response.json()) as GameResult;
    expect(result).toMatchObject({ game_id: gameId, status: "complete", failed_clips: 0 });
    expect(result.successful_clips).toBe(result.total_plays * 2);
    expect(result.jsonl_files).not.toBeNull();
    for (const name of ["training_data.jsonl", "validation_data.jsonl"]) expect(await exists(join(dir, "out", "games", gameId, name))).toBe(true);
    const health = await fetch(`${server.url}/healthz`);
    expect([health.status, await health.json()]).toMatchObject([200, { ok: true, inFlight: 0 }]);
  });

  it("answers each bad request with the right 4xx and a JSON error", async () => {
    const cases: Array<[Promise<Response>, number, string]> = [
      [post(server.url, "{not json"), 400, "invalid_json"],
      [post(server.url, "[1]"), 400, "invalid_json"],
      [post(server.url, { gameId }), 400, "missing_game_id"],
      [post(server.url, { game_id: "../etc" }), 400, "invalid_game_id"],
      [post(server.url, { game_id: 42 }), 400, "invalid_game_id"],
      [post(server.url, { game_id: gameId, pad: "x".repeat(20_000) }), 413, "body_too_large"],
      [post(server.url, "game_id=x", { headers: { "content-type": "text/plain" } }), 415, "unsupported_media_type"],
      [fetch(server.url), 405, "method_not_allowed"],
      [post(`${server.url}/x`, { game_id: gameId }), 404, "not_found"],
    ];
    for (const [pending, status, error] of cases) {
      const response = await pending;
      expect(response.status, error).toBe(status);
      expect(await response.json()).toEqual({ error, detail: expect.stringMatching(/\w{4}/) as unknown });
    }
    expect((await fetch(server.url)).headers.get("allow")).toBe("POST");
  });

  it("keeps running a game after its client hangs up", async () => {
    await rm(join(dir, "out", "games", gameId), { recursive: true, force: true });
    await expect(post(server.url, { game_id: gameId }, { signal: AbortSignal.timeout(1000) })).rejects.toThrow();
    expect(await inFlight(server.url)).toBe(1);
    expect(await exists(datasetFile("out"))).toBe(false);
    await until(() => exists(datasetFile("out")), "validation_data.jsonl");
    await until(async () => (await inFlight(server.url)) === 0, "the game to end");
    expect(logText(server.log())).toMatch(new RegExp(`POST / 200 \\d+ms game ${gameId}\\n`));
  });

  it("joins a second trigger to the game already running", async () => {
    const starts = (): number => server.log().split(`game ${gameId}: started`).length - 1;
    const before = starts();
    const first = post(server.url, { game_id: gameId });
    await until(async () => (await inFlight(server.url)) === 1, "the first run");
    const second = await post(server.url, { game_id: gameId });
    const firstResult = (await (await first).json()) as GameResult;
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(firstResult);
    expect(firstResult.reused_clips).toBe(0);
    expect(starts()).toBe(before + 1);
    expect(server.log()).toMatch(/joined the running game/);
  });

  it("takes a game_id in upper case as the same game: joins its run, answers in lower case", async () => {
    const starts = (): number => server.log().split(`game ${gameId}: started`).length - 1;
    const before = starts();
    const first = post(server.url, { game_id: gameId });
    await until(async () => (await inFlight(server.url)) === 1, "the first run");
    const second = await post(server.url, { game_id: gameId.toUpperCase() });
    const firstResult = (await (await first).json()) as GameResult;
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual(firstResult);
    expect(firstResult.game_id).toBe(gameId);
    expect(starts()).toBe(before + 1);
    expect(await exists(join(dir, "out", "games", gameId.toUpperCase()))).toBe(false);
  });
});

describe("playclips serve with PLAYCLIPS_TOKEN", () => {
  it("needs the bearer token", async () => {
    const server = await serve("out-token", [], { PLAYCLIPS_TOKEN: "s3cret-token" });
    const body = { game_id: "not-a-uuid" };
    for (const headers of [{}, { authorization: "Bearer nope" }] as Array<Record<string, string>>) {
      const refused = await post(server.url, body, { headers });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ error: "unauthorized" });
    }
    const right = await post(server.url, body, { headers: { authorization: "Bearer s3cret-token" } });
    expect(right.status).toBe(400); // past the token check, stopped by the game id
    expect(server.log()).not.toContain("s3cret-token");
    server.proc.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });
});

describe("playclips serve shutdown", () => {
  it("finishes the running game on SIGTERM, then exits 0", async () => {
    const server = await serve("out-term", ["--grace", "60"]);
    const pending = post(server.url, { game_id: gameId });
    await until(async () => (await inFlight(server.url)) === 1, "the game to start");
    server.proc.kill("SIGTERM");
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ game_id: gameId, status: "complete" });
    expect(await server.exited).toBe(0);
    expect(await exists(datasetFile("out-term"))).toBe(true);
    expect(server.log()).toMatch(/SIGTERM: refusing new games, waiting up to 60s for 1 running/);
  });
});

const ID_A = "00000000-0000-4000-8000-00000000000a";
const ID_BROKEN = "00000000-0000-4000-8000-00000000000b";

describe("the handler core on node:http with a stub game", () => {
  it("runs a game once per id, answers failed games 200 and source errors 502, and refuses after stopAccepting", async () => {
    let calls = 0;
    let release = (): void => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const counts = { total_plays: 0, rejected_plays: 0, successful_clips: 0, failed_clips: 0, reused_clips: 0, elapsed_ms: 1 };
    const result = (id: string): GameResult => ({ game_id: id, status: "failed", reason: "no plays", ...counts, jsonl_files: null, manifest: "m" });
    const handler = createGameHandler({
      runGame: async (id) => {
        calls++;
        if (id === ID_BROKEN) throw new PlaySourceError("postgres", "connect failed for user:hunter2@db");
        await gate;
        return result(id);
      },
      scrub: (message) => message.split("hunter2").join("[redacted]"),
    });
    const server = await startHttpServer(handler, { port: 0, host: "127.0.0.1" });
    const url = `http://127.0.0.1:${server.port}`;
    const both = [post(url, { game_id: ID_A }), post(url, { game_id: ID_A })];
    await until(async () => (await inFlight(url)) === 1, "the stub game");
    release();
    for (const response of await Promise.all(both)) {
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(result(ID_A));
    }
    expect(calls).toBe(1);

    const broken = await post(url, { game_id: ID_BROKEN });
    expect(broken.status).toBe(502);
    expect(await broken.json()).toEqual({ error: "play_source_unavailable", detail: "[postgres] connect failed for user:[redacted]@db" });

    handler.stopAccepting();
    const refused = await post(url, { game_id: ID_A });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: "shutting_down" });
    await server.close(1000);
  });
});

/** A port nobody listens on, for the framework, which has no "pick any port" option. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("the Functions Framework target", () => {
  it("serves extractClipsGame through the real functions-framework binary", async () => {
    const port = await freePort();
    const framework = join(root, "node_modules", "@google-cloud", "functions-framework", "build", "src", "main.js");
    const source = join(root, "src", "interfaces", "http", "functions-framework.ts");
    // tsx is loaded into the framework's own process, so it imports the TypeScript source as it would the built file.
    const child = await spawnChild(
      [framework, "--target=extractClipsGame", `--source=${source}`, `--port=${port}`],
      { PLAYCLIPS_PLAYS: "demo/plays.csv", PLAYCLIPS_VIDEOS: "demo", PLAYCLIPS_OUT: "out-ff", PLAYCLIPS_TOKEN: "" },
      /Serving function/,
    );
    const url = `http://127.0.0.1:${port}`;
    const bad = await post(url, { game_id: "nope" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "invalid_game_id" });
    const good = await post(url, { game_id: gameId });
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ game_id: gameId, status: "complete", failed_clips: 0 });
    expect(await exists(datasetFile("out-ff"))).toBe(true);
    child.proc.kill("SIGTERM");
    await child.exited;
  });
});
