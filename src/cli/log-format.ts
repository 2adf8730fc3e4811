import type { Settings } from "../config/settings.js";
import { LOG_FORMATS, type LogFormat, type LogFormatSetting } from "../interfaces/logging/formats.js";
import { createLogSink, logFormatFor } from "../interfaces/logging/log-sink.js";

/** live: the human progress display, for `--log-format auto` on a terminal. */
export type CommandLogFormat = LogFormat | "live";

export function commandLogFormat(settings: Settings, stderr: { isTTY?: boolean }): CommandLogFormat {
  if (settings.log.format === "auto" && stderr.isTTY === true) return "live";
  return logFormatFor(settings.log.format, stderr);
}

/**
 * The log format of a command's one-line error, which may come before its
 * settings could load: --log-format, else PLAYCLIPS_LOG_FORMAT, else auto (the
 * config file is not read for it).
 */
export function errorLogFormat(args: readonly string[], env: NodeJS.ProcessEnv, stderr: { isTTY?: boolean }): LogFormat {
  const at = args.findIndex((arg) => arg === "--log-format" || arg.startsWith("--log-format="));
  const given = at < 0 ? env.PLAYCLIPS_LOG_FORMAT : args[at]?.includes("=") ? args[at]?.slice("--log-format=".length) : args[at + 1];
  const setting = (LOG_FORMATS as readonly string[]).includes(given ?? "") ? (given as LogFormatSetting) : "auto";
  return logFormatFor(setting, stderr);
}

/**
 * A command's result on stdout. Under JSON logs it is one JSON line too, so a
 * supervisor that ships every line to Cloud Logging gets nothing else: with
 * --json the result itself (compact), else the summary sentence as a log
 * line carrying the result's fields. Otherwise the table, or the JSON
 * document pretty-printed.
 */
export function writeResult(
  stdout: NodeJS.WritableStream,
  format: CommandLogFormat,
  scrub: (text: string) => string,
  out: { json: boolean; result: object; table: () => string; sentence: string; failed: boolean },
): void {
  if (format === "json" && !out.json) {
    const sink = createLogSink("json", stdout, scrub);
    (out.failed ? sink.warn : sink.info)(out.sentence, { event: "result", ...out.result });
    return;
  }
  const text = out.json ? JSON.stringify(out.result, null, format === "json" ? undefined : 2) : out.table();
  stdout.write(`${scrub(text)}\n`);
}
