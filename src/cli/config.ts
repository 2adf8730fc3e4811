import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ValidationError, errorMessage } from "../domain/errors.js";
import { SETTINGS, type SettingKey, type SettingSpec } from "./settings.js";

export type ConfigValue = string | number | boolean;
export type RawConfig = Partial<Record<SettingKey, ConfigValue>>;
export type ConfigOrigin = "flag" | "env" | "file" | "default";

export interface ResolvedConfig {
  values: RawConfig;
  origins: Partial<Record<SettingKey, ConfigOrigin>>;
  file: string | null;
}

export const DEFAULT_CONFIG_FILE = "playclips.config.json";

function coerce(spec: SettingSpec, raw: unknown, origin: string): ConfigValue {
  if (spec.type === "number") {
    const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
    if (!Number.isFinite(n)) throw new ValidationError(`${origin}: ${spec.flag} must be a number, got ${JSON.stringify(raw)}`);
    return n;
  }
  if (spec.type === "boolean") {
    if (typeof raw === "boolean") return raw;
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0") return false;
    throw new ValidationError(`${origin}: ${spec.flag} must be true or false, got ${JSON.stringify(raw)}`);
  }
  if (typeof raw !== "string") throw new ValidationError(`${origin}: ${spec.flag} must be a string, got ${JSON.stringify(raw)}`);
  return raw;
}

async function readConfigFile(path: string, required: boolean): Promise<Record<string, unknown> | null> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ValidationError(`config file ${path} cannot be read: ${errorMessage(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`config file ${path} is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ValidationError(`config file ${path} must hold a JSON object of settings`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  const unknown = Object.keys(parsed).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new ValidationError(`config file ${path} has unknown settings: ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
  }
  const secrets = SETTINGS.filter((s) => "secret" in s && s.secret && s.key in parsed).map((s) => s.key);
  if (secrets.length > 0) {
    throw new ValidationError(`config file ${path} holds secrets (${secrets.join(", ")}): set them in the environment instead, never in a file`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Resolves every setting once, at the entry point: flags > environment >
 * config file > defaults. Nothing below the entry points reads the environment.
 */
export async function resolveConfig(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  options: { cwd: string; configFile?: string },
): Promise<ResolvedConfig> {
  const file = options.configFile ? resolve(options.cwd, options.configFile) : resolve(options.cwd, DEFAULT_CONFIG_FILE);
  const fromFile = await readConfigFile(file, options.configFile !== undefined);
  const values: RawConfig = {};
  const origins: ResolvedConfig["origins"] = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const key = spec.key as SettingKey;
    const envName = spec.env?.find((name) => env[name] !== undefined && env[name] !== "");
    let value: ConfigValue | undefined;
    let origin: ConfigOrigin | undefined;
    if (flags[spec.flag] !== undefined) {
      value = coerce(spec, flags[spec.flag], `--${spec.flag}`);
      origin = "flag";
    } else if (envName) {
      const raw = env[envName] ?? "";
      value = coerce(spec, spec.fromEnv ? spec.fromEnv(envName, raw) : raw, envName);
      origin = "env";
    } else if (fromFile && fromFile[spec.key] !== undefined) {
      value = coerce(spec, fromFile[spec.key], `${file} "${spec.key}"`);
      origin = "file";
    } else if (spec.default !== undefined) {
      value = spec.default;
      origin = "default";
    }
    if (value !== undefined && origin) {
      values[key] = value;
      origins[key] = origin;
    }
  }
  return { values, origins, file: fromFile ? file : null };
}

/** The configuration as `playclips config` prints it: secrets never shown. */
export function redactedConfig(config: ResolvedConfig): Record<string, { value: ConfigValue; from: ConfigOrigin }> {
  const shown: Record<string, { value: ConfigValue; from: ConfigOrigin }> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const key = spec.key as SettingKey;
    const value = config.values[key];
    const from = config.origins[key];
    if (value === undefined || !from) continue;
    const isUrl = typeof value === "string" && /^postgres(ql)?:\/\//.test(value);
    shown[key] = { value: spec.secret || isUrl ? redact(value) : value, from };
  }
  return shown;
}

/** A URL keeps its host so people can tell which database it is; everything else secret is hidden. */
function redact(value: ConfigValue): string {
  if (typeof value === "string" && /^postgres(ql)?:\/\//.test(value)) {
    try {
      const url = new URL(value);
      return `${url.protocol}//${url.username ? "[redacted]@" : ""}${url.host}${url.pathname}`;
    } catch {
      return "[redacted]";
    }
  }
  return "[redacted]";
}

/**
 * Replaces every secret the environment holds (keys, database passwords) in a
 * message, so that an error a library builds from its inputs cannot leak one.
 */
export function scrubSecrets(message: string, env: NodeJS.ProcessEnv, flags: Record<string, unknown> = {}): string {
  let out = message;
  for (const secret of secretValues(env, flags)) out = out.split(secret).join("[redacted]");
  return out;
}

function secretValues(env: NodeJS.ProcessEnv, flags: Record<string, unknown>): string[] {
  const secrets: string[] = [];
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    for (const value of [flags[spec.flag], ...(spec.env ?? []).map((name) => env[name])]) {
      if (typeof value !== "string" || value === "") continue;
      // A plays URL is not a secret as a whole, but its password is.
      if (spec.secret) secrets.push(value);
      if (/^postgres(ql)?:\/\//.test(value)) {
        try {
          const password = decodeURIComponent(new URL(value).password);
          if (password) secrets.push(password);
        } catch {
          // An unparsable URL is already covered as a whole.
        }
      }
    }
  }
  // Longest first, so a URL is replaced whole before its password alone.
  return secrets.sort((a, b) => b.length - a.length);
}
