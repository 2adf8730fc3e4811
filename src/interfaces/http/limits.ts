import type { Server, ServerOptions } from "node:http";
import type { Socket } from "node:net";

/**
 * What one client may hold of the server. A game runs inside its request for
 * minutes, so nothing here limits a request once it has been read: only the
 * time to send it, the time a kept-alive connection may sit idle, and how
 * many connections are open at once.
 */
export interface HttpLimits {
  /** Bytes of request line and headers; more is answered 431 by node:http. */
  maxHeaderBytes: number;
  /** Time to send the headers; a slower client is answered 408. */
  headersTimeoutMs: number;
  /** Time to send the whole request, body included; a slower client is answered 408. */
  requestTimeoutMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  keepAliveTimeoutMs: number;
  /** Open connections; one more is answered 503 and closed. */
  maxConnections: number;
  /** How often node:http looks for clients over their time (bounds how late a 408 comes). */
  checkIntervalMs: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  checkIntervalMs: 1_000,
};

export function serverOptions(limits: HttpLimits): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

const BUSY_BODY = JSON.stringify({ error: "too_many_connections", detail: "the server has too many open connections: retry shortly" });
const BUSY_RESPONSE =
  "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n" +
  `Content-Length: ${Buffer.byteLength(BUSY_BODY)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n${BUSY_BODY}`;

/**
 * node:http's own maxConnections drops the extra socket without a word; a
 * client deserves a 503 it can retry on, so the count is kept here and the
 * answer written before anything of the request is read. node:http still
 * parses what a refused client sends, so the request handler asks refused()
 * and must not run such a request.
 */
export function capConnections(server: Server, maxConnections: number): { refused(socket: Socket): boolean } {
  const open = new Set<Socket>();
  const refused = new WeakSet<Socket>();
  server.on("connection", (socket: Socket) => {
    if (open.size >= maxConnections) {
      refused.add(socket);
      socket.on("error", () => {});
      socket.end(BUSY_RESPONSE);
      // A client that never reads its answer must not keep the socket either.
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  });
  return { refused: (socket) => refused.has(socket) };
}
