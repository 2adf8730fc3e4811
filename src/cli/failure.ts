import { errorMessage } from "../domain/errors.js";

// What a user can do about the operating-system failures a command meets
// most: the raw text ("connect ECONNREFUSED 127.0.0.1:5432") names the
// address, this names the likely fix.
const ERRNO_HINTS: Record<string, string> = {
  ECONNREFUSED: "connection refused: is the server running, and are the host and port right?",
  ENOTFOUND: "host not found: check the host name",
  EAI_AGAIN: "host name lookup failed: check the network and the host name",
  ETIMEDOUT: "connection timed out: check the address and the network",
  EHOSTUNREACH: "host unreachable: check the address and the network",
  ENETUNREACH: "network unreachable: check the address and the network",
  ECONNRESET: "the other side closed the connection: check that it is the service you meant",
  EACCES: "permission denied: check the permissions of the file or folder",
  EPERM: "operation not permitted: check the permissions of the file or folder",
  EROFS: "the file system is read-only: choose a writable folder",
  ENOSPC: "no space left on the device: free some space",
  EMFILE: "too many open files: raise the limit (ulimit -n)",
};

/** The first errno-style code on the error, its cause chain or its inner errors. */
function errnoCode(error: unknown, depth = 0): string | null {
  if (depth > 5 || typeof error !== "object" || error === null) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && code in ERRNO_HINTS) return code;
  const inner = error instanceof AggregateError ? (error.errors as unknown[]) : [];
  for (const next of [...inner, (error as { cause?: unknown }).cause]) {
    const found = errnoCode(next, depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/**
 * One line for a command that failed for an operational reason (unreachable
 * database, refused connection, permission denied): its message, plus what
 * to try when the failure is one the operating system named. Never a stack.
 */
export function describeFailure(error: unknown): string {
  const message = errorMessage(error).split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "").join(" ");
  const code = errnoCode(error);
  const hint = code === null ? "" : ERRNO_HINTS[code] ?? "";
  // A message that no longer shows the raw code was already explained by whoever wrapped it.
  if (hint === "" || code === null || !message.includes(code)) return message || hint || "unknown error";
  return message === "" ? hint : `${message} (${hint})`;
}
