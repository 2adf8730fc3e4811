import { mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PlaySourceError } from "../../src/domain/errors.js";
import type { RawPlayRow } from "../../src/domain/types.js";
import { validatePlayRows } from "../../src/domain/validate-plays.js";
import { csvRecords } from "../../src/sources/csv.js";
import { createFilePlaySource } from "../../src/sources/file.js";
import { describePlaySourceContract } from "../contract/play-source.contract.js";

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function toCsv(rows: RawPlayRow[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const lines = [columns, ...rows.map((row) => columns.map((c) => row[c]))].map((cells) => cells.map(csvCell).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

const writers: Record<string, (rows: RawPlayRow[]) => string> = {
  csv: toCsv,
  json: (rows) => JSON.stringify(rows),
  jsonl: (rows) => rows.map((row) => JSON.stringify(row)).join("\n") + "\n",
};
// Where rows[i] is found: the CSV line after the header, the JSON array index, the JSONL line.
const rowOf: Record<string, (index: number) => number> = { csv: (i) => i + 2, json: (i) => i, jsonl: (i) => i + 1 };

for (const [ext, write] of Object.entries(writers)) {
  describePlaySourceContract(`file (.${ext})`, async (rows) => {
    const dir = await mkdtemp(join(tmpdir(), "playclips-file-"));
    const path = join(dir, `plays.${ext}`);
    await writeFile(path, write(rows));
    return { source: createFilePlaySource({ path }), cleanup: () => rm(dir, { recursive: true, force: true }), rowOf: rowOf[ext] };
  });
}

const cellsOf = (rows: RawPlayRow[]): unknown[][] => rows.map((row) => Object.entries(row).filter(([k]) => k !== "__row").map(([, v]) => v));

describe("csvRows (csv-parse, streamed)", () => {
  it("reads quotes, doubled quotes, embedded commas and newlines, CRLF and a BOM, with each row's first line", async () => {
    const text = '\uFEFFid,note\r\n1,"a, b"\r\n2,"say ""hi""\nthen go"\r\n3,plain\r\n';
    const rows = await csvRecords(text);
    expect(rows).toEqual([
      { __row: 2, id: "1", note: "a, b" },
      { __row: 3, id: "2", note: 'say "hi"\nthen go' },
      { __row: 5, id: "3", note: "plain" },
    ]);
  });

  it("handles mixed line ends, a missing trailing newline, blank lines, empty and quoted-empty cells", async () => {
    const rows = await csvRecords('a,b\r\n\n1,\n"",2\r3,x');
    expect(cellsOf(rows)).toEqual([
      ["1", null],
      [null, "2"],
      ["3", "x"],
    ]);
    expect(rows.map((row) => row.__row)).toEqual([3, 4, 5]);
  });

  it("names the line of an unterminated quote", async () => {
    await expect(csvRecords('id,note\n1,ok\n2,"never closed\n3,x\n', "file:p.csv")).rejects.toThrow(
      /\[file:p\.csv\] unterminated quoted field in the row starting on line 3/,
    );
  });

  it("keys cells by trimmed header names and turns empty cells into null", async () => {
    expect(await csvRecords(" id , play_type ,note\np1,,x\n")).toEqual([{ __row: 2, id: "p1", play_type: null, note: "x" }]);
  });

  it("marks ragged rows so validation rejects them, at their line", async () => {
    const text = "id,game_id,angle,start_timestamp,end_timestamp\np1,g1,LEFT,1,2\np2,g1,LEFT,3\n\np3,g1,LEFT,5,6,extra\n";
    const { plays, rejected } = validatePlayRows("g1", await csvRecords(text));
    expect(plays.map((p) => p.id)).toEqual(["p1"]);
    expect(rejected).toEqual([
      { row: 3, playId: "p2", reason: "row has 4 cells, header has 5 (line 3)" },
      { row: 5, playId: "p3", reason: "row has 6 cells, header has 5 (line 5)" },
    ]);
  });

  it("refuses a missing header, or one with an empty or repeated column name", async () => {
    await expect(csvRecords("")).rejects.toThrow(/no header row/);
    await expect(csvRecords("id,,x\n")).rejects.toThrow(/header column 2 has no name/);
    await expect(csvRecords("id,a,a\n")).rejects.toThrow(/"a" appears twice/);
  });
});

describe("createFilePlaySource", () => {
  let dir = "";
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "playclips-file-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function sourceFor(name: string, text: string) {
    const path = join(dir, name);
    await writeFile(path, text);
    return createFilePlaySource({ path });
  }

  const header = "id,game_id,angle,start_timestamp,end_timestamp,play_type,note\n";

  it("reads quoted CSV fields with commas and newlines, and a BOM, as metadata", async () => {
    const source = await sourceFor("p.csv", `\uFEFF${header}p1,g1,left,1,2,,"fast, then ""lob""\nto rim"\n`);
    expect(source.name).toBe(`file:${join(dir, "p.csv")}`);
    const { plays } = validatePlayRows("g1", await source.fetchPlays("g1"));
    expect(plays).toEqual([
      { id: "p1", gameId: "g1", angle: "LEFT", start: 1, end: 2, playType: null, metadata: { note: 'fast, then "lob"\nto rim' } },
    ]);
  });

  it("hands a ragged CSV row to validation, which rejects it", async () => {
    const source = await sourceFor("p.csv", `${header}p1,g1,LEFT,1,2,drive,x\np2,g1,LEFT,3,4,drive,a,b\n`);
    const { plays, rejected } = validatePlayRows("g1", await source.fetchPlays("g1"));
    expect(plays.map((p) => p.id)).toEqual(["p1"]);
    expect(rejected).toEqual([{ row: 3, playId: "p2", reason: "row has 8 cells, header has 7 (line 3)" }]);
  });

  it("reports a bad JSONL line with its number and the JSON error", async () => {
    const good = (id: string, start: number) => JSON.stringify({ id, game_id: "g1", angle: "LEFT", start_timestamp: start, end_timestamp: start + 1 });
    const source = await sourceFor("p.ndjson", `${good("p2", 5)}\n{"id": "p3", "game_id": "g1",\n\n${good("p1", 1)}\n[1]\n`);
    expect(await source.listGames()).toEqual(["g1"]);
    const { plays, rejected } = validatePlayRows("g1", await source.fetchPlays("g1"));
    expect(plays.map((p) => p.id)).toEqual(["p1", "p2"]);
    expect(rejected.map((r) => [r.row, r.playId])).toEqual([
      [2, null],
      [5, null],
    ]);
    expect(rejected[0]?.reason).toMatch(/^line 2 is not valid JSON: .+/);
    expect(rejected[1]?.reason).toBe("line 5 is not a JSON object");
    expect(await source.fetchPlays("other")).toEqual([]);
  });

  it('reads a JSON {"plays": [...]} object and rejects a non-object item', async () => {
    const source = await sourceFor("p.json", JSON.stringify({ plays: [{ id: "a", game_id: 7, start_timestamp: "2" }, "oops"] }));
    expect(await source.listGames()).toEqual(["7"]);
    const rows = await source.fetchPlays("7");
    expect(rows).toEqual([
      { id: "a", game_id: 7, start_timestamp: "2", __row: 0 },
      { __error: "play 1 in the JSON array (counted from 0) is not an object", __row: 1 },
    ]);
  });

  it("puts rows without a numeric start last, keeping their order", async () => {
    const source = await sourceFor("p.csv", `${header}a,g1,LEFT,x,1,,\nb,g1,LEFT,10,11,,\nc,g1,LEFT,,1,,\nd,g1,LEFT,2.5,3,,\n`);
    expect((await source.fetchPlays("g1")).map((row) => row.id)).toEqual(["d", "b", "a", "c"]);
  });

  it("rereads the file when it changes", async () => {
    const source = await sourceFor("p.csv", `${header}a,g1,LEFT,1,2,,\n`);
    expect(await source.listGames()).toEqual(["g1"]);
    const path = join(dir, "p.csv");
    await writeFile(path, `${header}a,g2,LEFT,1,2,,\nb,g3,LEFT,1,2,,\n`);
    const later = new Date(Date.now() + 10_000);
    await utimes(path, later, later);
    expect(await source.listGames()).toEqual(["g2", "g3"]);
  });

  it("names a missing file and says what to do", async () => {
    const path = join(dir, "nope.csv");
    const source = createFilePlaySource({ path });
    const error = await source.fetchPlays("g1").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlaySourceError);
    expect((error as Error).message).toContain(`plays file "${path}" does not exist: check the path`);
  });

  it("refuses an unknown extension, JSON that holds no array, and broken JSON", async () => {
    expect(() => createFilePlaySource({ path: join(dir, "plays.xlsx") })).toThrow(/unsupported extension "\.xlsx": use \.csv/);
    await expect((await sourceFor("a.json", '{"rows": []}')).listGames()).rejects.toThrow(/holds no array of plays/);
    await expect((await sourceFor("b.json", "[{")).listGames()).rejects.toThrow(/b\.json" is not valid JSON/);
  });

  it("fails with the line number on an unterminated CSV quote", async () => {
    const source = await sourceFor("p.csv", `${header}a,g1,LEFT,1,2,,"open\n`);
    await expect(source.fetchPlays("g1")).rejects.toThrow(/unterminated quoted field in the row starting on line 2/);
  });
});
