import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpTrigger } from "../src/orchestration/http-trigger.js";
import type { GameStatusReport } from "../src/pipeline/status.js";

// batch --via http against a real server: when a trigger's run is judged
// never to have started, and when a run that did start is judged dead.

const GAME = "0b6f3a4e-2c1d-4e5f-8a9b-1c2d3e4f5a6b";
const STALE_MS = 1_000;
const TIMEOUT_MS = 600;

let server: Server | null = null;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = null;
});

/** A real server that holds every POST for `holdMs` (a game running past the trigger's timeout) before answering 200. */
async function holdingServer(holdMs: number): Promise<{ url: string; posts: () => number }> {
  let posts = 0;
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    posts += 1;
    setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end("{}"), holdMs).unref();
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, posts: () => posts };
}

const pending = (attempt: GameStatusReport["attempt"] = null): GameStatusReport => ({
  game_id: GAME, state: "pending", manifest_status: null, reason: null, counts: null, finished_at: null, attempt,
});

const running = (startedAt: number, heartbeatAt: number): GameStatusReport =>
  pending({
    run_id: "r1", state: "running", reason: null, started_at: new Date(startedAt).toISOString(),
    heartbeat_at: new Date(heartbeatAt).toISOString(), finished_at: null, clips_done: 0, clips_planned: 4,
  });

describe("the HTTP trigger's verdicts", () => {
  it("counts 'no run started' from when the POST ended, not when it was sent: a held POST was taken up", async () => {
    const { url, posts } = await holdingServer(5_000);
    const logs: string[] = [];
    const trigger = createHttpTrigger({ url, timeoutMs: TIMEOUT_MS, retryLimit: 1, staleAfterMs: STALE_MS, log: (m) => logs.push(m) });
    const sent = Date.now();
    await trigger.triggerAll([GAME]);
    const timedOut = Date.now();
    expect(timedOut - sent).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(logs.join("\n")).toMatch(/no answer within 0.6s/);

    // Past stale-after from the send, within it from the timeout: the run may still show.
    await sleep(Math.max(0, sent + STALE_MS + 150 - Date.now()));
    expect(Date.now() - timedOut).toBeLessThan(STALE_MS);
    expect(await trigger.check([GAME], [pending()])).toEqual([]);
    expect(posts()).toBe(1);

    // Past stale-after from the timeout with still no attempt: triggered again.
    await sleep(Math.max(0, timedOut + STALE_MS + 150 - Date.now()));
    expect(await trigger.check([GAME], [pending()])).toEqual([]);
    expect(posts()).toBe(2);
    expect(logs.join("\n")).toMatch(/no run started after the trigger; triggering it again/);

    // The retry limit (1) is spent: the next verdict fails the game with its reason.
    await sleep(STALE_MS + 150 + TIMEOUT_MS);
    expect(await trigger.check([GAME], [pending()])).toEqual([{ game_id: GAME, reason: "gave up after 2 triggers: no run started after the trigger" }]);
    expect(posts()).toBe(2);
  }, 15_000);

  it("a run that started is left alone while it beats, and triggered again once its heartbeat goes stale", async () => {
    const { url, posts } = await holdingServer(5_000);
    const trigger = createHttpTrigger({ url, timeoutMs: TIMEOUT_MS, retryLimit: 3, staleAfterMs: STALE_MS, log: () => {} });
    const sent = Date.now();
    await trigger.triggerAll([GAME]);
    await sleep(2 * STALE_MS);
    const now = Date.now();
    expect(await trigger.check([GAME], [running(sent + 100, now - 200)])).toEqual([]);
    expect(posts()).toBe(1);
    expect(await trigger.check([GAME], [running(sent + 100, now - STALE_MS - 500)])).toEqual([]);
    expect(posts()).toBe(2);
  }, 15_000);
});
