import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { GameHandler, HttpResponse } from "./handler.js";
import { capConnections, DEFAULT_HTTP_LIMITS, serverOptions, type HttpLimits } from "./limits.js";

export interface RunningServer {
  port: number;
  /**
   * Refuses new games, stops listening, waits up to graceMs for running
   * games and their responses, then drops every connection left.
   */
  close(graceMs: number, onGraceOver?: () => Promise<void>): Promise<void>;
}

/**
 * Reads at most limit + 1 bytes: one byte more than allowed is enough for the
 * handler to answer 413, and the rest of an oversized body is discarded
 * instead of buffered.
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (): void => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks));
    };
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      resolve(Buffer.alloc(limit + 1));
      return;
    }
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      const room = limit + 1 - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size > limit) done();
    });
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    req.on("end", done);
    req.on("error", fail);
    // A client gone mid-body sends neither "end" nor, on every Node version, "error".
    req.on("close", () => {
      if (!req.complete) fail(new Error("the client closed the connection before the body ended"));
    });
  });
}

function headerRecord(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  return headers;
}

function send(res: ServerResponse, response: HttpResponse, closeAfter: boolean): void {
  // A client that went away (the workflow hangs up after 10 s) is not an error worth a crash.
  res.on("error", () => {});
  if (res.destroyed || res.writableEnded) return;
  // Bytes (a report page or thumbnail) go out as they are, with the type the handler set.
  const body = Buffer.isBuffer(response.body) ? response.body : JSON.stringify(response.body);
  res.writeHead(response.status, {
    "Content-Type": Buffer.isBuffer(response.body) ? "application/octet-stream" : "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(body),
    ...(closeAfter ? { Connection: "close" } : {}),
    ...response.headers,
  });
  res.end(body);
}

/**
 * Serves a GameHandler on node:http. The game runs inside the request, so a
 * host that allocates CPU only during requests (Cloud Run) keeps it for the
 * whole game; nothing listens for the socket closing, so a client hanging up
 * never cancels a game.
 */
export async function startHttpServer(handler: GameHandler, options: { port: number; host?: string; limits?: Partial<HttpLimits> }): Promise<RunningServer> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...options.limits };
  const pending = new Set<Promise<void>>();
  const server = createServer(serverOptions(limits), (req, res) => {
    if (cap.refused(req.socket)) {
      res.destroy();
      return;
    }
    const task = (async () => {
      let response: HttpResponse;
      let oversized = false;
      try {
        const body = await readBody(req, handler.maxBodyBytes);
        oversized = body.length > handler.maxBodyBytes;
        response = await handler.handle({ method: req.method ?? "GET", path: req.url ?? "/", headers: headerRecord(req), body });
      } catch {
        response = { status: 400, body: { error: "bad_request", detail: "the request body could not be read" } };
      }
      // The unread rest of an oversized body would otherwise be parsed as the next request.
      send(res, response, oversized);
    })();
    pending.add(task);
    void task.finally(() => pending.delete(task));
  });
  const cap = capConnections(server, limits.maxConnections);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  const close = async (graceMs: number, onGraceOver?: () => Promise<void>): Promise<void> => {
    handler.stopAccepting();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    // Games still running when the grace is over are cancelled first, so their callers get that answer (503).
    if (!(await handler.drain(graceMs)) && onGraceOver) await onGraceOver();
    // Give the answers of the games that just finished a moment to be written.
    const left = Math.max(200, Math.min(1000, deadline - Date.now()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...pending]), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
    clearTimeout(timer);
    server.closeAllConnections();
    await closed;
  };
  return {
    port,
    close: (graceMs, onGraceOver) => (closing ??= close(graceMs, onGraceOver)),
  };
}
