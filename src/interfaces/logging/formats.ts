// The log-format setting's choices, apart from the sink so settings load without pino.

/** json: one Cloud Logging structured line per entry; text: `{time} {message}`. */
export type LogFormat = "json" | "text";
/** auto: json unless the stream is a terminal. */
export const LOG_FORMATS = ["auto", "json", "text"] as const;
export type LogFormatSetting = (typeof LOG_FORMATS)[number];
