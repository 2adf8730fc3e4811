interface Entry {
  data: Buffer;
  /** Readers that asked for the block (a read-ahead is not one). */
  uses: number;
}

/**
 * Blocks within a byte budget, evicted least recently used first, in two
 * segments. Why not one LRU: clip data streams through (each block read by one
 * ffmpeg, once), and under a plain LRU that stream pushes out the blocks EVERY
 * ffmpeg process reads when it opens the video — the header and the moov index
 * at the end of a non-faststart mp4 — so each clip would fetch the index
 * again. A block asked for by a second reader moves to the protected segment
 * (at most `protectedShare` of the budget), which only other shared blocks
 * can push back out; streaming data recycles the probation segment.
 *
 * Pinned blocks (`pin`: an mp4's moov, found at open) skip all that: they are
 * kept from their first fetch until `clear`, outside both segments. A 4 h
 * camera's moov is ~19 MB, more than the protected half of a 32 MiB budget,
 * and with only the second-reader rule most of it was evicted between
 * readers and fetched again by every ffmpeg process.
 */
export class SegmentedLru {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest first.
  private readonly probation = new Map<number, Entry>();
  private readonly protected = new Map<number, Entry>();
  private readonly pinned = new Map<number, Entry>();
  private pinnedBlocks: ReadonlySet<number> = new Set();
  // After shrink(), nothing is pinned again: the video's readers are ending.
  private pinningOver = false;
  private protectedBytes = 0;
  private totalBytes = 0;
  private peakBytes = 0;
  private budgetBytes: number;
  private protectedBudget: number;
  private readonly protectedShare: number;

  constructor(
    budget: number,
    protectedShare = 0.5,
  ) {
    this.budgetBytes = budget;
    this.protectedShare = protectedShare;
    this.protectedBudget = Math.floor(budget * protectedShare);
  }

  /** Most bytes held at once: the budget given, raised by `pin`. */
  get budget(): number {
    return this.budgetBytes;
  }

  /**
   * Keeps `blocks` (about `bytes` in all) from their first fetch on, on top
   * of the budget: the other blocks keep all of it. Half of it was not enough
   * for smart, whose processes read a clip's range two or three times (its
   * packets, its parts, its audio): with a 19 MB moov inside a 32 MiB budget
   * the benchmark's smart run read 3.9x the covered bytes. Once only: a
   * second call replaces nothing.
   */
  pin(blocks: ReadonlySet<number>, bytes: number): void {
    if (this.pinnedBlocks.size > 0 || this.pinningOver) return;
    this.pinnedBlocks = blocks;
    this.budgetBytes += bytes;
    for (const segment of [this.probation, this.protected]) {
      for (const [index, entry] of segment) {
        if (!blocks.has(index)) continue;
        segment.delete(index);
        if (segment === this.protected) this.protectedBytes -= entry.data.length;
        this.pinned.set(index, entry);
      }
    }
  }

  /** Bytes held now; never above the budget. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** The most bytes ever held at once. */
  get peak(): number {
    return this.peakBytes;
  }

  has(index: number): boolean {
    return this.probation.has(index) || this.protected.has(index) || this.pinned.has(index);
  }

  /** The block, if held; a reader's lookup (`use`) counts toward protecting it. */
  get(index: number, use: boolean): Buffer | undefined {
    const kept = this.pinned.get(index);
    if (kept) return kept.data;
    const guarded = this.protected.get(index);
    if (guarded) {
      this.protected.delete(index);
      this.protected.set(index, guarded);
      return guarded.data;
    }
    const entry = this.probation.get(index);
    if (!entry) return undefined;
    this.probation.delete(index);
    if (use) entry.uses++;
    if (entry.uses >= 2) this.protect(index, entry);
    else this.probation.set(index, entry);
    return entry.data;
  }

  /** Adds a block just fetched, asked for by `uses` readers meanwhile. */
  add(index: number, data: Buffer, uses: number): void {
    if (data.length > this.budgetBytes || this.has(index)) return;
    this.totalBytes += data.length;
    if (this.pinnedBlocks.has(index)) this.pinned.set(index, { data, uses });
    else if (uses >= 2) this.protect(index, { data, uses });
    else this.probation.set(index, { data, uses });
    this.evict();
  }

  /**
   * Lowers the budget to `budget` (never raises it) and lets go of the pinned
   * blocks and the oldest others until the rest fit; pins nothing after.
   */
  shrink(budget: number): void {
    this.pinningOver = true;
    this.pinnedBlocks = new Set();
    for (const entry of this.pinned.values()) this.totalBytes -= entry.data.length;
    this.pinned.clear();
    this.budgetBytes = Math.min(this.budgetBytes, budget);
    this.protectedBudget = Math.floor(this.budgetBytes * this.protectedShare);
    this.rebalance();
    this.evict();
  }

  clear(): void {
    this.probation.clear();
    this.protected.clear();
    this.pinned.clear();
    this.protectedBytes = 0;
    this.totalBytes = 0;
  }

  private protect(index: number, entry: Entry): void {
    this.protected.set(index, entry);
    this.protectedBytes += entry.data.length;
    this.rebalance();
  }

  private rebalance(): void {
    // Over its share, the protected segment's oldest go back to probation as newest.
    for (const [oldest, old] of this.protected) {
      if (this.protectedBytes <= this.protectedBudget) break;
      this.protected.delete(oldest);
      this.protectedBytes -= old.data.length;
      this.probation.set(oldest, old);
    }
  }

  private evict(): void {
    // Pinned blocks are never evicted: `pin` sized the budget to hold them.
    while (this.totalBytes > this.budgetBytes) {
      const fromProbation = this.probation.size > 0;
      const segment = fromProbation ? this.probation : this.protected;
      const first = segment.entries().next().value;
      if (!first) return;
      const [oldest, old] = first;
      segment.delete(oldest);
      this.totalBytes -= old.data.length;
      if (!fromProbation) this.protectedBytes -= old.data.length;
    }
    this.peakBytes = Math.max(this.peakBytes, this.totalBytes);
  }
}
