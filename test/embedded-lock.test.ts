import { randomUUID } from "node:crypto";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FILE, lockFolder } from "../src/sources/folder-lock.js";
import { runCli, startCli, until } from "./helpers/cli.js";

let dir: string;
const HEADER = "id,game_id,angle,start_timestamp,end_timestamp,play_type";

/** n plays with fresh ids over a few games, as `db import` takes them. */
async function playsFile(name: string, n: number): Promise<string> {
  const games = [randomUUID(), randomUUID(), randomUUID()];
  const lines = Array.from({ length: n }, (_, i) => `${randomUUID()},${games[i % 3]},${i % 2 ? "LEFT" : "RIGHT"},${i},${i + 2},iso`);
  await writeFile(join(dir, name), `${HEADER}\n${lines.join("\n")}\n`);
  return name;
}

async function countRows(db: string): Promise<number> {
  const pg = await PGlite.create(join(dir, db));
  try {
    const result = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM plays");
    return result.rows[0]?.n ?? -1;
  } finally {
    await pg.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-lock-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("one writer per embedded database", () => {
  it("two concurrent imports of 5,000 rows each keep all 10,000, or one refuses with exit 2 and says why", async () => {
    const [a, b] = await Promise.all([playsFile("a.csv", 5000), playsFile("b.csv", 5000)]);
    const [first, second] = await Promise.all([a, b].map((file) => runCli(["db", "import", file, "--db", "both"], { cwd: dir, timeoutMs: 300_000 })));
    const results = [first, second].map((r) => r ?? { code: -1, stdout: "", stderr: "" });
    const refused = results.filter((r) => r.code === 2);
    for (const r of results) expect([0, 2], r.stderr).toContain(r.code);
    for (const r of refused) expect(r.stderr).toMatch(/in use by process \d+ on .+: only one playclips process may use it/);
    expect(await countRows("both")).toBe(10_000 - 5_000 * refused.length);
    console.log(`concurrent imports: exit codes ${results.map((r) => r.code).join(", ")}, ${await countRows("both")} rows kept`);
  }, 400_000);

  it("a process that finds the database held waits, then exits 2 naming the holder", async () => {
    const file = await playsFile("c.csv", 10);
    await mkdir(join(dir, "held"));
    const held = await lockFolder(join(dir, "held"), { waitMs: 0 });
    try {
      const started = Date.now();
      const result = await runCli(["db", "import", file, "--db", "held"], { cwd: dir, timeoutMs: 120_000 });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`is in use by process ${process.pid} on ${hostname()}: waiting up to 10 s`));
      expect(result.stderr).toMatch(new RegExp(`playclips db: \\[lock:.*held\\] .*held is in use by process ${process.pid}`));
      expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    } finally {
      await held.release();
    }
    expect(await access(join(dir, "held", LOCK_FILE)).then(() => true, () => false)).toBe(false);
  }, 180_000);

  it("takes over the lock of an import that was SIGKILLed, and the database still opens", async () => {
    const big = await playsFile("big.csv", 20_000);
    const victim = startCli(["db", "import", big, "--db", "killed"], { cwd: dir });
    const lockPath = join(dir, "killed", LOCK_FILE);
    // The lock is created empty and then written: wait until it names its holder.
    const holder = (): Promise<{ pid: number } | undefined> =>
      readFile(lockPath, "utf8").then((text) => (text === "" ? undefined : (JSON.parse(text) as { pid: number })), () => undefined);
    const owner = await until("the import to hold the lock", holder, victim.log, 120_000);
    expect(owner.pid).toBe(victim.proc.pid);
    victim.proc.kill("SIGKILL");
    await victim.exited;

    const small = await playsFile("after.csv", 50);
    const result = await runCli(["db", "import", small, "--db", "killed"], { cwd: dir, timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/50 inserted/);
    // The killed import's transaction never committed: only the new rows (or, had it committed, all of them) are there.
    expect([50, 20_050]).toContain(await countRows("killed"));
    expect(await access(lockPath).then(() => true, () => false)).toBe(false);
  }, 300_000);
});

describe("db import and repeated ids", () => {
  it("refuses a file that holds an id twice, naming the rows, and imports nothing", async () => {
    const id = randomUUID();
    const game = randomUUID();
    const text = `${HEADER}\n${id},${game},LEFT,1,3,iso\n${randomUUID()},${game},LEFT,4,6,iso\n${id.toUpperCase()},${randomUUID()},RIGHT,7,9,iso\n`;
    await writeFile(join(dir, "dup.csv"), text);
    const result = await runCli(["db", "import", "dup.csv", "--db", "dup"], { cwd: dir, timeoutMs: 120_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`id "${id}" is used by rows 2, 4`);
    expect(result.stderr).toMatch(/nothing was imported/);
    expect(await access(join(dir, "dup")).then(() => true, () => false)).toBe(false);
  }, 120_000);
});
