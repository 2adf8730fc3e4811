import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Agent, createServer, type IncomingMessage, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { StoreError } from "../src/domain/errors.js";
import type { ByteRange, ObjectInfo, ObjectStore } from "../src/stores/object-store.js";

/** What the object server has sent since the last reset. */
export interface ServedCounts {
  bytes: number;
  requests: number;
}

/**
 * How the loopback bucket imitates a cloud bucket: every request waits
 * `latencyMs` before its first byte (GCS answers in tens of ms), and each
 * answer streams at most `bytesPerSec` (one connection's throughput).
 */
export interface BucketModel {
  latencyMs: number;
  bytesPerSec: number;
}

export const GCS_LIKE: BucketModel = { latencyMs: 40, bytesPerSec: 100e6 };

export interface ObjectServer {
  url: string;
  counts(): ServedCounts;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A read-only bucket over loopback HTTP: GET/HEAD of a file under root, with a
 * single `Range: bytes=a-b | a- | -n`. It counts body bytes as they are handed
 * to the socket, so bytes a client aborts after receiving (socket overshoot)
 * count too, as a cloud bucket would bill them.
 */
export async function startObjectServer(root: string, model: BucketModel = { latencyMs: 0, bytesPerSec: Infinity }): Promise<ObjectServer> {
  const base = resolve(root);
  let counts: ServedCounts = { bytes: 0, requests: 0 };
  const server: Server = createServer((req, res) => {
    void (async () => {
      counts.requests++;
      if (req.method !== "GET" && req.method !== "HEAD") return void res.writeHead(405).end();
      const path = resolve(join(base, decodeURIComponent((req.url ?? "/").split("?")[0] ?? "/")));
      if (!path.startsWith(base + sep)) return void res.writeHead(404).end();
      const size = await stat(path).then((s) => (s.isFile() ? s.size : null), () => null);
      if (size === null) return void res.writeHead(404).end();
      let start = 0;
      let end = size - 1;
      let status = 200;
      const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range ?? "");
      if (range && (range[1] || range[2])) {
        if (range[1]) {
          start = Number(range[1]);
          if (range[2]) end = Math.min(size - 1, Number(range[2]));
        } else {
          start = Math.max(0, size - Number(range[2]));
        }
        if (start >= size || end < start) {
          return void res.writeHead(416, { "Content-Range": `bytes */${size}` }).end();
        }
        status = 206;
      }
      if (model.latencyMs > 0) await new Promise((ok) => setTimeout(ok, model.latencyMs));
      const headers: Record<string, string | number> = { "Content-Length": end - start + 1, "Accept-Ranges": "bytes", "Content-Type": "video/mp4" };
      if (status === 206) headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
      res.writeHead(status, headers);
      if (req.method === "HEAD" || size === 0) return void res.end();
      const file = createReadStream(path, { start, end, highWaterMark: 64 * 1024 });
      const began = performance.now();
      let sent = 0;
      let throttled = false;
      file.on("data", (chunk) => {
        counts.bytes += chunk.length;
        sent += chunk.length;
        const ahead = (sent / model.bytesPerSec) * 1000 - (performance.now() - began);
        const drained = res.write(chunk);
        if (ahead > 1) {
          // Ahead of the connection's bandwidth: wait until the clock catches up.
          file.pause();
          throttled = true;
          setTimeout(() => {
            throttled = false;
            if (res.writableNeedDrain) return;
            file.resume();
          }, ahead);
        } else if (!drained) file.pause();
      });
      res.on("drain", () => void (!throttled && file.resume()));
      file.on("end", () => res.end());
      file.on("error", () => res.destroy());
      res.on("close", () => file.destroy());
    })().catch(() => res.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    reset: () => void (counts = { bytes: 0, requests: 0 }),
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/**
 * node:http rather than fetch: a cloud SDK's client (gaxios for GCS) hands out
 * Node streams, and Readable.fromWeb over fetch cost ~4x the CPU per byte here,
 * which would be charged to the pipeline.
 */
function request(target: string, method: "GET" | "HEAD", headers: Record<string, string>): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(target, { method, headers, agent: keepAlive }, resolve);
    req.on("error", reject);
    req.end();
  });
}
const keepAlive = new Agent({ keepAlive: true });

/**
 * An ObjectStore reading a bucket over HTTP (read-only, like the videos
 * bucket is to the pipeline). It has no localPath, so the pipeline serves
 * ffmpeg from it through its range cache, as with GCS.
 */
export function createHttpStore(baseUrl: string): ObjectStore {
  const name = `http:${baseUrl}`;
  const url = (key: string): string => `${baseUrl}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const readOnly = (): never => {
    throw new StoreError(name, "io", "the benchmark's video store is read-only");
  };
  return {
    name,
    uri: url,
    async stat(key: string): Promise<ObjectInfo | null> {
      const res = await request(url(key), "HEAD", {}).catch((error: unknown) => {
        throw new StoreError(name, "io", `HEAD ${key} failed`, { cause: error });
      });
      res.resume();
      if (res.statusCode === 404) return null;
      if (res.statusCode !== 200) throw new StoreError(name, "io", `HEAD ${key}: HTTP ${res.statusCode}`);
      return { key, size: Number(res.headers["content-length"]) };
    },
    async read(key: string, range?: ByteRange): Promise<Readable> {
      const headers: Record<string, string> = {};
      if (range) headers.Range = `bytes=${range.start}-${range.end ?? ""}`;
      const res = await request(url(key), "GET", headers).catch((error: unknown) => {
        throw new StoreError(name, "io", `GET ${key} failed`, { cause: error });
      });
      if (res.statusCode === 404) {
        res.resume();
        throw new StoreError(name, "not_found", `${key} does not exist`);
      }
      if (!(res.statusCode === 206 || (res.statusCode === 200 && !range))) {
        res.resume();
        throw new StoreError(name, "io", `GET ${key}${range ? ` ${headers.Range}` : ""}: HTTP ${res.statusCode}`);
      }
      return res;
    },
    write: readOnly,
  };
}
