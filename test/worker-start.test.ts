import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startCli, until, type CliChild } from "./helpers/cli.js";
import { startTestPostgres, type TestPostgres } from "./helpers/postgres.js";

let dir: string;
let db: TestPostgres;
const children: CliChild[] = [];

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  db = await startTestPostgres();
  if (db.kind !== "server") throw new Error("worker start tests need a real Postgres at 127.0.0.1:5432 (pg-boss does not run on PGlite)");
  dir = await mkdtemp(join(tmpdir(), "playclips-worker-start-"));
  await writeFile(join(dir, "plays.csv"), "id,game_id,angle,start_timestamp,end_timestamp\n");
}, 60_000);
afterAll(async () => {
  for (const child of children) if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill("SIGKILL");
  await db?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("queue workers starting together", () => {
  it("4 workers started at once on a fresh schema all come up, 5 times over", async () => {
    for (let round = 1; round <= 5; round++) {
      const args = ["worker", "--plays", "plays.csv", "--out", "out", "--queue-url", db.connectionString, "--queue-schema", `race_${round}`];
      const workers = [1, 2, 3, 4].map(() => startCli(args, { cwd: dir }));
      children.push(...workers);
      const logs = (): string => workers.map((w, i) => `--- round ${round} worker ${i + 1}\n${w.log()}`).join("\n");
      // Up, or gone: a worker that lost the race must not be waited for in vain.
      await until("every worker to come up or exit", () => (workers.every((w) => /waiting for games/.test(w.log()) || w.proc.exitCode !== null) ? true : undefined), logs, 90_000);
      for (const worker of workers) {
        expect(worker.log(), logs()).toMatch(/waiting for games/);
        worker.proc.kill("SIGTERM");
      }
      expect(await Promise.all(workers.map((w) => w.exited)), logs()).toEqual([0, 0, 0, 0]);
    }
  }, 600_000);
});

describe("commands with an unreachable database", () => {
  it("status, batch and worker say so in one line with exit 1, never a stack, and never hang", async () => {
    const url = `postgres://postgres@127.0.0.1:${await closedPort()}/nowhere`;
    const game = "0b9e3a57-1111-4222-8333-444455556666";
    const commands = [
      ["status", "--games", game, "--out", "out", "--queue-url", url],
      ["batch", "--games", game, "--via", "queue", "--out", "out", "--queue-url", url],
      ["batch", "--games", game, "--via", "local", "--plays", url, "--out", "out"],
      ["worker", "--plays", "plays.csv", "--out", "out", "--queue-url", url],
      ["run", "--all", "--plays", url, "--out", "out"],
    ];
    for (const args of commands) {
      const result = await runCli(args, { cwd: dir, timeoutMs: 60_000 });
      const output = `${result.stdout}${result.stderr}`;
      const what = `${args.slice(0, 4).join(" ")}: ${output}`;
      expect(result.code, what).toBe(1);
      // Said once: in a one-line error, or (batch --via local) as the game's error line and failure reason in the result.
      expect(output, what).toMatch(/refused/);
      expect(output, what).not.toMatch(/^\s+at /m);
      // Off a terminal stderr holds JSON log lines; INFO ones (batch --via local's "game …: started") are progress, not the error.
      const notInfo = result.stderr.trimEnd().split("\n").filter((line) => !line.includes('"severity":"INFO"'));
      expect(notInfo, what).toHaveLength(1);
    }
  }, 300_000);
});
