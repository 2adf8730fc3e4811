import { spawn } from "node:child_process";
import { basename } from "node:path";
import type { Readable } from "node:stream";
import { MediaError, errorMessage } from "../domain/errors.js";

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /**
   * Extra output pipes to open: fd 3, 4, … (ffmpeg's `pipe:3`, `pipe:4`), whose
   * bytes come back raw in `extra`; stdout is decoded as UTF-8, which would
   * mangle pixels.
   */
  extraPipes?: number;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  /** What the tool wrote to each extra pipe, in order; empty without `extraPipes`. */
  extra: Buffer[];
}

/** Every ffmpeg run's first options: no banner, no stdin, errors only, overwrite the output. */
export const FFMPEG_QUIET = ["-hide_banner", "-nostdin", "-v", "error", "-y"] as const;

/**
 * For a decoder (before its -i) or an encoder (after it): one thread. The
 * clip pool already runs one clip per core, so a codec's own threads only add
 * memory and overhead. Measured on a 1080p exact cut from a 4 h camera
 * (2026-11-29): ffmpeg's threads by default 4.53 s CPU and 200 MB max RSS,
 * with one decoder and one encoder thread 3.81 s and 153 MB, the same bytes
 * out within 0.01 %.
 */
export const ONE_THREAD = ["-threads", "1"] as const;

/** `-threads N` for a clip's codec; more than one only when memory lets fewer clips run than cores (CutRequest.threads). */
export function codecThreads(threads = 1): string[] {
  return ["-threads", String(Math.max(1, Math.floor(threads)))];
}

// ffprobe JSON for a long multi-stream file stays well under this; anything
// bigger means a runaway command, and buffering it would only exhaust memory.
export const MAX_STDOUT_BYTES = 16 * 1024 * 1024;
// ffmpeg can log a line per frame for hours; only the end explains a failure.
const STDERR_TAIL_CHARS = 64 * 1024;
const STDERR_LINES_IN_MESSAGE = 5;

/** A tool that ran and failed; keeps the stderr tail so callers can explain it. */
export class MediaToolError extends MediaError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderrTail: string,
  ) {
    super(message);
    this.name = "MediaToolError";
  }
}

/** A short, shell-like rendering of a command for error messages and logs. */
export function describeCommand(bin: string, args: readonly string[], maxChars = 400): string {
  const quoted = args.map((arg) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`));
  const text = [basename(bin), ...quoted].join(" ");
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/** An error's message without MediaError's "[ffmpeg] " prefix, for nesting in another MediaError. */
export function causeText(error: unknown): string {
  return errorMessage(error).replace(/^\[ffmpeg\] /, "");
}

/** The last few non-empty lines of a tool's stderr, joined for a one-line message. */
export function stderrTail(stderr: string, lines = STDERR_LINES_IN_MESSAGE): string {
  return stderr
    .split(/\r?\n|\r/)
    // "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55e4…] " names an internal object; it only adds noise.
    .map((line) => line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, "").trim())
    .filter((line) => line.length > 0)
    .slice(-lines)
    .join(" | ");
}

/**
 * Runs ffmpeg or ffprobe with an argv array (never a shell, so file names are
 * never interpreted) and resolves with its output once it exits with 0.
 * Every way it can end badly becomes a MediaError that names the tool.
 */
export function runMediaTool(bin: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const tool = basename(bin);
  if (opts.signal?.aborted) {
    return Promise.reject(new MediaError(`${tool} was cancelled before it started: ${describeCommand(bin, args)}`));
  }

  return new Promise<RunResult>((resolve, reject) => {
    const pipes = Array.from({ length: opts.extraPipes ?? 0 }, () => "pipe" as const);
    const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe", ...pipes], windowsHide: true });
    // Every stream but stdin is piped above; the spread only hides that from the types.
    const [, stdoutPipe, stderrPipe, ...extraPipes] = child.stdio as unknown as Readable[];
    const extra: Buffer[][] = pipes.map(() => []);
    extra.forEach((chunks, i) => extraPipes[i]?.on("data", (chunk: Buffer) => chunks.push(chunk)));
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = "";
    // Why the child is being killed; it is reported once the process is really gone.
    let killReason: string | null = null;
    let settled = false;

    const kill = (reason: string): void => {
      if (killReason !== null) return;
      killReason = reason;
      // SIGKILL: a stuck ffmpeg may ignore SIGTERM while blocked on a read.
      child.kill("SIGKILL");
    };

    const timer = setTimeout(() => kill(`${tool} timed out after ${formatSeconds(opts.timeoutMs)} s`), opts.timeoutMs);
    const onAbort = (): void => kill(`${tool} was cancelled`);
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const finish = (error: MediaError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      if (error) reject(error);
      else resolve({ stdout: Buffer.concat(stdoutChunks).toString("utf8"), stderr, extra: extra.map((chunks) => Buffer.concat(chunks)) });
    };

    stdoutPipe?.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) {
        kill(`${tool} wrote more than ${MAX_STDOUT_BYTES / (1024 * 1024)} MB to stdout`);
        return;
      }
      stdoutChunks.push(chunk);
    });
    stderrPipe?.setEncoding("utf8");
    stderrPipe?.on("data", (chunk: string) => {
      stderr += chunk;
      if (stderr.length > STDERR_TAIL_CHARS * 2) stderr = stderr.slice(-STDERR_TAIL_CHARS);
    });

    child.on("error", (error: NodeJS.ErrnoException) => {
      const hint = error.code === "ENOENT" ? " (not found: is ffmpeg installed, or FFMPEG_PATH/FFPROBE_PATH right?)" : "";
      finish(new MediaError(`could not start ${bin}${hint}: ${error.message}`, { cause: error }));
    });

    child.on("close", (code, signal) => {
      const command = describeCommand(bin, args);
      if (killReason !== null) {
        finish(new MediaError(`${killReason}: ${command}`));
      } else if (code === 0) {
        finish(null);
      } else {
        const how = code === null ? `was killed by ${signal ?? "a signal"}` : `exited with code ${code}`;
        const tail = stderrTail(stderr);
        const message = `${tool} ${how}${tail ? `: ${tail}` : " (no error output)"} [${command}]`;
        finish(new MediaToolError(message, code, tail));
      }
    });
  });
}

function formatSeconds(ms: number): string {
  return Number((ms / 1000).toFixed(3)).toString();
}
