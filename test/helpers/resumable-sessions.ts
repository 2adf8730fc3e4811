import { request, type IncomingMessage, type ServerResponse } from "node:http";

/**
 * GCS's resumable-upload chunk semantics, which the Storage emulator lacks
 * (it finalizes a session on every PUT), kept by the fault proxy in front of
 * it: chunks are held here, and the emulator sees one PUT with the whole body
 * when the last chunk arrives, so it still stores the object.
 *
 * As documented for GCS (docs/backends.md, "GCS retries", cites the pages):
 * a chunk `Content-Range: bytes a-b/*` is answered 308 with
 * `Range: bytes=0-b`; a status query `bytes *\/*` (or `bytes *\/N`) is answered
 * 308 with the range held (no Range header when nothing is), or with the
 * finished object's answer once the upload is done; the chunk that names the
 * total (`bytes a-b/N`), or a streamed request (`bytes a-*\/…`), ends it.
 * A chunk whose connection is cut persists nothing (GCS may keep a prefix;
 * the client re-asks the offset either way).
 */
export type AttemptOutcome = "persisted" | "cut" | "final" | "status";

export interface ChunkAttempt {
  /** The session's upload_id. */
  session: string;
  /** Object offset the request started at (the persisted offset for a status query). */
  start: number;
  /** Body bytes the proxy received in this request, including those of a cut. */
  received: number;
  outcome: AttemptOutcome;
}

export interface ResumableSessions {
  /** True for a PUT on a resumable session: `put` answers it. */
  owns(req: IncomingMessage): boolean;
  /** `fault`: cut the body after its first bytes, or act and then lose the answer. */
  put(req: IncomingMessage, res: ServerResponse, fault: "cut" | "lost" | null): void;
  /** Every chunk, status query and final request, in order. */
  attempts: ChunkAttempt[];
}

interface Session {
  parts: Buffer[];
  persisted: number;
  done: { status: number; headers: Record<string, string>; body: Buffer } | null;
}

type Range = { kind: "query" } | { kind: "chunk"; start: number; total: number | null };

function parseRange(header: string | undefined): Range | null {
  if (/^bytes \*\/(\*|\d+)$/.test(header ?? "")) return { kind: "query" };
  const sized = /^bytes (\d+)-\d+\/(\*|\d+)$/.exec(header ?? "");
  if (sized) return { kind: "chunk", start: Number(sized[1]), total: sized[2] === "*" ? null : Number(sized[2]) };
  // One streamed request for the rest of the object: it ends the upload.
  const streamed = /^bytes (\d+)-\*\//.exec(header ?? "");
  return streamed ? { kind: "chunk", start: Number(streamed[1]), total: -1 } : null;
}

const lostAnswer = (res: ServerResponse): void => {
  res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: 503, message: "injected: answer lost" } }));
};

/** `cutAt`: object offsets at which an upload's connection drops, each once, whatever the chunking. */
export function resumableSessions(target: URL, cutAt: readonly number[] = []): ResumableSessions {
  const sessions = new Map<string, Session>();
  const attempts: ChunkAttempt[] = [];
  const pendingCuts = [...cutAt].sort((a, b) => a - b);
  const idOf = (req: IncomingMessage): string | null => new URL(req.url ?? "/", "http://proxy").searchParams.get("upload_id");

  // The whole object in one PUT on the session: the emulator finalizes it as GCS would the last chunk.
  const finalize = (path: string, body: Buffer): Promise<NonNullable<Session["done"]>> =>
    new Promise((resolve, reject) => {
      const headers = { "content-type": "application/octet-stream", "content-length": String(body.length) };
      request({ host: target.hostname, port: target.port, method: "PUT", path, headers }, (reply) => {
        const parts: Buffer[] = [];
        reply.on("data", (chunk: Buffer) => parts.push(chunk));
        reply.on("end", () => {
          const kept = Object.fromEntries(Object.entries(reply.headers).filter(([name]) => name === "content-type")) as Record<string, string>;
          resolve({ status: reply.statusCode ?? 502, headers: kept, body: Buffer.concat(parts) });
        });
      })
        .on("error", reject)
        .end(body);
    });

  const answerDone = (res: ServerResponse, done: NonNullable<Session["done"]>): void => void res.writeHead(done.status, done.headers).end(done.body);
  const answerHeld = (res: ServerResponse, session: Session): void =>
    void res.writeHead(308, session.persisted > 0 ? { range: `bytes=0-${session.persisted - 1}` } : {}).end();

  return {
    attempts,
    owns: (req) => req.method === "PUT" && idOf(req) !== null,
    put(req, res, fault) {
      const id = idOf(req) ?? "";
      const session = sessions.get(id) ?? { parts: [], persisted: 0, done: null };
      sessions.set(id, session);
      const range = parseRange(req.headers["content-range"]);
      if (range?.kind !== "chunk" || session.done) {
        req.resume();
        req.on("end", () => {
          attempts.push({ session: id, start: session.persisted, received: 0, outcome: "status" });
          if (session.done) answerDone(res, session.done);
          else if (range) answerHeld(res, session);
          else res.writeHead(400).end(`unexpected Content-Range ${String(req.headers["content-range"])}`);
        });
        return;
      }
      if (range.start > session.persisted) {
        req.resume();
        res.writeHead(400).end(`chunk starts at ${range.start} but the session holds ${session.persisted} bytes`);
        return;
      }
      const parts: Buffer[] = [];
      const attempt: ChunkAttempt = { session: id, start: range.start, received: 0, outcome: "persisted" };
      attempts.push(attempt);
      req.on("data", (chunk: Buffer) => {
        if (attempt.outcome === "cut") return;
        attempt.received += chunk.length;
        parts.push(chunk);
        const reached = range.start + attempt.received;
        const scheduled = pendingCuts[0] !== undefined && pendingCuts[0] > range.start && pendingCuts[0] <= reached;
        if (fault !== "cut" && !scheduled) return;
        if (scheduled) pendingCuts.shift();
        attempt.outcome = "cut";
        req.socket.destroy();
      });
      req.on("end", () => {
        if (attempt.outcome === "cut") return;
        // GCS ignores bytes it already holds when a chunk is sent again.
        const body = Buffer.concat(parts).subarray(session.persisted - range.start);
        session.parts.push(body);
        session.persisted += body.length;
        const total = range.total === -1 ? session.persisted : range.total;
        if (total === null) return fault === "lost" ? lostAnswer(res) : answerHeld(res, session);
        attempt.outcome = "final";
        if (total !== session.persisted) return void res.writeHead(400).end(`the session holds ${session.persisted} bytes, not ${total}`);
        finalize(req.url ?? "/", Buffer.concat(session.parts)).then(
          (done) => {
            if (done.status < 300) session.done = done;
            session.parts = [];
            if (fault === "lost") lostAnswer(res);
            else answerDone(res, done);
          },
          () => res.destroy(),
        );
      });
    },
  };
}
