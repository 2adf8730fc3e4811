import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { resumableSessions, type ChunkAttempt } from "./resumable-sessions.js";

/**
 * A loopback HTTP proxy in front of the Storage emulator that injects the
 * faults real GCS shows: 503 and 429 answers, connections cut in the middle
 * of an upload's body, and answers lost after the emulator has acted on the
 * request (so a retry finds the upload already done). Faults are drawn from a
 * seeded generator, so a run is repeatable, and bounded: at most `maxFaults`,
 * and none after `faultForMs`; after that the proxy only forwards.
 *
 * The emulator ignores `ifGenerationMatch`; the proxy enforces it (412) by
 * reading the live generation just before forwarding, which is enough for
 * tests that do not race writers against each other.
 */
export type FaultKind = "503" | "429" | "cut" | "lost";

export interface FaultProxyOptions {
  /** The emulator, e.g. http://127.0.0.1:41234. */
  target: string;
  /** Share of eligible requests that get a fault, 0..1. */
  rate: number;
  kinds?: readonly FaultKind[];
  /** Which requests may be faulted (default: all). */
  eligible?: (req: IncomingMessage) => boolean;
  seed?: number;
  maxFaults?: number;
  faultForMs?: number;
  /**
   * Keep resumable sessions' chunks here with GCS's semantics and send the
   * emulator each object in one PUT (resumable-sessions.ts); off by default.
   */
  resumableChunks?: boolean;
  /** With resumableChunks: object offsets at which an upload's connection drops, each once. */
  cutAt?: readonly number[];
}

export interface ForwardedRequest {
  method: string;
  /** Path and query, as the client sent them (object names percent-encoded). */
  url: string;
  /** Body bytes the emulator answered with; counted as they pass. */
  bytes: number;
}

export interface FaultProxy {
  /** Use as the store's apiEndpoint. */
  url: string;
  /** Requests seen and faults injected, by kind. */
  counts: { requests: number; preconditionFailed: number } & Record<FaultKind, number>;
  /** Every request forwarded to the emulator, with the bytes of its answer's body, in order. */
  forwarded: ForwardedRequest[];
  /** With resumableChunks: every chunk, status query and final request of every session, in order. */
  attempts: ChunkAttempt[];
  stop(): Promise<void>;
}

// mulberry32: small, seedable, good enough to pick faults.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hasBody = (req: IncomingMessage): boolean => Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;

function answer(res: ServerResponse, status: number): void {
  const message = { 412: "conditionNotMet (checked by the proxy)", 429: "injected: rate limit exceeded" }[status] ?? "injected: backend unavailable";
  res.writeHead(status, { "content-type": "application/json", ...(status === 429 && { "retry-after": "1" }) });
  res.end(JSON.stringify({ error: { code: status, message, errors: [{ message, reason: "injected" }] } }));
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const next = random(options.seed ?? 1);
  const kinds = options.kinds ?? ["503", "429", "cut", "lost"];
  const maxFaults = options.maxFaults ?? Number.POSITIVE_INFINITY;
  const stopFaultsAt = Date.now() + (options.faultForMs ?? 10 * 60_000);
  const counts = { requests: 0, preconditionFailed: 0, "503": 0, "429": 0, cut: 0, lost: 0 };
  const sockets = new Set<Socket>();
  const forwarded: ForwardedRequest[] = [];
  let url = "";
  const sessions = options.resumableChunks ? resumableSessions(target, options.cutAt) : null;

  const pickFault = (req: IncomingMessage): FaultKind | null => {
    const injected = counts["503"] + counts["429"] + counts.cut + counts.lost;
    if (injected >= maxFaults || Date.now() > stopFaultsAt || !(options.eligible?.(req) ?? true)) return null;
    if (next() >= options.rate) return null;
    // A cut needs a body to cut; without one it becomes a 503.
    const kind = kinds[Math.floor(next() * kinds.length)] ?? "503";
    return kind === "cut" && !hasBody(req) ? "503" : kind;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, loseAnswer: boolean): void => {
    const record: ForwardedRequest = { method: req.method ?? "", url: req.url ?? "", bytes: 0 };
    forwarded.push(record);
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (reply) => {
        reply.on("data", (chunk: Buffer) => (record.bytes += chunk.length));
        if (loseAnswer) {
          // The emulator has acted; the client only hears that it failed.
          reply.resume();
          reply.on("end", () => answer(res, 503));
          return;
        }
        const headers = { ...reply.headers };
        // Resumable sessions name the emulator's own address: keep them on the proxy.
        if (typeof headers.location === "string") headers.location = headers.location.replace(options.target, url);
        res.writeHead(reply.statusCode ?? 502, headers);
        reply.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  };

  // The object a conditional upload or delete names, and the generation it expects.
  const precondition = (req: IncomingMessage): { path: string; expected: string } | null => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const expected = url.searchParams.get("ifGenerationMatch");
    const bucket = /\/b\/([^/]+)\/o/.exec(url.pathname)?.[1];
    const name = url.searchParams.get("name") ?? /\/o\/([^/?]+)$/.exec(url.pathname)?.[1];
    if (expected === null || !bucket || !name) return null;
    return { path: `/storage/v1/b/${bucket}/o/${encodeURIComponent(decodeURIComponent(name))}`, expected };
  };
  const liveGeneration = (path: string): Promise<string> =>
    new Promise((resolve, reject) => {
      request({ host: target.hostname, port: target.port, path }, (reply) => {
        let body = "";
        reply.on("data", (chunk: Buffer) => (body += chunk.toString()));
        reply.on("end", () => resolve(reply.statusCode === 404 ? "0" : String((JSON.parse(body) as { generation: string }).generation)));
      })
        .on("error", reject)
        .end();
    });

  const server = createServer((req, res) => {
    counts.requests++;
    const fault = pickFault(req);
    if (fault) counts[fault]++;
    if (fault === "503" || fault === "429") {
      req.resume();
      req.on("end", () => answer(res, Number(fault)));
    } else if (sessions?.owns(req)) {
      sessions.put(req, res, fault);
    } else if (fault === "cut") {
      // Take part of the body, then drop the connection: nothing reaches the emulator.
      req.once("data", () => req.socket.destroy());
    } else {
      const condition = precondition(req);
      if (!condition) return forward(req, res, fault === "lost");
      liveGeneration(condition.path).then(
        (live) => {
          if (live === condition.expected) return forward(req, res, fault === "lost");
          counts.preconditionFailed++;
          req.resume();
          req.on("end", () => answer(res, 412));
        },
        () => res.destroy(),
      );
    }
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    counts,
    forwarded,
    attempts: sessions?.attempts ?? [],
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
