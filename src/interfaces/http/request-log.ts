import type { LogSink } from "../logging/log-sink.js";
import type { RequestOutcome } from "./handler.js";

/**
 * One line per answered request, for `serve` and the Function alike: an
 * answer of 5xx is an ERROR (the game could not run), 4xx a WARNING (a caller
 * to correct, or 429/409 that the caller retries), anything else INFO.
 */
export function logRequestOutcome(log: LogSink, o: RequestOutcome): void {
  const message =
    `${o.method} ${o.path} ${o.status} ${o.ms}ms` +
    (o.gameId ? ` game ${o.gameId}${o.joined ? " (joined the running game)" : ""}` : "") +
    (o.error ? `: ${o.error}` : "");
  const fields = {
    event: "request", method: o.method, path: o.path, status: o.status, ms: o.ms, joined: o.joined,
    ...(o.gameId ? { game_id: o.gameId } : {}), ...(o.error ? { reason: o.error } : {}),
  };
  if (o.status >= 500) log.error(message, fields);
  else if (o.status >= 400) log.warn(message, fields);
  else log.info(message, fields);
}
