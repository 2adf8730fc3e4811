import { createHash } from "node:crypto";
import { ValidationError } from "../domain/errors.js";
import { PLAY_COLUMNS, type PlayAngle, type RawPlayRow } from "../domain/types.js";

/** Column order of a demo play row; the first six are the ones the pipeline knows. */
export const DEMO_PLAY_COLUMNS = [
  ...PLAY_COLUMNS,
  "quarter",
  "offense_team",
  "players",
] as const;

export const DEMO_PLAY_TYPES = [
  "pick_and_roll",
  "isolation",
  "fast_break",
  "post_up",
  "spot_up",
  "transition",
  "off_screen",
  "handoff",
  "cut",
] as const;

export const MIN_PLAY_SEC = 3;
export const MAX_PLAY_SEC = 12;
/** Plays stop this far before the end, so a clip never needs the video's last frames. */
export const END_MARGIN_SEC = 1;
/** The shortest video that still holds a minimum play with margins on both sides. */
export const MIN_DEMO_DURATION_SEC = 10;
const SECONDS_PER_PLAY = 15;
const NULL_TYPE_SHARE = 0.15;
const OVERLAP_SHARE = 0.25;

/**
 * A UUID (version-4 layout) that is a pure function of seed and label, so demo
 * ids look like production ids yet the same seed always names the same games.
 */
export function demoUuid(seed: string, label: string): string {
  const bytes = createHash("sha256").update(`playclips-demo-uuid\0${seed}\0${label}`).digest().subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Uniform numbers in [0, 1) from sha256(seed, counter): slow next to a real
 * PRNG but it only draws a few hundred numbers, needs no state beyond a
 * counter, and gives the same sequence on every platform and Node version.
 */
class SeededRandom {
  private counter = 0;

  constructor(private readonly seed: string) {}

  next(): number {
    const digest = createHash("sha256").update(`${this.seed}\0${this.counter++}`).digest();
    return digest.readUInt32BE(0) / 0x1_0000_0000;
  }

  between(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new Error("pick from an empty list");
    return item;
  }
}

interface DraftPlay {
  angle: PlayAngle;
  start: number;
  end: number;
  playType: string | null;
}

/**
 * Plays as a play source would deliver them for one game, sorted by start:
 * 3-12 s long, spread over the video, on both sides, some overlapping the one
 * before, most with a play type. With two or more plays the rows always hold
 * LEFT and RIGHT, an overlap, a typed and an untyped play, so every demo
 * exercises those paths whatever the seed.
 */
export function makeDemoPlays(gameId: string, options: { durationSec: number; seed: string; count?: number }): RawPlayRow[] {
  const { durationSec, seed } = options;
  if (!Number.isFinite(durationSec) || durationSec < MIN_DEMO_DURATION_SEC) {
    throw new ValidationError(`demo videos must last at least ${MIN_DEMO_DURATION_SEC} s to hold a play, got ${durationSec} s`);
  }
  const count = options.count ?? Math.max(2, Math.round(durationSec / SECONDS_PER_PLAY));
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    throw new ValidationError(`demo play count must be an integer from 1 to 100000, got ${count}`);
  }

  const random = new SeededRandom(`${seed}\0${gameId}`);
  // Every time is kept at two decimals from the start, so rounding can never
  // push an end past the margin or a length under the minimum.
  const lastEnd = floor2(durationSec - END_MARGIN_SEC);
  const firstStart = lastEnd >= MAX_PLAY_SEC + 1 ? 1 : 0;
  const slot = (lastEnd - firstStart) / count;
  const drafts: DraftPlay[] = [];

  for (let i = 0; i < count; i++) {
    const previous = drafts[i - 1];
    const length = round2(random.between(MIN_PLAY_SEC, MAX_PLAY_SEC));
    const overlaps = previous !== undefined && (i === 1 || random.next() < OVERLAP_SHARE);
    const wanted = overlaps
      ? previous.start + (previous.end - previous.start) * random.between(0.2, 0.7)
      : firstStart + slot * i + random.between(0, slot * 0.4);
    // Near the end a play is moved earlier rather than cut below the minimum
    // length; an overlapping one then still overlaps, as it only grows leftwards.
    const start = Math.max(0, Math.min(round2(wanted), round2(lastEnd - length)));
    let angle: PlayAngle = random.next() < 0.5 ? "LEFT" : "RIGHT";
    if (overlaps && (i === 1 || random.next() < 0.7)) angle = previous.angle === "LEFT" ? "RIGHT" : "LEFT";
    const untyped = i > 0 && random.next() < NULL_TYPE_SHARE;
    const end = round2(Math.min(start + length, lastEnd));
    drafts.push({ angle, start, end, playType: untyped ? null : random.pick(DEMO_PLAY_TYPES) });
  }
  const last = drafts[drafts.length - 1];
  if (count >= 2 && last && drafts.every((play) => play.playType !== null)) last.playType = null;

  const teams = ["HOME", "AWAY"] as const;
  const ordered = drafts.map((play, index) => ({ play, index }));
  ordered.sort((a, b) => a.play.start - b.play.start || a.index - b.index);
  return ordered.map(({ play, index }) => ({
    id: demoUuid(seed, `${gameId}/play/${index}`),
    game_id: gameId,
    angle: play.angle,
    start_timestamp: play.start,
    end_timestamp: play.end,
    play_type: play.playType,
    // The quarter follows the position in the video, as if it were a compressed game.
    quarter: Math.min(4, Math.floor((play.start / durationSec) * 4) + 1),
    offense_team: random.pick(teams),
    players: 1 + Math.floor(random.next() * 5),
  }));
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function floor2(value: number): number {
  return Math.floor(value * 100) / 100;
}
