import { ValidationError } from "../domain/errors.js";

// The checks every flag and setting goes through, so each kind of bad value gets one wording.

export function wholeNumber(flag: string, value: unknown, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ValidationError(`--${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export function positiveNumber(flag: string, value: unknown): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ValidationError(`--${flag} must be a number above 0, got ${JSON.stringify(value)}`);
  return n;
}

/** A number within [min, max]: for settings where a huge value would silently turn a check off. */
export function numberWithin(flag: string, value: unknown, min: number, max: number): number {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ValidationError(`--${flag} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}
