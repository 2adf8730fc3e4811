/**
 * The Cloud Function entry point, a drop-in for the original: the Workflow
 * POSTs {"game_id": "<uuid>"} and polls the bucket for the JSONL files.
 *
 * Deploy (after `npm run build`; the source folder's package.json "main" is
 * not this file, so point the framework at it explicitly):
 *
 *   gcloud functions deploy extract-clips-game --gen2 --runtime nodejs24 \
 *     --trigger-http --entry-point extractClipsGame --timeout 3600s \
 *     --set-env-vars FUNCTION_SOURCE=dist/interfaces/http/functions-framework.js,GCS_VIDEO_BUCKET=…,GCS_TRAINING_BUCKET=…
 *
 * or locally:
 *
 *   npx functions-framework --target=extractClipsGame \
 *     --source=dist/interfaces/http/functions-framework.js
 *
 * The timeout must cover a whole game: the Workflow hangs up after 10 s by
 * design, and the instance keeps its CPU only while this handler runs.
 *
 * FUNCTION_SOURCE is the framework's own form of --source; if a platform
 * overrides it, a root file re-exporting this module works as well.
 *
 * Limitations of the framework, not of the handler: its body parser answers
 * malformed JSON sent as application/json with its own HTML 400 before this
 * code runs, and on SIGTERM it exits at once, cutting a running game short (a
 * rerun keeps the clips already made). `playclips serve` has neither.
 */
import { http, type Request, type Response } from "@google-cloud/functions-framework";
import { openPipeline } from "../../config/open-pipeline.js";
import { scrubSecrets } from "../../config/secrets.js";
import { loadSettings } from "../../config/settings.js";
import { errorMessage } from "../../domain/errors.js";
import { pipelineEventLogger } from "../logging/event-log.js";
import { createLogSink, logFormatFor } from "../logging/log-sink.js";
import { redactPaths } from "./redact-paths.js";
import { logRequestOutcome } from "./request-log.js";
import { processGame } from "../../pipeline/process-game.js";
import { createGameHandler, type GameHandler } from "./handler.js";
import { createReportRoute } from "./report-route.js";

export const FUNCTION_TARGET = "extractClipsGame";

let handlerPromise: Promise<GameHandler> | null = null;

/** Built on the first request, not at import, so a deploy with a bad setting still starts and says why. */
async function buildHandler(env: NodeJS.ProcessEnv): Promise<GameHandler> {
  const { settings } = await loadSettings({}, env, { cwd: process.cwd() });
  const token = env.PLAYCLIPS_TOKEN || undefined;
  const scrub = (message: string): string => scrubSecrets(token ? message.split(token).join("[redacted]") : message, env);
  // Cloud Run functions ship stdout to Cloud Logging: JSON lines unless a person runs it at a terminal.
  const log = createLogSink(logFormatFor(settings.log.format, process.stdout), process.stdout, scrub);
  const pipeline = await openPipeline(settings, process.cwd(), { write: (text) => log.warn(text.trim()) });
  const onEvent = pipelineEventLogger(log);
  return createGameHandler({
    runGame: (gameId) => processGame(gameId, pipeline, { onEvent }),
    reports: createReportRoute(pipeline.backends.output),
    token,
    scrub,
    onOutcome: (outcome) => logRequestOutcome(log, outcome),
  });
}

function rawBody(req: Request): Buffer {
  if (Buffer.isBuffer(req.rawBody)) return req.rawBody;
  // No raw body means the framework saw an empty one, or a parser consumed it without saving.
  if (typeof req.body === "string") return Buffer.from(req.body);
  if (req.body && typeof req.body === "object" && !Buffer.isBuffer(req.body) && Object.keys(req.body as object).length > 0) {
    return Buffer.from(JSON.stringify(req.body));
  }
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function headerRecord(req: Request): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  return headers;
}

export async function extractClipsGame(req: Request, res: Response): Promise<void> {
  let handler: GameHandler;
  try {
    handler = await (handlerPromise ??= buildHandler(process.env));
  } catch (error) {
    // Forget the failure so a fixed setting (a secret mounted late) is picked up by the next request.
    handlerPromise = null;
    res.status(500).json({ error: "misconfigured", detail: redactPaths(scrubSecrets(errorMessage(error), process.env)) });
    return;
  }
  const response = await handler.handle({ method: req.method, path: req.originalUrl || req.url, headers: headerRecord(req), body: rawBody(req) });
  if (res.headersSent || res.writableEnded) return;
  res.status(response.status).set(response.headers ?? {});
  if (Buffer.isBuffer(response.body)) res.send(response.body);
  else res.json(response.body);
}

http(FUNCTION_TARGET, extractClipsGame);
