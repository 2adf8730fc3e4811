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
 */
export class SegmentedLru {
  // A Map iterates in insertion order: re-inserting on a hit keeps the oldest first.
  private readonly probation = new Map<number, Entry>();
  private readonly protected = new Map<number, Entry>();
  private protectedBytes = 0;
  private totalBytes = 0;
  private peakBytes = 0;
  private readonly protectedBudget: number;

  constructor(
    readonly budget: number,
    protectedShare = 0.5,
  ) {
    this.protectedBudget = Math.floor(budget * protectedShare);
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
    return this.probation.has(index) || this.protected.has(index);
  }

  /** The block, if held; a reader's lookup (`use`) counts toward protecting it. */
  get(index: number, use: boolean): Buffer | undefined {
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
    if (data.length > this.budget || this.has(index)) return;
    this.totalBytes += data.length;
    if (uses >= 2) this.protect(index, { data, uses });
    else this.probation.set(index, { data, uses });
    this.evict();
  }

  clear(): void {
    this.probation.clear();
    this.protected.clear();
    this.protectedBytes = 0;
    this.totalBytes = 0;
  }

  private protect(index: number, entry: Entry): void {
    this.protected.set(index, entry);
    this.protectedBytes += entry.data.length;
    // Over its share, the protected segment's oldest go back to probation as newest.
    for (const [oldest, old] of this.protected) {
      if (this.protectedBytes <= this.protectedBudget) break;
      this.protected.delete(oldest);
      this.protectedBytes -= old.data.length;
      this.probation.set(oldest, old);
    }
  }

  private evict(): void {
    while (this.totalBytes > this.budget) {
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
