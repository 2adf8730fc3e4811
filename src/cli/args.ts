import { parseArgs, type ParseArgsConfig } from "node:util";
import { ValidationError, errorMessage } from "../domain/errors.js";
import { SETTINGS } from "./settings.js";

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

/** The items of a list flag; duplicates are kept once, in first-seen order. */
export function listFlag(value: unknown): string[] {
  return [...new Set(splitList(value))];
}

export function positiveInt(name: string, value: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function positiveNumber(name: string, value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ValidationError(`--${name} must be a number above 0, got ${JSON.stringify(value)}`);
  return n;
}
