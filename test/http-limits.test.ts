import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { PlaySourceError } from "../src/domain/errors.js";
import type { GameResult } from "../src/domain/types.js";
import { createGameHandler } from "../src/interfaces/http/handler.js";
import { redactPaths } from "../src/interfaces/http/redact-paths.js";
import { startHttpServer, type RunningServer } from "../src/interfaces/http/node-server.js";
import { startCli, until, type CliChild } from "./helpers/cli.js";

const GAME = "0b9e3a57-1111-4222-8333-444455556666";
const BROKEN = "0b9e3a57-1111-4222-8333-000000000000";
const result: GameResult = { game_id: GAME, status: "complete", reason: null, total_plays: 1, rejected_plays: 0, successful_clips: 2, failed_clips: 0, reused_clips: 0, jsonl_files: null, manifest: "m", elapsed_ms: 1 };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const LIMITS = { headersTimeoutMs: 600, requestTimeoutMs: 1200, keepAliveTimeoutMs: 500, maxConnections: 4, maxHeaderBytes: 2048, checkIntervalMs: 100 };

let server: RunningServer | undefined;
let games = 0;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close(100);
  server = undefined;
});

/** A game that takes gameMs: longer than every request limit, to show a running game is not cut off. */
async function start(gameMs = 0): Promise<number> {
  const handler = createGameHandler({
    runGame: async (id) => {
      games++;
      if (id === BROKEN) throw new PlaySourceError("file:/srv/secret-layout/plays.csv", 'plays file "/srv/secret-layout/plays.csv" cannot be read');
      await sleep(gameMs);
      return result;
    },
  });
  server = await startHttpServer(handler, { port: 0, host: "127.0.0.1", limits: LIMITS });
  return server.port;
}

interface RawClient { socket: Socket; received(): string; closed: Promise<number> }

/** A client on a bare socket, so it can be as slow or as large as a test needs. */
async function rawClient(port: number, first = ""): Promise<RawClient> {
  const socket = connect(port, "127.0.0.1");
  sockets.push(socket);
  let data = "";
  const opened = Date.now();
  socket.on("data", (d: Buffer) => (data += d.toString()));
  socket.on("error", () => {});
  const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(Date.now() - opened)));
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  if (first !== "") socket.write(first);
  return { socket, received: () => data, closed };
}

const status = (raw: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
const body = (game: string): string => JSON.stringify({ game_id: game });
const request = (game: string, extra = ""): string =>
  `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body(game).length}\r\n${extra}\r\n${body(game)}`;

describe("HTTP server limits, against real slow and oversized clients", () => {
  it("answers 408 to a client that never finishes its headers", async () => {
    const client = await rawClient(await start(), "POST / HTTP/1.1\r\nHost: x\r\n");
    const took = await client.closed;
    expect(status(client.received())).toBe(408);
    expect(took).toBeLessThan(LIMITS.headersTimeoutMs + 2_000);
  });

  it("answers 408 to a client that trickles its body, and runs no game for it", async () => {
    const port = await start();
    games = 0;
    const client = await rawClient(port, `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{"game`);
    // One byte every 200 ms keeps the socket busy, but the request never completes in time.
    const drip = setInterval(() => client.socket.write(" "), 200);
    const took = await client.closed;
    clearInterval(drip);
    expect(status(client.received())).toBe(408);
    expect(took).toBeLessThan(LIMITS.requestTimeoutMs + 2_000);
    expect(games).toBe(0);
  });

  it("answers 431 to oversized headers and 413 to an oversized body", async () => {
    const port = await start();
    const big = await rawClient(port, request(GAME, `X-Filler: ${"a".repeat(4096)}\r\n`));
    await big.closed;
    expect(status(big.received())).toBe(431);
    const huge = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(1 << 20) });
    expect(huge.status).toBe(413);
  });

  it("closes a kept-alive connection that stays idle", async () => {
    const client = await rawClient(await start(), request(GAME));
    const took = await client.closed;
    expect(status(client.received())).toBe(200);
    expect(took).toBeLessThan(LIMITS.keepAliveTimeoutMs + 2_000);
  });

  it("answers 503 beyond the connection cap, and serves again once connections close", async () => {
    const port = await start();
    const held = await Promise.all([1, 2, 3, 4].map(() => rawClient(port, "POST / HTTP/1.1\r\n")));
    await sleep(100);
    const extra = await rawClient(port, request(GAME));
    await extra.closed;
    expect(status(extra.received())).toBe(503);
    expect(extra.received()).toMatch(/too_many_connections/);
    for (const client of held) client.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    const again = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: body(GAME) });
    expect(again.status).toBe(200);
  });

  it("still answers a game that runs longer than every request limit", async () => {
    const port = await start(LIMITS.requestTimeoutMs + LIMITS.keepAliveTimeoutMs + 500);
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: body(GAME) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(result);
  });

  it("error bodies carry no absolute path of the server", async () => {
    const port = await start();
    const response = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", headers: { "content-type": "application/json" }, body: body(BROKEN) });
    expect(response.status).toBe(502);
    const text = await response.text();
    expect(text).not.toMatch(/secret-layout/);
    expect(text).toMatch(/plays\.csv/);
  });
});

describe("redactPaths", () => {
  it("drops absolute paths and keeps URLs, bucket keys and file names", () => {
    expect(redactPaths('[file:/a/b/plays.csv] plays file "/a/b/plays.csv" cannot be read')).toBe('[file:…/plays.csv] plays file "…/plays.csv" cannot be read');
    expect(redactPaths("gs://bucket/Games/x/FAR_LEFT.mp4 and http://127.0.0.1:8080/x")).toBe("gs://bucket/Games/x/FAR_LEFT.mp4 and http://127.0.0.1:8080/x");
    expect(redactPaths("cannot write /tmp/playclips-1/ (EACCES)")).toBe("cannot write …/playclips-1 (EACCES)");
  });
});

describe("playclips serve's address", () => {
  let dir: string;
  const children: CliChild[] = [];
  afterAll(async () => {
    for (const child of children) if (child.proc.exitCode === null) child.proc.kill("SIGKILL");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("binds loopback without a token, the network with one or on Cloud Run, and what --host says", async () => {
    dir = await mkdtemp(join(tmpdir(), "playclips-bind-"));
    await writeFile(join(dir, "plays.csv"), "id,game_id,angle,start_timestamp,end_timestamp\n");
    const cases: Array<[Record<string, string>, string[], string]> = [
      [{ PLAYCLIPS_TOKEN: "", PORT: "", K_SERVICE: "" }, [], "127.0.0.1"],
      [{ PLAYCLIPS_TOKEN: "t0ken", PORT: "", K_SERVICE: "" }, [], "0.0.0.0"],
      [{ PLAYCLIPS_TOKEN: "", PORT: "", K_SERVICE: "playclips" }, [], "0.0.0.0"],
      [{ PLAYCLIPS_TOKEN: "", PORT: "", K_SERVICE: "" }, ["--host", "0.0.0.0"], "0.0.0.0"],
    ];
    for (const [env, flags, host] of cases) {
      const child = startCli(["serve", "--port", "0", "--plays", "plays.csv", "--out", "out", ...flags], { cwd: dir, env });
      children.push(child);
      const address = await until("the listening line", () => /listening on http:\/\/([\d.]+):\d+/.exec(child.log())?.[1], child.log, 60_000);
      expect(address, JSON.stringify(env)).toBe(host);
      child.proc.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    }
  }, 240_000);
});
