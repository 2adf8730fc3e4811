import { PlaySourceError } from "../domain/errors.js";
import { ROW_ERROR_KEY } from "../domain/validate-plays.js";

export interface ParsedCsv {
  header: string[];
  rows: string[][];
  /** 1-based line of the file where each row starts (quoted newlines make rows span lines). */
  lines: number[];
}

/**
 * RFC 4180, read leniently where spreadsheets are sloppy: a lone CR or LF also
 * ends a record, text after a closing quote is kept, and blank lines are skipped.
 * Only an unterminated quote is an error, because everything after it is lost.
 */
export function parseCsv(text: string, source = "csv"): ParsedCsv {
  const records: string[][] = [];
  const lines: number[] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let inQuotes = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;

  const endField = (): void => {
    record.push(field);
    field = "";
  };
  const endRecord = (): void => {
    endField();
    const blank = record.length === 1 && record[0] === "" && !quoted;
    if (!blank) {
      records.push(record);
      lines.push(recordLine);
    }
    record = [];
    quoted = false;
  };

  const start = text.startsWith("\uFEFF") ? 1 : 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (ch === "\n" || (ch === "\r" && text[i + 1] !== "\n")) line++;
        field += ch;
      }
    } else if (ch === '"' && field === "") {
      inQuotes = true;
      quoted = true;
      quoteLine = line;
    } else if (ch === ",") {
      endField();
    } else if (ch === "\r" || ch === "\n") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
    }
  }

  if (inQuotes) {
    throw new PlaySourceError(
      source,
      `unterminated quoted field starting on line ${quoteLine}: close the quote ('"') or double quotes inside the field ('""')`,
    );
  }
  // A file without a trailing newline still ends its last record.
  if (field !== "" || record.length > 0 || quoted) endRecord();

  const [header = [], ...rows] = records;
  return { header, rows, lines: lines.slice(1) };
}

export type CsvRecord = Record<string, string | null>;

/**
 * Rows keyed by header name. An empty cell is null, as a NULL column would be
 * from a database, so an empty play_type is no play type. A row whose cell
 * count differs from the header keeps what it has and carries ROW_ERROR_KEY,
 * so validation rejects it with the rest of the game's bad rows.
 */
export function csvRecords(text: string, source = "csv"): CsvRecord[] {
  const { header, rows, lines } = parseCsv(text, source);
  const names = header.map((name) => name.trim());
  if (names.length === 0) {
    throw new PlaySourceError(source, "the CSV has no header row: the first line must name the columns (id,game_id,angle,...)");
  }
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === "") {
      throw new PlaySourceError(source, `header column ${index + 1} has no name: name it or remove the column`);
    }
    if (seen.has(name)) {
      throw new PlaySourceError(source, `header column "${name}" appears twice: column names must be unique`);
    }
    seen.add(name);
  });

  return rows.map((cells, index) => {
    const record: CsvRecord = {};
    names.forEach((name, column) => {
      const cell = cells[column];
      if (cell !== undefined) record[name] = cell === "" ? null : cell;
    });
    if (cells.length !== names.length) {
      const where = lines[index] === undefined ? "" : ` (line ${lines[index]})`;
      record[ROW_ERROR_KEY] = `row has ${cells.length} cells, header has ${names.length}${where}`;
    }
    return record;
  });
}
