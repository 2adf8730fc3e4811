import { createGameHandler } from "../../interfaces/http/handler.js";
import { logRequestOutcome } from "../../interfaces/http/request-log.js";
import { pipelineEventLogger } from "../../interfaces/logging/event-log.js";
import { createLogSink, logFormatFor, noticesTo } from "../../interfaces/logging/log-sink.js";
import { DEFAULT_HTTP_LIMITS } from "../../interfaces/http/limits.js";
import { startHttpServer } from "../../interfaces/http/node-server.js";
import { createReportRoute } from "../../interfaces/http/report-route.js";
import { createPool } from "../../pipeline/pool.js";
import { processGame } from "../../pipeline/process-game.js";
import { DEFAULT_STALE_AFTER_MS } from "../../pipeline/run-scope.js";
import type { RunOptions } from "../../pipeline/parts.js";
import { openPipeline } from "../../config/open-pipeline.js";
import { scrubSecrets } from "../../config/secrets.js";
import { loadSettings } from "../../config/settings.js";
import { positiveNumber, wholeNumber } from "../../config/validate.js";
import { ALL_GROUPS, settingsHelp } from "../../config/settings-table.js";
import { parseFlags, settingFlags } from "../args.js";
import type { CommandIo } from "./io.js";

export const SERVE_HELP = `playclips serve [--port N] [--host H] [--grace SECONDS] [options]

Serves the original Cloud Function's contract over HTTP:
  POST /        {"game_id": "<uuid>"} → runs the game, answers its result
                (200 even for a failed game: read "status" and "reason")
  GET  /healthz → {"ok": true, "inFlight": N}
  GET  /report/games/{game_id}/  → the game's report (\`playclips report\`),
                and /report/datasets/{name}/; same token as POST /, which
                a browser sends as the password it asks for
A client that hangs up does not stop its game. A second POST for a game
already running waits for that run instead of starting another.
On SIGTERM or SIGINT: refuses new games, waits for running ones, then exits.

  --port N            port to listen on (default: PORT, else 8080)
  --host H            address to bind (default 127.0.0.1 without PLAYCLIPS_TOKEN,
                      else 0.0.0.0; on Cloud Run (PORT or K_SERVICE set) 0.0.0.0)
  --max-connections N open connections at once; one more is answered 503 (default 256)
  --grace SECONDS     how long to wait for running games on shutdown (default 30;
                      8 on Cloud Run, i.e. with K_SERVICE set: Cloud Run kills
                      the container 10 s after SIGTERM). A game still running
                      then is cancelled: it publishes nothing more, answers 503,
                      and the next attempt reuses the clips it had landed.
  --stale-after S     a run of another instance whose heartbeat is older than
                      this is dead and its game may be taken over (default ${DEFAULT_STALE_AFTER_MS / 1000})
  --max-games N       games at once; another trigger answers 429 + Retry-After
                      (default: 1 on Cloud Run; elsewhere none, and games
                      beyond the concurrency setting wait their turn)
  --force             re-cut clips an earlier run already made
  --config FILE       settings file (default ./playclips.config.json)

PLAYCLIPS_TOKEN, when set, must be sent as Authorization: Bearer <token>.

${settingsHelp(ALL_GROUPS)}`;

export async function serveCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, {
    ...settingFlags(),
    port: { type: "string" },
    host: { type: "string" },
    grace: { type: "string" },
    "max-games": { type: "string" },
    "stale-after": { type: "string" },
    force: { type: "boolean" },
    "max-connections": { type: "string" },
  });
  const port = wholeNumber("port", values.port ?? (io.env.PORT || 8080), 0, 65535);
  // Cloud Run sends SIGKILL 10 s after SIGTERM (container runtime contract): leave time to cancel cleanly.
  const onCloudRun = Boolean(io.env.K_SERVICE);
  const graceMs = values.grace === undefined ? (onCloudRun ? 8_000 : 30_000) : positiveNumber("grace", values.grace) * 1000;
  const token = io.env.PLAYCLIPS_TOKEN || undefined;
  const bind = bindAddress(values.host, token !== undefined, io.env);
  const host = bind.host;
  const maxConnections = wholeNumber("max-connections", values["max-connections"] ?? DEFAULT_HTTP_LIMITS.maxConnections, 1, 100_000);
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const scrub = (message: string): string => scrubSecrets(token ? message.split(token).join("[redacted]") : message, io.env, values);
  const log = createLogSink(logFormatFor(settings.log.format, io.stderr), io.stderr, scrub);

  // Aborted only when the grace period runs out, so ffmpeg children do not outlive the server.
  const abandon = new AbortController();
  const pipeline = await openPipeline(settings, io.cwd, noticesTo(log));
  const run: RunOptions = {
    reuse: values.force !== true,
    signal: abandon.signal,
    lease: { staleAfterMs: positiveNumber("stale-after", values["stale-after"] ?? DEFAULT_STALE_AFTER_MS / 1000) * 1000 },
    onEvent: pipelineEventLogger(log),
  };
  // Off Cloud Run without --max-games, games beyond the concurrency wait their turn inside the request, as before.
  const maxGames = values["max-games"] === undefined ? (onCloudRun ? 1 : undefined) : wholeNumber("max-games", values["max-games"], 1, 64);
  const games = createPool(settings.limits.gameConcurrency);
  const handler = createGameHandler({
    runGame: (gameId) => games.run(() => processGame(gameId, pipeline, run)),
    reports: createReportRoute(pipeline.backends.output),
    maxGames,
    token,
    scrub,
    onOutcome: (outcome) => logRequestOutcome(log, outcome),
  });

  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    server = await startHttpServer(handler, { port, host, limits: { maxConnections } });
  } catch (error) {
    await pipeline.backends.plays.close?.();
    throw error;
  }
  // Handlers first: whoever reads the listening line may signal at once.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      resolve(signal);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    io.signal?.addEventListener("abort", () => onSignal("SIGTERM"), { once: true });
  });
  // Tests and wrappers read the port from this line when they pass --port 0.
  log.info(`listening on http://${host}:${server.port}${token ? " (bearer token required)" : ""}${bind.why ? ` (${bind.why})` : ""}`, { event: "listening", port: server.port });
  const signalled = await stopSignal;
  const running = handler.inFlight();
  log.info(`${signalled}: refusing new games, waiting up to ${graceMs / 1000}s for ${running} running`, { event: "stopping", running });
  let abandoned = 0;
  await server.close(graceMs, async () => {
    abandoned = handler.inFlight();
    log.warn(`grace period over: cancelling ${abandoned} running games`, { event: "grace-over", running: abandoned });
    abandon.abort(new Error("server shut down"));
    // Cancelling is quick (ffmpeg is killed, writes are refused): on Cloud Run it must fit the 10 s with the 8 s grace.
    await handler.drain(onCloudRun ? 1500 : 10_000);
  });
  await pipeline.backends.plays.close?.();
  log.info("stopped", { event: "stopped" });
  return abandoned > 0 ? 1 : 0;
}

/**
 * An unauthenticated server that starts ffmpeg jobs must not face the network
 * by accident: without a token it listens on loopback unless --host says
 * otherwise. Cloud Run (PORT / K_SERVICE) authenticates in front of the
 * container and needs 0.0.0.0, so there nothing changes.
 */
function bindAddress(flag: unknown, hasToken: boolean, env: NodeJS.ProcessEnv): { host: string; why: string | null } {
  if (typeof flag === "string" && flag !== "") return { host: flag, why: null };
  if (hasToken || env.K_SERVICE || env.PORT) return { host: "0.0.0.0", why: null };
  return { host: "127.0.0.1", why: "loopback only: no PLAYCLIPS_TOKEN is set; pass --host 0.0.0.0 to listen on the network" };
}
