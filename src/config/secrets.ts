import { SETTINGS, type SettingKey, type SettingSpec } from "./settings-table.js";
import type { ConfigOrigin, ConfigValue, ResolvedConfig } from "./resolve.js";

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** The configuration as `playclips config` prints it: secrets never shown. */
export function redactedConfig(config: ResolvedConfig): Record<string, { value: ConfigValue; from: ConfigOrigin }> {
  const shown: Record<string, { value: ConfigValue; from: ConfigOrigin }> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const key = spec.key as SettingKey;
    const value = config.values[key];
    const from = config.origins[key];
    if (value === undefined || !from) continue;
    const isUrl = typeof value === "string" && POSTGRES_URL.test(value);
    shown[key] = { value: spec.secret || isUrl ? redact(value) : value, from };
  }
  return shown;
}

/** A URL keeps its host so people can tell which database it is; everything else secret is hidden. */
function redact(value: ConfigValue): string {
  if (typeof value === "string" && POSTGRES_URL.test(value)) {
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
      if (POSTGRES_URL.test(value)) {
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

/** The queue URL is not a setting, so scrubSecrets does not know its password: messages pass through this too. */
export function scrubUrlPassword(message: string, url: string): string {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password ? message.split(password).join("[redacted]") : message;
  } catch {
    return message;
  }
}
