import { execFile, spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..", "..");
const entry = join(root, "src", "cli", "run-cli.ts");
// The child runs in a temp folder, so tsx is named by path, not resolved from cwd.
const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process, as a user would; never throws on a non-zero exit. */
export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", tsxLoader, entry, ...args],
      { cwd: options.cwd, env: { ...process.env, ...options.env }, maxBuffer: 16 << 20, timeout: options.timeoutMs ?? 0, killSignal: "SIGKILL" },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface CliChild {
  proc: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  log(): string;
  exited: Promise<number | null>;
}

/** Starts the real CLI as a long-running child (serve, worker). */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string> }): CliChild {
  const proc = spawn(process.execPath, ["--import", tsxLoader, entry, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  proc.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return { proc, log: () => log, exited };
}

/** Polls until probe answers something other than undefined, or fails naming what it waited for. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, logs: () => string = () => "", timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${logs()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Log output as text: each JSON log line (the format off a terminal,
 * docs/logging.md) as its message, any other line as it is. For assertions on
 * what a line says, whichever format wrote it.
 */
export function logText(output: string): string {
  return output
    .split("\n")
    .map((line) => {
      if (!line.startsWith("{")) return line;
      try {
        const message = (JSON.parse(line) as { message?: unknown }).message;
        return typeof message === "string" ? message : line;
      } catch {
        return line;
      }
    })
    .join("\n");
}
