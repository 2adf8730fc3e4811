import { pino, type Logger } from "pino";
import type { LogFormat, LogFormatSetting } from "./formats.js";

/**
 * Where an entry point's log lines go. Off a terminal they are JSON lines in
 * Cloud Logging's structured form (docs/logging.md): `severity`, `message`,
 * `time`, and the ids of what the line is about as top-level fields, which
 * Cloud Logging keeps under jsonPayload. The text form is the plain
 * `{time} {message}` line playclips always printed.
 */

/** What a line is about; absent ids are left out. */
export interface LogFields {
  event?: string;
  game_id?: string;
  run_id?: string;
  attempt?: number;
  camera?: string;
  play_id?: string;
  clip?: string;
  [field: string]: unknown;
}

export interface LogSink {
  readonly format: LogFormat;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A sink whose every line carries these fields too (a worker's id, a job's attempt). */
  child(fields: LogFields, textPrefix?: string): LogSink;
}

/** "auto" is JSON lines unless the stream is a terminal, where people read. */
export function logFormatFor(setting: LogFormatSetting, stream: { isTTY?: boolean }): LogFormat {
  if (setting !== "auto") return setting;
  return stream.isTTY === true ? "text" : "json";
}

// Cloud Logging's LogSeverity names: pino's own numeric levels (30, 40) would leave every entry at DEFAULT.
const SEVERITY: Record<string, string> = { trace: "DEBUG", debug: "DEBUG", info: "INFO", warn: "WARNING", error: "ERROR", fatal: "CRITICAL" };

type Scrub = (text: string) => string;

/** Every string in a value, scrubbed: ids and reasons may quote a secret a library put in a message. */
function scrubDeep(value: unknown, scrub: Scrub, depth = 0): unknown {
  if (typeof value === "string") return scrub(value);
  if (depth > 4 || typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, scrub, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, scrubDeep(item, scrub, depth + 1)]));
}

export function createLogSink(format: LogFormat, stream: NodeJS.WritableStream, scrub: Scrub = (t) => t): LogSink {
  return format === "json" ? jsonSink(rootLogger(stream), scrub) : textSink(stream, scrub, "");
}

function rootLogger(stream: NodeJS.WritableStream): Logger {
  return pino(
    {
      // Cloud Run adds the instance and revision; pid and hostname would be noise on every line.
      base: null,
      messageKey: "message",
      // RFC 3339 in UTC, which Cloud Logging takes as the entry's timestamp.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? "DEFAULT" }) },
    },
    stream,
  );
}

function jsonSink(logger: Logger, scrub: Scrub): LogSink {
  const line = (level: "info" | "warn" | "error") => (message: string, fields: LogFields = {}): void => {
    logger[level](scrubDeep(fields, scrub) as object, scrub(message));
  };
  return {
    format: "json",
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
    child: (fields) => jsonSink(logger.child(scrubDeep(fields, scrub) as object), scrub),
  };
}

function textSink(stream: NodeJS.WritableStream, scrub: Scrub, prefix: string): LogSink {
  const line = (message: string): void => void stream.write(`${new Date().toISOString()} ${prefix}${scrub(message)}\n`);
  return { format: "text", info: line, warn: line, error: line, child: (_fields, textPrefix = "") => textSink(stream, scrub, prefix + textPrefix) };
}

/** The embedded database's "waiting for the lock" notice (config/plays-location.ts) as a log line. */
export function noticesTo(log: LogSink): { write(text: string): void } {
  return { write: (text) => log.warn(text.trim().replace(/^playclips: /, "")) };
}
