import { describe, expect, it } from "vitest";
import type { RawPlayRow } from "../../src/domain/types.js";
import { validatePlayRows } from "../../src/domain/validate-plays.js";
import type { PlaySource } from "../../src/sources/play-source.js";

export type PlaySourceFactory = (
  rows: RawPlayRow[],
) => Promise<{
  source: PlaySource;
  cleanup: () => Promise<void>;
  /**
   * Where a user finds rows[index] in this source (a file's line or array
   * index). Without it, rows are numbered in the order the source returns them
   * (a database: ORDER BY start_timestamp, id).
   */
  rowOf?: (index: number) => number;
}>;

// Rows hold only what a typed table (text ids and angle, numeric timestamps,
// text play_type) can store, so a database source can pass every case.
function play(id: string, gameId: string, start: number, end: number, extra: RawPlayRow = {}): RawPlayRow {
  return { id, game_id: gameId, angle: "LEFT", start_timestamp: start, end_timestamp: end, play_type: "drive", ...extra };
}

const ids = (rows: RawPlayRow[]): string[] => rows.map((row) => String(row.id));

/**
 * The behaviour every PlaySource must have. Sources may hand values back as
 * their driver gives them (numeric strings, numbers), so checks go through
 * Number()/String() or validatePlayRows rather than comparing raw values.
 */
export function describePlaySourceContract(name: string, factory: PlaySourceFactory): void {
  async function withSource(rows: RawPlayRow[], check: (source: PlaySource, rowOf?: (index: number) => number) => Promise<void>): Promise<void> {
    const { source, cleanup, rowOf } = await factory(rows);
    try {
      await check(source, rowOf);
    } finally {
      await cleanup();
    }
  }

  describe(`PlaySource contract: ${name}`, () => {
    it("returns one game's rows ordered by start_timestamp", async () => {
      const rows = [play("c", "g1", 30, 35), play("a", "g1", 5, 9.5), play("b", "g1", 12.25, 14)];
      await withSource(rows, async (source) => {
        const fetched = await source.fetchPlays("g1");
        expect(ids(fetched)).toEqual(["a", "b", "c"]);
        expect(fetched.map((row) => Number(row.start_timestamp))).toEqual([5, 12.25, 30]);
        expect(fetched.map((row) => Number(row.end_timestamp))).toEqual([9.5, 14, 35]);
      });
    });

    it("leaves out other games' rows", async () => {
      const rows = [play("a1", "g1", 1, 2), play("b1", "g2", 1, 2), play("a2", "g1", 3, 4), play("c1", "g10", 0, 1)];
      await withSource(rows, async (source) => {
        expect(ids(await source.fetchPlays("g1"))).toEqual(["a1", "a2"]);
        expect(ids(await source.fetchPlays("g2"))).toEqual(["b1"]);
        expect(ids(await source.fetchPlays("g10"))).toEqual(["c1"]);
      });
    });

    it("returns [] for a game it does not know", async () => {
      await withSource([play("a", "g1", 1, 2)], async (source) => {
        expect(await source.fetchPlays("nope")).toEqual([]);
      });
    });

    it("lists each game once, sorted", async () => {
      const rows = [play("1", "g2", 0, 1), play("2", "g1", 0, 1), play("3", "g2", 2, 3), play("4", "g3", 0, 1)];
      await withSource(rows, async (source) => {
        expect(await source.listGames()).toEqual(["g1", "g2", "g3"]);
      });
    });

    it("keeps extra columns, which validation turns into metadata", async () => {
      const rows = [play("a", "g1", 1, 2, { quarter: 2, note: "fast break" }), play("b", "g1", 3, 4, { quarter: 3, note: null })];
      await withSource(rows, async (source) => {
        const fetched = await source.fetchPlays("g1");
        expect(fetched.map((row) => String(row.quarter))).toEqual(["2", "3"]);
        expect(fetched[0]?.note).toBe("fast break");
        const { plays, rejected } = validatePlayRows("g1", fetched);
        expect(rejected).toEqual([]);
        expect(plays.map((p) => Object.keys(p.metadata).sort())).toEqual([
          ["note", "quarter"],
          ["note", "quarter"],
        ]);
        expect(plays[0]?.metadata.note).toBe("fast break");
        expect(Number(plays[1]?.metadata.quarter)).toBe(3);
        expect(plays[1]?.metadata.note ?? null).toBeNull();
      });
    });

    it("returns a large game whole (2,500 plays)", async () => {
      const rows: RawPlayRow[] = [];
      // Inserted newest first so a source that forgets to order, or stops at a page, shows it.
      for (let i = 2499; i >= 0; i--) rows.push(play(`p${i}`, "big", i * 2, i * 2 + 1.5));
      rows.push(play("other", "small", 0, 1));
      await withSource(rows, async (source) => {
        const fetched = await source.fetchPlays("big");
        expect(fetched).toHaveLength(2500);
        expect(ids(fetched)).toEqual(Array.from({ length: 2500 }, (_, i) => `p${i}`));
        const { plays, rejected } = validatePlayRows("big", fetched);
        expect(rejected).toEqual([]);
        expect(plays).toHaveLength(2500);
      });
    });

    it("hands bad rows to validation, which rejects them and keeps the good ones", async () => {
      const rows = [
        play("good1", "g1", 1, 4),
        play("backwards", "g1", 15, 12),
        play("empty", "g1", 20, 20),
        play("negative", "g1", -1, 3),
        play("sideways", "g1", 30, 32, { angle: "UP" }),
        play("lower", "g1", 40, 42, { angle: " right ", play_type: null }),
        play("bad/id", "g1", 50, 52),
        play("good2", "g1", 60, 62, { play_type: "" }),
      ];
      await withSource(rows, async (source, rowOf) => {
        const fetched = await source.fetchPlays("g1");
        expect(fetched).toHaveLength(rows.length);
        const { plays, rejected } = validatePlayRows("g1", fetched);

        expect(plays.map((p) => [p.id, p.angle, p.playType])).toEqual([
          ["good1", "LEFT", "drive"],
          ["lower", "RIGHT", null],
          ["good2", "LEFT", null],
        ]);
        const reasons = Object.fromEntries(rejected.map((r) => [r.playId ?? "(none)", r.reason]));
        expect(Object.keys(reasons).sort()).toEqual(["(none)", "backwards", "empty", "negative", "sideways"]);
        expect(reasons.backwards).toContain("end_timestamp 12 is not after start_timestamp 15");
        expect(reasons.empty).toContain("end_timestamp 20 is not after start_timestamp 20");
        expect(reasons.negative).toContain("start_timestamp -1 is negative");
        expect(reasons.sideways).toContain('angle "UP" is not LEFT or RIGHT');
        expect(reasons["(none)"]).toContain('"bad/id"');
        // A rejection names the row where a user finds it in the source; without a place, the order the source returned.
        for (const r of rejected) {
          const id = r.playId ?? "bad/id";
          const expected = rowOf ? rowOf(rows.findIndex((row) => row.id === id)) : fetched.findIndex((row) => String(row.id) === id) + 1;
          expect(r.row, id).toBe(expected);
        }
      });
    });
  });
}
