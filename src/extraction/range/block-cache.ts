import { setTimeout as sleep } from "node:timers/promises";
import { StoreError, ValidationError, errorMessage } from "../../domain/errors.js";
import type { ObjectStore } from "../../stores/object-store.js";
import { findMoov } from "./mp4-index.js";
import { readExactly } from "./read-exactly.js";
import { SegmentedLru } from "./segmented-lru.js";

export interface BlockCacheOptions {
  /** Bytes per block; blocks are aligned to multiples of it. Default 1 MiB. */
  blockBytes?: number;
  /** Most bytes of finished blocks kept in memory (see SegmentedLru). Default 32 MiB. */
  budgetBytes?: number;
  /** Store reads per block before giving up. Default 3. */
  attempts?: number;
  /** First backoff between attempts; it grows 4x per retry. Default 100 ms. */
  retryDelayMs?: number;
  /** One attempt (open + all bytes) longer than this is abandoned and retried. Default 60 s. */
  attemptTimeoutMs?: number;
}

/** Counters a benchmark reads to compare bytes fetched with bytes the clips needed. */
export interface RangeStats {
  /** Store reads started (each retry counts). */
  storeReads: number;
  /** Bytes received from the store, including attempts that were thrown away. */
  bytesFetched: number;
  /** Blocks fetched whole from the store. */
  blocksFetched: number;
  retries: number;
  /** Block lookups answered: from memory, by joining a fetch in flight, or by a new fetch. */
  blocksServed: number;
  cacheHits: number;
  /** Lookups that waited on another caller's fetch of the same block (single-flight). */
  sharedFetches: number;
  cachedBytes: number;
  peakCachedBytes: number;
  /** The budget, raised when an mp4's index is kept whole (keepMp4Index). */
  budgetBytes: number;
  /** Bytes of the blocks kept from their first fetch: the first block and the moov's; 0 if none. */
  keptIndexBytes: number;
  /** Blocks given up on after the retries, and why the last one failed (for messages). */
  failedBlocks: number;
  lastError: string | null;
  /** Filled in by the HTTP server. */
  requests: number;
  bytesServed: number;
}

const MiB = 1024 * 1024;
/** Memory for one opened video's blocks when the caller does not say; the `cacheMb` setting's default. */
export const DEFAULT_CACHE_BYTES = 32 * MiB;
/**
 * Most bytes of an mp4 index kept whole on top of the budget. A 4 h 1080p30
 * camera's moov is ~19 MB (~38 MB at 60 fps); a bigger one is left to the
 * second-reader rule of SegmentedLru, so memory stays bounded.
 */
export const MAX_KEPT_INDEX_BYTES = 64 * MiB;

/**
 * The blocks of ONE object of a store, shared by every reader of it. This is
 * what lets a dozen ffmpeg processes cutting from one camera video fetch its
 * index (the moov, at the end of a non-faststart mp4) once, and overlapping
 * plays share their bytes. Memory: at most `budgetBytes` of finished blocks,
 * plus the blocks being fetched right now (one per distinct block requested
 * concurrently, so bounded by the number of open readers times their read-ahead).
 */
export class BlockCache {
  readonly blockBytes: number;
  private readonly budget: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly blocks: SegmentedLru;
  // Single-flight: one store fetch per block, however many readers wait on it.
  private readonly inflight = new Map<number, { promise: Promise<Buffer>; uses: number }>();
  private readonly counters: RangeStats;
  private closed = false;
  private indexing: Promise<number> | undefined;

  constructor(
    private readonly store: ObjectStore,
    private readonly key: string,
    /** The object's size, from a stat taken when it was opened. */
    readonly size: number,
    options: BlockCacheOptions = {},
  ) {
    this.blockBytes = options.blockBytes ?? MiB;
    this.budget = options.budgetBytes ?? DEFAULT_CACHE_BYTES;
    this.attempts = options.attempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 60_000;
    if (!Number.isSafeInteger(this.blockBytes) || this.blockBytes <= 0) {
      throw new ValidationError(`block size ${this.blockBytes} must be a whole number of bytes > 0`);
    }
    if (!Number.isSafeInteger(this.budget) || this.budget < 0) {
      throw new ValidationError(`cache budget ${this.budget} must be a whole number of bytes >= 0`);
    }
    if (!Number.isSafeInteger(this.attempts) || this.attempts < 1) {
      throw new ValidationError(`attempts ${this.attempts} must be a whole number >= 1`);
    }
    this.counters = {
      storeReads: 0, bytesFetched: 0, blocksFetched: 0, retries: 0, blocksServed: 0, cacheHits: 0,
      sharedFetches: 0, cachedBytes: 0, peakCachedBytes: 0, budgetBytes: this.budget, keptIndexBytes: 0, failedBlocks: 0, lastError: null,
      requests: 0, bytesServed: 0,
    };
    this.blocks = new SegmentedLru(this.budget);
  }

  /** Bytes of finished blocks held in memory now; never above the budget. */
  get cachedBytes(): number {
    return this.blocks.bytes;
  }

  /**
   * What the blocks readers fetch ahead may fill without evicting each other
   * before they are read: the budget, less the kept index (it sits on top).
   */
  get readAheadBytes(): number {
    return Math.min(this.budget, this.blocks.budget);
  }

  /** A copy: callers may keep it after the cache is gone. */
  stats(): RangeStats {
    return { ...this.counters, cachedBytes: this.blocks.bytes, peakCachedBytes: this.blocks.peak };
  }

  /** For the server's own counters, which live with the cache's. */
  count(field: "requests" | "bytesServed", amount: number): void {
    this.counters[field] += amount;
  }

  /** Block `index` whole (the last block may be shorter); rejects after the retries are spent. */
  block(index: number): Promise<Buffer> {
    if (!Number.isSafeInteger(index) || index < 0 || index * this.blockBytes >= this.size) {
      return Promise.reject(new RangeError(`block ${index} is outside an object of ${this.size} bytes`));
    }
    this.counters.blocksServed++;
    const cached = this.blocks.get(index, true);
    if (cached) {
      this.counters.cacheHits++;
      return Promise.resolve(cached);
    }
    const running = this.inflight.get(index);
    if (running) {
      this.counters.sharedFetches++;
      running.uses++;
      return running.promise;
    }
    return this.startFetch(index, 1);
  }

  /**
   * Starts fetching a block a reader will likely want next, unless it is
   * cached or on its way; counts nothing as served and leaves the LRU order alone.
   */
  prefetch(index: number): void {
    if (index < 0 || index * this.blockBytes >= this.size || this.closed) return;
    if (!this.blocks.has(index) && !this.inflight.has(index)) void this.startFetch(index, 0);
  }

  /**
   * Keeps the blocks every ffmpeg/ffprobe process of an mp4 reads on open —
   * the first one and the moov's, found by a walk of the top-level box
   * headers (blocks that readers fetch anyway) — from their first fetch
   * until close, and fetches the moov's now, in parallel. They are kept on
   * top of the budget (SegmentedLru.pin), up to MAX_KEPT_INDEX_BYTES. Runs once; never fails: a read error here reaches
   * the reader that needs the block, and without the walk only the index's
   * re-fetches come back. Resolves to the moov's size in bytes (0: none found).
   */
  keepMp4Index(): Promise<number> {
    this.indexing ??= this.pinIndex().catch(() => 0);
    return this.indexing;
  }

  /**
   * For a video whose last readers are under way (every clip of a camera has
   * started): keeps at most `budgetBytes` for their read-ahead and lets the
   * moov and the rest go, so the next camera's cache does not come on top.
   * A reader that still wants the moov fetches it again.
   */
  shrink(budgetBytes: number): void {
    this.blocks.shrink(budgetBytes);
    this.counters.budgetBytes = this.blocks.budget;
  }

  /** Drops every cached block (on release) and keeps none fetched later, so the memory goes at once. */
  close(): void {
    this.closed = true;
    this.blocks.clear();
  }

  private async pinIndex(): Promise<number> {
    const moov = await findMoov((offset, length) => this.bytesAt(offset, length), this.size);
    if (!moov) return 0;
    const moovBytes = moov.end - moov.start + 1;
    if (this.closed) return moovBytes;
    const blocks = new Set([0]);
    for (let i = Math.floor(moov.start / this.blockBytes); i <= Math.floor(moov.end / this.blockBytes); i++) blocks.add(i);
    const bytes = blocks.size * this.blockBytes;
    if (bytes > MAX_KEPT_INDEX_BYTES) return moovBytes;
    this.blocks.pin(blocks, bytes);
    this.counters.budgetBytes = this.blocks.budget;
    this.counters.keptIndexBytes = bytes;
    for (const index of blocks) this.prefetch(index);
    return moovBytes;
  }

  /** `length` bytes at `offset` (fewer at the end), through the blocks. */
  private async bytesAt(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.size, offset + length);
    const parts: Buffer[] = [];
    for (let index = Math.floor(offset / this.blockBytes); index * this.blockBytes < end; index++) {
      const start = index * this.blockBytes;
      const block = await this.block(index);
      parts.push(block.subarray(Math.max(0, offset - start), end - start));
    }
    return Buffer.concat(parts);
  }

  private startFetch(index: number, uses: number): Promise<Buffer> {
    const flight = { promise: this.fetch(index).finally(() => this.inflight.delete(index)), uses };
    const fetching = flight.promise;
    this.inflight.set(index, flight);
    // Readers that gave up (a closed connection, a read-ahead) must not leave an unhandled rejection.
    fetching.catch(() => undefined);
    return fetching;
  }

  private async fetch(index: number): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        const data = await this.fetchOnce(index);
        this.counters.blocksFetched++;
        // Only whole blocks of the expected length get here, so only they are cached.
        if (!this.closed) this.blocks.add(index, data, this.inflight.get(index)?.uses ?? 1);
        return data;
      } catch (error) {
        // A missing object or a bad key will not heal; io errors and resets may. Once released, nobody waits.
        const transient = !(error instanceof StoreError) || error.code === "io";
        if (!transient || attempt >= this.attempts || this.closed) {
          // ffmpeg only sees a 502 or a cut connection; the store's own words are kept here.
          this.counters.failedBlocks++;
          this.counters.lastError = errorMessage(error);
          throw error;
        }
        this.counters.retries++;
        await sleep(this.retryDelayMs * 4 ** (attempt - 1));
      }
    }
  }

  private fetchOnce(index: number): Promise<Buffer> {
    const start = index * this.blockBytes;
    const expected = Math.min(this.blockBytes, this.size - start);
    this.counters.storeReads++;
    const what = `block ${index} (bytes ${start}-${start + expected - 1}) of ${JSON.stringify(this.key)}`;
    return readExactly(this.store, this.key, { start, end: start + expected - 1 }, {
      what, timeoutMs: this.attemptTimeoutMs, onBytes: (n) => (this.counters.bytesFetched += n),
    });
  }
}
