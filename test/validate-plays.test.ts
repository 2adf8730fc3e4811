import { describe, expect, it } from "vitest";
import type { RawPlayRow } from "../src/domain/types.js";
import { numericValue, ROW_ERROR_KEY, validatePlayRows } from "../src/domain/validate-plays.js";

function row(extra: RawPlayRow = {}): RawPlayRow {
  return { id: "p1", game_id: "g1", angle: "LEFT", start_timestamp: 10, end_timestamp: 12, play_type: "drive", ...extra };
}

/** The single rejection reason for one row, failing when the row was accepted. */
function reasonFor(extra: RawPlayRow): string {
  const { plays, rejected } = validatePlayRows("g1", [row(extra)]);
  expect(plays).toEqual([]);
  expect(rejected).toHaveLength(1);
  return rejected[0]?.reason ?? "";
}

describe("validatePlayRows: accepted rows", () => {
  it("builds a Play from a clean row", () => {
    const { plays, rejected } = validatePlayRows("g1", [row({ quarter: 2 })]);
    expect(rejected).toEqual([]);
    expect(plays).toEqual([
      { id: "p1", gameId: "g1", angle: "LEFT", start: 10, end: 12, playType: "drive", metadata: { quarter: 2 } },
    ]);
  });

  it("normalises angle case and whitespace", () => {
    const { plays } = validatePlayRows("g1", [row({ angle: " left " }), row({ id: "p2", angle: "Right" })]);
    expect(plays.map((p) => p.angle)).toEqual(["LEFT", "RIGHT"]);
  });

  it("accepts timestamps as numbers, numeric strings and Postgres numeric text", () => {
    const rows = [
      row({ id: "a", start_timestamp: "1.5", end_timestamp: " 2 " }),
      row({ id: "b", start_timestamp: "3.500", end_timestamp: "4.250000" }),
      row({ id: "c", start_timestamp: 0, end_timestamp: 1e1 }),
      row({ id: "d", start_timestamp: 5n, end_timestamp: "6e0" }),
    ];
    const { plays, rejected } = validatePlayRows("g1", rows);
    expect(rejected).toEqual([]);
    expect(plays.map((p) => [p.id, p.start, p.end])).toEqual([
      ["c", 0, 10],
      ["a", 1.5, 2],
      ["b", 3.5, 4.25],
      ["d", 5, 6],
    ]);
  });

  it("turns numeric ids into strings and trims ids", () => {
    const { plays } = validatePlayRows("g1", [row({ id: 42 }), row({ id: " p7 ", start_timestamp: 20, end_timestamp: 21 })]);
    expect(plays.map((p) => p.id)).toEqual(["42", "p7"]);
  });

  it("accepts a matching or absent game_id, including a numeric one", () => {
    const { plays, rejected } = validatePlayRows("17", [
      row({ id: "a", game_id: 17 }),
      row({ id: "b", game_id: "17" }),
      row({ id: "c", game_id: null }),
      row({ id: "d", game_id: undefined }),
    ]);
    expect(rejected).toEqual([]);
    expect(plays.map((p) => p.gameId)).toEqual(["17", "17", "17", "17"]);
  });

  it("makes an empty or missing play_type null", () => {
    const { plays } = validatePlayRows("g1", [
      row({ id: "a", play_type: "" }),
      row({ id: "b", play_type: null }),
      row({ id: "c", play_type: undefined }),
      row({ id: "d", play_type: "  " }),
    ]);
    expect(plays.map((p) => p.playType)).toEqual([null, null, null, null]);
  });

  it("keeps every other column as given in metadata, dropping undefined values", () => {
    const nested = { x: [1, 2] };
    const { plays } = validatePlayRows("g1", [row({ quarter: "2", note: null, score: 10, nested, gone: undefined })]);
    expect(plays[0]?.metadata).toEqual({ quarter: "2", note: null, score: 10, nested });
    expect(plays[0]?.metadata.nested).toBe(nested);
  });

  it("sorts plays by start, then id", () => {
    const { plays } = validatePlayRows("g1", [
      row({ id: "z", start_timestamp: 5, end_timestamp: 6 }),
      row({ id: "b", start_timestamp: 1, end_timestamp: 2 }),
      row({ id: "a", start_timestamp: 5, end_timestamp: 7 }),
    ]);
    expect(plays.map((p) => p.id)).toEqual(["b", "a", "z"]);
  });
});

describe("validatePlayRows: rejected rows", () => {
  it.each([
    [{ id: undefined }, "id is missing"],
    [{ id: "" }, "id is missing"],
    [{ id: "   " }, "id is missing"],
    [{ id: null }, "id is missing"],
    [{ id: "../etc" }, 'id "../etc" is not usable as a file name'],
    [{ id: "a/b" }, 'id "a/b" is not usable as a file name'],
    [{ id: ".hidden" }, 'id ".hidden" is not usable'],
    [{ angle: "UP" }, 'angle "UP" is not LEFT or RIGHT'],
    [{ angle: "L" }, 'angle "L" is not LEFT or RIGHT'],
    [{ angle: 1 }, "angle 1 is not LEFT or RIGHT"],
    [{ angle: null }, "angle is missing"],
    [{ angle: "" }, "angle is missing"],
    [{ start_timestamp: undefined }, "start_timestamp is missing"],
    [{ start_timestamp: null }, "start_timestamp is missing"],
    [{ start_timestamp: "" }, "start_timestamp is missing"],
    [{ end_timestamp: "abc" }, 'end_timestamp "abc" is not a number'],
    [{ start_timestamp: "1:30" }, 'start_timestamp "1:30" is not a number'],
    [{ start_timestamp: "0x10" }, 'start_timestamp "0x10" is not a number'],
    [{ start_timestamp: "Infinity" }, 'start_timestamp "Infinity" is not a number'],
    [{ start_timestamp: true }, "start_timestamp true is not a number"],
    [{ start_timestamp: Number.NaN }, "start_timestamp NaN is not a finite number"],
    [{ end_timestamp: Number.POSITIVE_INFINITY }, "end_timestamp Infinity is not a finite number"],
    [{ start_timestamp: -1 }, "start_timestamp -1 is negative"],
    [{ start_timestamp: "-0.5" }, "start_timestamp -0.5 is negative"],
    [{ start_timestamp: 15, end_timestamp: 12 }, "end_timestamp 12 is not after start_timestamp 15"],
    [{ start_timestamp: "12.000", end_timestamp: 12 }, "end_timestamp 12 is not after start_timestamp 12"],
    [{ game_id: "g2" }, 'game_id "g2" is not "g1"'],
    [{ play_type: { a: 1 } }, 'play_type {"a":1} is not text'],
  ])("rejects %o", (extra, expected) => {
    expect(reasonFor(extra)).toContain(expected);
  });

  it("reports every problem of a row, not only the first", () => {
    const reason = reasonFor({ angle: "UP", start_timestamp: -3 });
    expect(reason).toBe('angle "UP" is not LEFT or RIGHT; start_timestamp -3 is negative');
  });

  it("records the 1-based row and the id when the id is usable", () => {
    const { rejected } = validatePlayRows("g1", [row(), row({ id: "p2", angle: "X" }), row({ id: "a/b", angle: "X" })]);
    expect(rejected.map((r) => [r.row, r.playId])).toEqual([
      [2, "p2"],
      [3, null],
    ]);
  });

  it("rejects a row a source marked as unreadable with the source's reason", () => {
    const { plays, rejected } = validatePlayRows("g1", [row(), { id: "p9", [ROW_ERROR_KEY]: "row has 3 cells, header has 6" }]);
    expect(plays).toHaveLength(1);
    expect(rejected).toEqual([{ row: 2, playId: "p9", reason: "row has 3 cells, header has 6" }]);
  });

  it("rejects a value that is not an object", () => {
    const { rejected } = validatePlayRows("g1", [null as unknown as RawPlayRow]);
    expect(rejected).toEqual([{ row: 1, playId: null, reason: "row null is not an object" }]);
  });

  it("never lets the marker or the known columns into metadata", () => {
    const { plays } = validatePlayRows("g1", [row({ [ROW_ERROR_KEY]: "" })]);
    expect(plays[0]?.metadata).toEqual({});
  });
});

describe("validatePlayRows: duplicate ids", () => {
  it("rejects every row sharing an id, naming the other rows", () => {
    const rows = [
      row({ id: "dup" }),
      row({ id: "ok", start_timestamp: 1, end_timestamp: 2 }),
      row({ id: "dup", start_timestamp: 20, end_timestamp: 25 }),
      row({ id: " dup", start_timestamp: 30, end_timestamp: 35 }),
    ];
    const { plays, rejected } = validatePlayRows("g1", rows);
    expect(plays.map((p) => p.id)).toEqual(["ok"]);
    expect(rejected).toEqual([
      { row: 1, playId: "dup", reason: 'id "dup" is also used by rows 3, 4' },
      { row: 3, playId: "dup", reason: 'id "dup" is also used by rows 1, 4' },
      { row: 4, playId: "dup", reason: 'id "dup" is also used by rows 1, 3' },
    ]);
  });

  it("counts a bad row that shares the id, since it may be the intended one", () => {
    const { plays, rejected } = validatePlayRows("g1", [row({ id: 5 }), row({ id: "5", angle: "UP" })]);
    expect(plays).toEqual([]);
    expect(rejected[0]?.reason).toBe('id "5" is also used by row 2');
    expect(rejected[1]?.reason).toBe('angle "UP" is not LEFT or RIGHT; id "5" is also used by row 1');
  });
});

describe("numericValue", () => {
  it("reads numbers the way drivers deliver them and nothing else", () => {
    expect([1.5, "2.50", " 3 ", 4n, ".5", "1e3"].map(numericValue)).toEqual([1.5, 2.5, 3, 4, 0.5, 1000]);
    expect(["", "abc", "NaN", "0x1", null, undefined, true, {}].map(numericValue)).toEqual(
      Array.from({ length: 8 }, () => null),
    );
  });
});
