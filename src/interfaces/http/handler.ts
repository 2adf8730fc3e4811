import { createHash, timingSafeEqual } from "node:crypto";
import { GameBusyError, PlaySourceError, RunCancelledError, StoreError, ValidationError, errorMessage } from "../../domain/errors.js";
import { parseGameUuid, type GameId } from "../../domain/ids.js";
import type { GameResult } from "../../domain/types.js";
import { redactPaths } from "./redact-paths.js";

export interface HttpRequest {
  method: string;
  /** May carry a query string; it is ignored. */
  path: string;
  /** Lower-case header names, as node:http and express deliver them. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export interface HttpResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** One line's worth of what happened to a request, for the entry point's log. */
export interface RequestOutcome {
  method: string;
  path: string;
  status: number;
  gameId: string | null;
  /** True when the request waited on a run another request had started. */
  joined: boolean;
  ms: number;
  error: string | null;
}

export interface GameHandlerOptions {
  runGame: (gameId: GameId) => Promise<GameResult>;
  /** When set, POST / needs `Authorization: Bearer <token>`. */
  token?: string;
  maxBodyBytes?: number;
  /**
   * Games run at once; a trigger for another game beyond that answers 429 with
   * Retry-After (the caller retries), never queues: a queued request could
   * outlive the instance. Joining a running game is always allowed.
   */
  maxGames?: number;
  /** Removes secrets from error messages before they leave the process. */
  scrub?: (message: string) => string;
  onOutcome?: (outcome: RequestOutcome) => void;
  /** Answers GET /report/… (report-route.ts), behind the same token as POST /; absent: 404. */
  reports?: (path: string) => Promise<HttpResponse>;
}

export interface GameHandler {
  readonly maxBodyBytes: number;
  handle(req: HttpRequest): Promise<HttpResponse>;
  inFlight(): number;
  /** Resolves true once no game runs, false when graceMs passed first. */
  drain(graceMs: number): Promise<boolean>;
  stopAccepting(): void;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024;
const USAGE = 'send POST / with a JSON body {"game_id": "<uuid>"}';

const fail = (status: number, error: string, detail: string, headers?: Record<string, string>): HttpResponse => ({
  status,
  body: { error, detail },
  headers,
});

/**
 * The HTTP contract of the original Cloud Function, free of any server
 * runtime. A game whose status is "failed" still answers 200 with its
 * result: the request was handled and the outcome is data (the manifest
 * says why), exactly like the original's partial-success return value.
 * Only a run that could not happen at all (plays source down, a crash)
 * answers 5xx.
 */
export function createGameHandler(options: GameHandlerOptions): GameHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const scrub = options.scrub ?? ((message: string) => message);
  // Hashing first gives equal-length buffers, so timingSafeEqual never throws on a length mismatch.
  const tokenDigest = options.token ? createHash("sha256").update(options.token).digest() : null;
  // The workflow may retry while a game still runs; a second run would race the first on the same objects.
  const running = new Map<string, Promise<GameResult>>();
  let accepting = true;

  // A browser cannot send a bearer token, but asks for a password on a Basic
  // challenge and then sends it with every image: the token as that password
  // (any user name) is the same secret.
  const presented = (header: string): string | null => {
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    if (bearer) return bearer.trim();
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
    if (!basic) return null;
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    return decoded.includes(":") ? decoded.slice(decoded.indexOf(":") + 1) : null;
  };
  const authorized = (header: string | undefined): boolean => {
    if (!tokenDigest) return true;
    const token = presented(header ?? "");
    if (!token) return false;
    return timingSafeEqual(createHash("sha256").update(token).digest(), tokenDigest);
  };

  const start = (gameId: GameId): { promise: Promise<GameResult>; joined: boolean } => {
    const existing = running.get(gameId);
    if (existing) return { promise: existing, joined: true };
    const promise = Promise.resolve()
      .then(() => options.runGame(gameId))
      .finally(() => running.delete(gameId));
    running.set(gameId, promise);
    return { promise, joined: false };
  };

  const route = async (req: HttpRequest, note: { gameId: string | null; joined: boolean; error: string | null }): Promise<HttpResponse> => {
    const path = req.path.split("?")[0] ?? "";
    const method = req.method.toUpperCase();
    if (path === "/healthz") {
      if (method !== "GET" && method !== "HEAD") return fail(405, "method_not_allowed", `${method} /healthz: use GET`, { Allow: "GET, HEAD" });
      return { status: 200, body: { ok: true, accepting, inFlight: running.size } };
    }
    if (path === "/report" || path.startsWith("/report/")) {
      if (method !== "GET" && method !== "HEAD") return fail(405, "method_not_allowed", `${method} /report: use GET`, { Allow: "GET, HEAD" });
      if (!options.reports) return fail(404, "not_found", "this server has no reports");
      if (!authorized(req.headers.authorization)) {
        const detail = req.headers.authorization ? "the token is wrong" : "send the token as Authorization: Bearer <token>, or as the password when the browser asks";
        return fail(401, "unauthorized", detail, { "WWW-Authenticate": 'Basic realm="playclips report", charset="UTF-8"' });
      }
      return options.reports(path);
    }
    if (path !== "/" && path !== "") return fail(404, "not_found", `no route ${path.slice(0, 100)}: ${USAGE}`);
    if (method !== "POST") return fail(405, "method_not_allowed", `${method} /: ${USAGE}`, { Allow: "POST" });
    if (!accepting) return fail(503, "shutting_down", "this instance is shutting down: retry on another", { "Retry-After": "1" });
    if (!authorized(req.headers.authorization)) {
      const detail = req.headers.authorization ? "the bearer token is wrong" : "missing Authorization: Bearer <token>";
      return fail(401, "unauthorized", detail, { "WWW-Authenticate": "Bearer" });
    }
    if (req.body.length > maxBodyBytes) return fail(413, "body_too_large", `the body is over ${maxBodyBytes} bytes: ${USAGE}`);
    const type = req.headers["content-type"];
    if (type && !/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type)) {
      return fail(415, "unsupported_media_type", `content-type ${JSON.stringify(type)} is not JSON: use application/json`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.body.toString("utf8"));
    } catch (error) {
      return fail(400, "invalid_json", `the body is not JSON (${errorMessage(error)}): ${USAGE}`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return fail(400, "invalid_json", `the body must be a JSON object: ${USAGE}`);
    const raw: unknown = (parsed as Record<string, unknown>).game_id;
    if (raw === undefined || raw === null || raw === "") return fail(400, "missing_game_id", `the body has no game_id: ${USAGE}`);
    let gameId: GameId;
    try {
      // Lower case: a retry that spells the UUID in upper case joins the same run.
      gameId = parseGameUuid(raw);
    } catch (error) {
      return fail(400, "invalid_game_id", errorMessage(error).replace(/^\[input\] /, ""));
    }
    note.gameId = gameId;
    if (!running.has(gameId) && running.size >= (options.maxGames ?? Infinity)) {
      return fail(429, "busy", `this instance already runs ${running.size} game(s), its limit: retry later or on another instance`, { "Retry-After": "10" });
    }
    const run = start(gameId);
    note.joined = run.joined;
    try {
      return { status: 200, body: await run.promise };
    } catch (error) {
      // The log keeps the whole message; the caller gets it without this machine's paths.
      note.error = scrub(errorMessage(error));
      const detail = redactPaths(note.error);
      // Cancelled (shutdown): nothing was published; the caller may retry elsewhere.
      if (error instanceof RunCancelledError) return fail(503, "cancelled", detail, { "Retry-After": "10" });
      // Another instance runs the game: its result will appear in the store.
      if (error instanceof GameBusyError) return fail(409, "already_running", detail, { "Retry-After": "30" });
      if (error instanceof PlaySourceError) return fail(502, "play_source_unavailable", detail);
      if (error instanceof StoreError) return fail(502, "store_unavailable", detail);
      if (error instanceof ValidationError) return fail(500, "misconfigured", detail);
      return fail(500, "internal", detail);
    }
  };

  return {
    maxBodyBytes,
    async handle(req) {
      const started = Date.now();
      const note = { gameId: null as string | null, joined: false, error: null as string | null };
      const response = await route(req, note);
      if (note.error === null && response.status >= 400) {
        note.error = (response.body as { detail?: string }).detail ?? null;
      }
      // The query string is dropped from logs: it is not part of the contract and may carry anything.
      const path = req.path.split("?")[0] ?? "";
      options.onOutcome?.({ method: req.method, path, status: response.status, ...note, ms: Date.now() - started });
      return response;
    },
    inFlight: () => running.size,
    async drain(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)));
      // Errors were already answered to their callers; draining only waits.
      const settled = (async (): Promise<true> => {
        while (running.size > 0) await Promise.allSettled([...running.values()]);
        return true;
      })();
      try {
        return await Promise.race([settled, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    stopAccepting() {
      accepting = false;
    },
  };
}
