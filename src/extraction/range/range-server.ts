import { randomBytes, timingSafeEqual } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { posix } from "node:path";
import { StoreError, errorMessage } from "../../domain/errors.js";
import type { ObjectStore } from "../../stores/object-store.js";
import { BlockCache, type BlockCacheOptions, type RangeStats } from "./block-cache.js";

export interface RangeServerOptions extends BlockCacheOptions {
  /**
   * Blocks fetched ahead of the one being sent, to hide the store's latency;
   * only within the answer being sent (never past a bounded answer's end,
   * where ffmpeg may stop). Default 1. With openEndedBlocks 1, ffmpeg's
   * open-ended reads are one block each, so it applies to longer answers only.
   */
  readAheadBlocks?: number;
  /**
   * Most blocks one answer to an open-ended range (`bytes=a-`, what ffmpeg
   * asks for) carries: the 206 ends at the end of the block `a` falls in plus
   * this many - 1 more, with Content-Range saying so (RFC 9110 lets a server
   * send less than asked). ffmpeg, given `mediaInputOptions`, asks again
   * where the answer stopped. Bounds what the kernel's socket buffers take
   * beyond what ffmpeg reads. Default 1; 0 or Infinity: no bound.
   */
  openEndedBlocks?: number;
  /**
   * Most blocks fetched ahead of a reader that keeps asking again where its
   * last bounded answer ended (ffmpeg streaming a clip), to hide the store's
   * first-byte latency with parallel fetches. The window grows with the
   * stream: an eighth of the blocks it has read so far, so the blocks fetched
   * past where the reader stops stay under ~12 % of what it read (a quarter
   * took the quick benchmark's smart run from 1.33 to 1.53x the covered
   * bytes). Default 4; 0: off.
   */
  streamAheadBlocks?: number;
  /**
   * Most blocks fetched ahead of a reader inside a span it was announced to
   * read (`expectRead`): there the reader's end is known, so the window opens
   * at once and never passes it. Default 8.
   */
  expectedAheadBlocks?: number;
}

/** Where each open-ended reader's next request will start, and how many blocks it has read. */
class Streams {
  private readonly next = new Map<number, number>();
  take(offset: number): number {
    const run = this.next.get(offset) ?? 0;
    this.next.delete(offset);
    return run;
  }
  put(offset: number, run: number): void {
    // A reader that went away never comes back for its offset: keep the map small.
    if (this.next.size >= 256) this.next.delete(this.next.keys().next().value as number);
    this.next.set(offset, run);
  }
}

/** One object served over loopback HTTP for ffmpeg, until `close`. */
export interface ServedObject {
  /** http://127.0.0.1:<port>/<token>/<name>: only this exact path is served. */
  url: string;
  size: number;
  /** The cache's size now; stays within its budget. */
  cachedBytes(): number;
  stats(): RangeStats;
  /** Finds (once) the mp4's moov and keeps it cached (BlockCache.keepMp4Index); its size in bytes, 0 if none. */
  indexBytes(): Promise<number>;
  /**
   * Announces that a reader will read `span` in order (a smart clip's
   * excerpt): its requests inside it get `expectedAheadBlocks` fetched ahead
   * at once, up to the span's end, instead of a window that grows with the
   * stream. Undo it with the function returned.
   */
  expectRead(span: ByteSpan): () => void;
  /** BlockCache.shrink: its last readers are under way. */
  shrink(budgetBytes: number): void;
  close(): Promise<void>;
}

/** Inclusive byte span, as in Content-Range. */
export interface ByteSpan {
  start: number;
  end: number;
}

/**
 * Serves GET/HEAD with single `bytes=` ranges for one object. The random token
 * in the path keeps other local users and processes (and web pages probing
 * 127.0.0.1) from reading the video: without it every request is a 404.
 */
export async function serveObjectRanges(store: ObjectStore, key: string, options: RangeServerOptions = {}): Promise<ServedObject> {
  const info = await store.stat(key);
  if (!info) throw new StoreError(store.name, "not_found", `no object ${JSON.stringify(key)} (looked at ${store.uri(key)})`);
  const cache = new BlockCache(store, key, info.size, options);
  const readAhead = options.readAheadBlocks ?? 1;
  const openEnded = options.openEndedBlocks ?? 1;
  const ahead: ReadAhead = {
    blocks: readAhead, streamMax: options.streamAheadBlocks ?? 4, streams: new Streams(),
    expectedMax: options.expectedAheadBlocks ?? 8, expected: new Set(),
  };
  const path = `/${randomBytes(24).toString("base64url")}/${encodeURIComponent(posix.basename(key))}`;

  const server = createServer((req, res) => handle(cache, path, ahead, openEnded, req, res));
  // Never the reason the process stays up: the ffmpeg children it serves keep it alive.
  server.unref();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${path}`,
    size: info.size,
    cachedBytes: () => cache.cachedBytes,
    stats: () => cache.stats(),
    indexBytes: () => cache.keepMp4Index(),
    expectRead(span) {
      const entry = { ...span };
      ahead.expected.add(entry);
      return () => void ahead.expected.delete(entry);
    },
    shrink: (budgetBytes) => cache.shrink(budgetBytes),
    async close() {
      cache.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A reader still attached (a killed ffmpeg's socket) would keep close() waiting.
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * The one range a request asks for; null to send the whole object (no Range,
 * or one this server ignores as RFC 9110 allows: malformed, or several ranges,
 * which ffmpeg never asks for); "unsatisfiable" for a 416.
 */
export function parseRange(header: string | undefined, size: number): ByteSpan | "unsatisfiable" | null {
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header ?? "");
  if (!match) return null;
  const [, first = "", last = ""] = match;
  const a = first === "" ? null : Number(first);
  const b = last === "" ? null : Number(last);
  if ((a !== null && !Number.isSafeInteger(a)) || (b !== null && !Number.isSafeInteger(b))) return null;
  if (a === null) {
    if (b === null) return null;
    // "bytes=-N": the last N bytes.
    return b === 0 || size === 0 ? "unsatisfiable" : { start: Math.max(0, size - b), end: size - 1 };
  }
  if (b !== null && b < a) return null;
  if (a >= size) return "unsatisfiable";
  return { start: a, end: b === null ? size - 1 : Math.min(b, size - 1) };
}

/**
 * An open-ended range (`bytes=a-`) cut at a block boundary, at most `blocks`
 * blocks long; other ranges as asked.
 */
export function bounded(range: ByteSpan, header: string | undefined, blockBytes: number, blocks: number): ByteSpan {
  const openEnded = /^\s*bytes\s*=\s*\d+\s*-\s*$/i.test(header ?? "");
  if (!openEnded || !(blocks > 0) || !Number.isFinite(blocks)) return range;
  const end = (Math.floor(range.start / blockBytes) + Math.max(1, Math.floor(blocks))) * blockBytes - 1;
  return { start: range.start, end: Math.min(range.end, end) };
}

function samePath(url: string | undefined, path: string): boolean {
  const given = Buffer.from(url ?? "");
  const wanted = Buffer.from(path);
  // Constant time, so response timing does not leak how much of a guess was right.
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

interface ReadAhead {
  blocks: number;
  streamMax: number;
  streams: Streams;
  expectedMax: number;
  /** Spans announced by expectRead, until undone. */
  expected: Set<ByteSpan>;
}

/**
 * Blocks to fetch ahead past `last` for a request starting at `offset`: to
 * the end of an announced span holding it, else by the stream's run; never
 * more than the announced readers' share of the cache (less the block being
 * sent). Past it, blocks one reader fetched ahead evict another's before they
 * are read, and are fetched again: a camera's cache shrunk to 8 MiB for its
 * last two smart excerpts (8 blocks ahead each) read 1.27x the bytes of the
 * unshrunk cache at 4 h (1,075 MB against 853, 48 clips).
 */
function aheadOf(ahead: ReadAhead, offset: number, last: number, run: number, cache: BlockCache): number {
  const { blockBytes } = cache;
  const share = Math.max(1, Math.floor(cache.readAheadBytes / blockBytes / Math.max(1, ahead.expected.size)) - 1);
  for (const span of ahead.expected) {
    if (offset >= span.start && offset <= span.end) return Math.max(0, Math.min(ahead.expectedMax, share, Math.floor(span.end / blockBytes) - last));
  }
  return Math.min(ahead.streamMax, share, Math.floor(run / 8));
}

function handle(cache: BlockCache, path: string, ahead: ReadAhead, openEnded: number, req: IncomingMessage, res: ServerResponse): void {
  cache.count("requests", 1);
  if (!samePath(req.url, path)) return void res.writeHead(404, { "Content-Length": 0 }).end();
  if (req.method !== "GET" && req.method !== "HEAD") {
    return void res.writeHead(405, { Allow: "GET, HEAD", "Content-Length": 0 }).end();
  }
  // The first reader's request starts the index walk (once): nothing is read for a stranger's 404.
  void cache.keepMp4Index();
  const size = cache.size;
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    return void res.writeHead(416, { "Accept-Ranges": "bytes", "Content-Range": `bytes */${size}`, "Content-Length": 0 }).end();
  }
  const span = range ? bounded(range, req.headers.range, cache.blockBytes, openEnded) : { start: 0, end: size - 1 };
  const headers: OutgoingHttpHeaders = {
    "Accept-Ranges": "bytes",
    "Content-Type": "application/octet-stream",
    "Content-Length": span.end - span.start + 1,
    ...(range ? { "Content-Range": `bytes ${span.start}-${span.end}/${size}` } : {}),
  };
  const status = range ? 206 : 200;
  if (req.method === "HEAD" || size === 0) return void res.writeHead(status, headers).end();
  const first = Math.floor(span.start / cache.blockBytes);
  const last = Math.floor(span.end / cache.blockBytes);
  // A bounded answer to an open-ended read: the reader will ask again from its end.
  const continues = range !== null && span.end < range.end;
  const run = ahead.streams.take(span.start);
  const streamAhead = aheadOf(ahead, span.start, last, run, cache);
  for (let i = 1; i <= streamAhead; i++) cache.prefetch(last + i);
  if (continues) ahead.streams.put(span.end + 1, run + last - first + 1);
  void send(cache, ahead.blocks, res, status, headers, span, first, last);
}

async function send(
  cache: BlockCache,
  readAhead: number,
  res: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders,
  span: ByteSpan,
  first: number,
  last: number,
): Promise<void> {
  for (let index = first; index <= last; index++) {
    for (let ahead = 1; ahead <= readAhead && index + ahead <= last; ahead++) cache.prefetch(index + ahead);
    let block: Buffer;
    try {
      block = await cache.block(index);
    } catch (error) {
      // Before the first byte a clean error status is still possible; after it
      // only a cut connection, which ffmpeg reports, rather than wrong bytes.
      if (res.headersSent) res.destroy();
      else res.writeHead(502, { "Content-Type": "text/plain" }).end(`store read failed: ${errorMessage(error)}`);
      return;
    }
    if (res.destroyed) return;
    if (!res.headersSent) res.writeHead(status, headers);
    const offset = index * cache.blockBytes;
    const piece = block.subarray(Math.max(0, span.start - offset), Math.min(block.length, span.end - offset + 1));
    if (!(await write(res, piece))) return;
    cache.count("bytesServed", piece.length);
  }
  res.end();
}

// Waits for the socket to take the bytes, so a slow reader never makes us fetch
// far ahead; false when the reader went away (ffmpeg seeking elsewhere).
function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off("drain", onDrain);
      res.off("close", onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    res.on("drain", onDrain);
    res.on("close", onClose);
  });
}
