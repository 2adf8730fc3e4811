import { redactedConfig } from "../../config/secrets.js";
import { loadSettings } from "../../config/settings.js";
import { SETTINGS } from "../../config/settings-table.js";
import { parseFlags, settingFlags } from "../args.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const CONFIG_HELP = `playclips config [--json] [any setting flag]

Prints the resolved configuration (flags > environment > config file >
defaults), with where each value came from, after checking every value as
the other commands do. Secrets are never printed.`;

export async function configCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, { ...settingFlags(), json: { type: "boolean" } });
  const { config } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const shown = redactedConfig(config);
  if (values.json) {
    io.stdout.write(`${JSON.stringify({ file: config.file, settings: shown }, null, 2)}\n`);
    return 0;
  }
  const rows = SETTINGS.map((s) => [
    s.key,
    shown[s.key] ? String(shown[s.key]?.value) : "",
    shown[s.key]?.from ?? "",
    `--${s.flag}${s.env ? ` / ${s.env.join(", ")}` : ""}`,
  ]);
  io.stdout.write(`config file: ${config.file ?? "(none)"}\n${formatTable(["setting", "value", "from", "flag / env"], rows)}\n`);
  return 0;
}
