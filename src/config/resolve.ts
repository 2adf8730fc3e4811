import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { ValidationError, errorMessage } from "../domain/errors.js";
import { SETTINGS, type SettingKey, type SettingSpec } from "./settings-table.js";

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
