/**
 * `npx tsx bench/plays-memory.ts [--mb 50]`: one game run from a plays file
 * of --mb megabytes (default 50), as a user would run it, to show that plays
 * are read as a stream and the manifest stays small. The file holds the demo
 * game's real plays, 100,000 bad rows of that game, and rows of 2,000 other
 * games up to the size. Measures the playclips process's peak RSS (ffmpeg
 * children are not counted) and the size of the manifest and its side file.
 * The last line is one JSON object with the figures and their targets.
 */
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const tsxLoader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
const entry = join(root, "src", "cli", "run-cli.ts");
const log = (m: string): void => console.error(`[plays-memory] ${m}`);
const mbFlag = process.argv.indexOf("--mb");
const targetMb = mbFlag > 0 ? Number(process.argv[mbFlag + 1]) : 50;
const BAD_ROWS = 100_000;

function cli(args: string[], cwd: string, preload?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const node = ["--import", tsxLoader, ...(preload ? ["--import", pathToFileURL(preload).href] : []), entry, ...args];
  return new Promise((done) =>
    execFile(process.execPath, node, { cwd, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr }),
    ),
  );
}

/** Writes the big plays file line by line, so this script's own memory stays flat. */
async function writePlays(path: string, demoCsv: string, game: string): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  const write = (line: string): Promise<void> => {
    written += line.length;
    return new Promise((ok) => (out.write(line) ? ok() : out.once("drain", ok)));
  };
  const [header = "", ...rows] = demoCsv.trimEnd().split("\n");
  await write(`${header}\n`);
  for (const row of rows) if (row.includes(game)) await write(`${row}\n`);
  const columns = header.split(",").length;
  const pad = (cells: string[]): string => [...cells, ...Array(Math.max(0, columns - cells.length)).fill("x")].join(",");
  for (let i = 0; i < BAD_ROWS; i++) await write(`${pad([randomUUID(), game, "UP", String(i), String(i + 3), "iso"])}\n`);
  const others = Array.from({ length: 2000 }, () => randomUUID());
  for (let i = 0; written < targetMb * 1024 * 1024; i++) {
    await write(`${pad([randomUUID(), others[i % others.length] ?? "", i % 2 ? "LEFT" : "RIGHT", String(i % 2000), String((i % 2000) + 4), "drive"])}\n`);
  }
  await new Promise<void>((ok) => out.end(ok));
  return (await stat(path)).size;
}

const dir = await mkdtemp(join(tmpdir(), "playclips-plays-memory-"));
try {
  log("demo game…");
  const demo = await cli(["demo", "--out", "demo", "--games", "1", "--minutes", "0.5", "--width", "320", "--height", "180"], dir);
  if (demo.code !== 0) throw new Error(demo.stderr);
  const game = /games: (\S+)/.exec(demo.stdout)?.[1] ?? "";
  const size = await writePlays(join(dir, "big.csv"), await readFile(join(dir, "demo", "plays.csv"), "utf8"), game);
  log(`plays file: ${(size / 1024 / 1024).toFixed(1)} MB`);
  const preload = join(dir, "maxrss.mjs");
  await writeFile(preload, 'process.on("exit", () => process.stderr.write(`maxrss_kb ${process.resourceUsage().maxRSS}\\n`));\n');
  const started = Date.now();
  const run = await cli(["run", "--games", game, "--plays", "big.csv", "--videos", "demo", "--out", "out", "--json"], dir, preload);
  const seconds = (Date.now() - started) / 1000;
  const peakKb = Number(/maxrss_kb (\d+)/.exec(run.stderr)?.[1] ?? NaN);
  const gameDir = join(dir, "out", "games", game);
  const manifestBytes = (await stat(join(gameDir, "manifest.json"))).size;
  const sideBytes = await stat(join(gameDir, "rejected_plays.jsonl")).then((s) => s.size, () => 0);
  const manifest = JSON.parse(await readFile(join(gameDir, "manifest.json"), "utf8")) as { status: string; counts: { rejectedPlays: number } };
  const sideLines = sideBytes === 0 ? 0 : (await readFile(join(gameDir, "rejected_plays.jsonl"), "utf8")).trimEnd().split("\n").length;
  const figures = {
    playsFileMB: Number((size / 1024 / 1024).toFixed(1)),
    exitCode: run.code,
    gameStatus: manifest.status,
    runSeconds: Number(seconds.toFixed(1)),
    peakRssMB: Number((peakKb / 1024).toFixed(0)),
    manifestKB: Number((manifestBytes / 1024).toFixed(0)),
    rejectedPlays: manifest.counts.rejectedPlays,
    sideFileLines: sideLines,
    sideFileMB: Number((sideBytes / 1024 / 1024).toFixed(1)),
  };
  const targets = {
    peakUnder500MB: figures.peakRssMB < 500,
    manifestUnder1MB: manifestBytes < 1024 * 1024,
    everyRejectionInSideFile: sideLines === BAD_ROWS && manifest.counts.rejectedPlays === BAD_ROWS,
  };
  console.log(JSON.stringify({ ...figures, targets }));
} finally {
  await rm(dir, { recursive: true, force: true });
}
