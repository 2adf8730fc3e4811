import { execFile, spawn, type ChildProcess } from "node:child_process";
import { access, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

// Long-running CLI processes (serve, batch) in a test's scratch folder.

const root = join(import.meta.dirname, "..", "..");
export const cliEntry = join(root, "src", "cli", "run-cli.ts");
export const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
export const run = promisify(execFile);
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A scratch folder with one demo game; two minutes of video hold 8 plays: with one ffmpeg at a time a game lasts about 5 s. */
export async function demoFolder(prefix: string): Promise<{ dir: string; gameId: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const { stdout } = await run(process.execPath, ["--import", tsxLoader, cliEntry, "demo", "--out", "demo", "--games", "1", "--minutes", "2", "--width", "320", "--height", "180"], { cwd: dir });
  const gameId = /games: (\S+)/.exec(stdout)?.[1] ?? "";
  if (!/^[0-9a-f-]{36}$/.test(gameId)) throw new Error(`the demo made no game: ${stdout}`);
  return { dir, gameId };
}

export interface Child { url: string; log(): string; exited: Promise<number | null>; proc: ChildProcess }

/** Helpers bound to a folder (known once the test's beforeAll made it); children are killed by killAll. */
export function serveHarness(folder: () => string) {
  const children: ChildProcess[] = [];

  /** Spawns a long-running process in the demo folder and waits until it prints `ready`. */
  async function spawnChild(args: string[], env: Record<string, string>, ready: RegExp): Promise<Child & { match: RegExpExecArray }> {
    const proc = spawn(process.execPath, ["--import", tsxLoader, ...args], { cwd: folder(), env: { ...process.env, ...env } });
    children.push(proc);
    let output = "";
    for (const stream of [proc.stdout, proc.stderr]) stream?.on("data", (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
    for (let i = 0; i < 300; i++) {
      const match = ready.exec(output);
      if (match) return { url: "", log: () => output, exited, proc, match };
      if (proc.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`not ready: ${output}`);
  }

  /** `playclips serve` on an ephemeral port, cutting one clip at a time so a game lasts a few seconds. */
  async function serve(out: string, extra: string[] = [], env: Record<string, string> = {}): Promise<Child> {
    const args = [cliEntry, "serve", "--port", "0", "--host", "127.0.0.1", "--plays", "demo/plays.csv", "--videos", "demo", "--out", out, "--clip-concurrency", "1", ...extra];
    const child = await spawnChild(args, env, /listening on http:\/\/127\.0\.0\.1:(\d+)/);
    return { ...child, url: `http://127.0.0.1:${child.match[1]}` };
  }

  function post(url: string, body: unknown, init: RequestInit = {}): Promise<Response> {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    return fetch(url, { method: "POST", body: text, ...init, headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) } });
  }

  const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

  async function until(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(100);
    }
  }

  const inFlight = async (url: string): Promise<number> => ((await (await fetch(`${url}/healthz`)).json()) as { inFlight: number }).inFlight;
  return {
    spawnChild, serve, post, exists, until, inFlight,
    killAll(): void {
      for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
