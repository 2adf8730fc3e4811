import { Readable } from "node:stream";
import { parse, CsvError, type Options } from "csv-parse";
import { PlaySourceError } from "../domain/errors.js";
import type { RawPlayRow } from "../domain/types.js";
import { ROW_ERROR_KEY, SOURCE_ROW_KEY } from "../domain/validate-plays.js";

export type CsvRecord = Record<string, string | number | null>;

// Read leniently where spreadsheets are sloppy: CRLF, LF or a lone CR ends a
// record (mixed in one file too), a stray quote inside a field is kept, blank
// lines are skipped. Only an unterminated quote is an error, because
// everything after it would be swallowed into one field.
const OPTIONS: Options = {
  bom: true,
  info: true,
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
  record_delimiter: ["\r\n", "\n", "\r"],
};

function checkHeader(cells: string[], source: string): string[] {
  const names = cells.map((name) => name.trim());
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === "") throw new PlaySourceError(source, `header column ${index + 1} has no name: name it or remove the column`);
    if (seen.has(name)) throw new PlaySourceError(source, `header column "${name}" appears twice: column names must be unique`);
    seen.add(name);
  });
  return names;
}

/**
 * The rows of a CSV, read as a stream (memory holds one record, not the
 * file), keyed by header name. An empty cell is null, as a NULL column would
 * be from a database. Each row carries SOURCE_ROW_KEY, the file line it
 * starts on (the header is line 1), so a rejection names the line a user
 * finds in an editor; a row whose cell count differs from the header keeps
 * what it has and carries ROW_ERROR_KEY, so validation rejects it.
 */
export async function* csvRows(input: Readable | string, source = "csv"): AsyncGenerator<CsvRecord> {
  // The parser runs ahead of this loop, so where it stopped is tracked as it parses.
  let parsedTo = 0;
  const options: Options = {
    ...OPTIONS,
    on_record: (record, context) => {
      parsedTo = context.lines;
      return record;
    },
  };
  const parser = (typeof input === "string" ? Readable.from([input]) : input).pipe(parse(options));
  let names: string[] | null = null;
  // A record starts on the line after the previous one ended, past any blank lines skipped since.
  let endedOn = 0;
  let blanks = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number; empty_lines: number } }>) {
      const line = endedOn + 1 + (info.empty_lines - blanks);
      endedOn = info.lines;
      blanks = info.empty_lines;
      if (names === null) {
        names = checkHeader(record, source);
        continue;
      }
      const row: CsvRecord = { [SOURCE_ROW_KEY]: line };
      names.forEach((name, column) => {
        const cell = record[column];
        if (cell !== undefined) row[name] = cell === "" ? null : cell;
      });
      if (record.length !== names.length) row[ROW_ERROR_KEY] = `row has ${record.length} cells, header has ${names.length} (line ${line})`;
      yield row;
    }
  } catch (error) {
    if (error instanceof CsvError && error.code === "CSV_QUOTE_NOT_CLOSED") {
      throw new PlaySourceError(
        source,
        `unterminated quoted field in the row starting on line ${parsedTo + 1}: close the quote ('"') or double quotes inside the field ('""')`,
        { cause: error },
      );
    }
    if (error instanceof CsvError) throw new PlaySourceError(source, `is not readable CSV near line ${parsedTo + 1}: ${error.message}`, { cause: error });
    throw error;
  }
  if (names === null) {
    throw new PlaySourceError(source, "the CSV has no header row: the first line must name the columns (id,game_id,angle,...)");
  }
}

/** Every row of a CSV text, for callers that hold the whole text anyway. */
export async function csvRecords(text: string, source = "csv"): Promise<RawPlayRow[]> {
  const rows: RawPlayRow[] = [];
  for await (const row of csvRows(text, source)) rows.push(row);
  return rows;
}
