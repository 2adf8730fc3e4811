import { parseArgs, type ParseArgsConfig } from "node:util";
import { ValidationError, errorMessage } from "../domain/errors.js";
import { parseGameId, type GameId } from "../domain/ids.js";
import { SETTINGS } from "../config/settings-table.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** The flags every pipeline command shares: one per setting, plus --config. */
export function settingFlags(): Options {
  const options: Options = { config: { type: "string" } };
  for (const spec of SETTINGS) options[spec.flag] = { type: "string" };
  return options;
}

/** Parses argv strictly, so a misspelt flag is an error instead of being ignored. */
export function parseFlags(args: string[], options: Options): { values: Record<string, unknown>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: parsed.values as Record<string, unknown>, positionals: parsed.positionals };
  } catch (error) {
    throw new ValidationError(errorMessage(error).replace(/^TypeError \[[A-Z_]+\]: /, ""));
  }
}

/** Splits "a,b c" into its items, as given. */
export function splitList(value: unknown): string[] {
  return typeof value === "string" ? value.split(/[\s,]+/).filter((v) => v !== "") : [];
}

/** The game ids of a list flag, parsed (UUIDs in lower case); duplicates kept once, in first-seen order. */
export function gameIdsFlag(value: unknown): GameId[] {
  return [...new Set(splitList(value).map(parseGameId))];
}
