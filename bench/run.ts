/**
 * `npm run bench [-- --quick | --scale]`: the original design against
 * playclips' cut modes on one generated game served by a loopback bucket that
 * models GCS (first-byte latency, per-connection bandwidth). See
 * docs/performance.md for what each figure means and the targets.
 * The last line printed is one JSON object with every figure.
 */
import { spawn } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { availableParallelism, cpus } from "node:os";
import { validatePlayRows } from "../src/domain/validate-plays.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { parseGameId } from "../src/domain/ids.js";
import { gameLayout } from "../src/domain/layout.js";
import { planClips } from "../src/pipeline/plan.js";
import { createFilePlaySource } from "../src/sources/file.js";
import { parseBenchArgs } from "./args.js";
import { coveredBytes } from "./covered.js";
import { ensureBenchGame } from "./generate.js";
import { startObjectServer, type ObjectServer } from "./http-store.js";
import { monitor } from "./monitor.js";
import { type Measured, printTable, ratiosOf, targetsOf } from "./report.js";
import type { WorkerResult, WorkerTask } from "./worker.js";

const CACHE = resolve(".playclips/bench");
// Each run's worker is the pipeline compiled as `npm run build` ships it, not
// TypeScript loaded through tsx: tsx adds ~35 MB to the worker's RSS (85 MB
// against 51 MB with the pipeline loaded), which the memory gate and the peak
// RSS would count against playclips. Compiled once per bench run.
const BUILD = resolve(".playclips/bench-build");

async function compileWorker(): Promise<string> {
  log("compiling the pipeline and the bench worker (tsconfig.bench.json)…");
  const tsc = spawn(process.execPath, [resolve("node_modules/typescript/bin/tsc"), "-p", "tsconfig.bench.json"], { stdio: ["ignore", "inherit", "inherit"] });
  const code = await new Promise<number | null>((ok) => tsc.on("close", ok));
  if (code !== 0) throw new Error(`tsc -p tsconfig.bench.json failed (exit ${code})`);
  return join(BUILD, "bench/worker.js");
}
const log = (m: string): void => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

async function runWorker(worker: string, name: string, task: WorkerTask, server: ObjectServer | null): Promise<Measured> {
  log(`${name}…`);
  server?.reset();
  await mkdir(task.tempDir, { recursive: true });
  const child = spawn(process.execPath, [worker, JSON.stringify(task)], { stdio: ["ignore", "pipe", "inherit"] });
  const watch = monitor(child.pid ?? -1, task.tempDir);
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((ok) => child.on("close", ok));
  const peaks = await watch.stop();
  const line = out.split("\n").find((l) => l.startsWith("RESULT "));
  if (code !== 0 || !line) throw new Error(`${name} failed (exit ${code}): ${out.slice(-500)}`);
  const r = JSON.parse(line.slice(7)) as WorkerResult;
  const counts = server?.counts() ?? { bytes: 0, requests: 0 };
  const m: Measured = {
    wallSec: r.wallMs / 1000,
    cpuSec: r.cpuMs / 1000,
    bytesRead: counts.bytes,
    requests: counts.requests,
    peakRssMB: peaks.peakRssBytes / 2 ** 20,
    peakTempMB: peaks.peakTempBytes / 2 ** 20,
    peakRssParts: peaks.peakRssParts,
    detail: r.detail,
  };
  log(`${name}: ${m.wallSec.toFixed(1)} s wall, ${m.cpuSec.toFixed(1)} s CPU, ${(m.bytesRead / 1e6).toFixed(1)} MB read in ${m.requests} requests, ` +
    `${m.peakRssMB.toFixed(0)} MiB RSS (${m.peakRssParts}), ${m.peakTempMB.toFixed(0)} MiB temp`);
  return m;
}

async function main(): Promise<void> {
  const { size, params, bucket, modes, baseline, cacheMb } = parseBenchArgs(process.argv.slice(2));
  const tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  const game = await ensureBenchGame(tools, CACHE, params, log);
  const worker = await compileWorker();
  const videoBytes = (await stat(game.sample)).size;

  const validated = validatePlayRows(game.gameId, await createFilePlaySource({ path: game.playsCsv }).fetchPlays(game.gameId));
  const clips = [...planClips(gameLayout(parseGameId(game.gameId)), validated.plays).values()].flat();
  const clipFrames = clips.reduce((n, c) => n + Math.round((c.play.end - c.play.start) * params.fps), 0);
  const coveredSec = clips.reduce((n, c) => n + (c.play.end - c.play.start), 0);
  log(`measuring the bytes ${clips.length} clips cover…`);
  // Every camera file is the same render, so one camera's packets price every clip.
  const covered = await coveredBytes(tools, game.sample, clips.map((c) => c.play));
  const cameras = new Set(clips.map((c) => c.camera)).size;

  // Per process: two benchmarks sharing the cached videos must not clear each other's runs.
  const runsDir = join(CACHE, `runs-${process.pid}`);
  await rm(runsDir, { recursive: true, force: true });
  const dirs = (name: string): { tempDir: string; outDir: string } => ({ tempDir: join(runsDir, name, "tmp"), outDir: join(runsDir, name, "out") });

  // The modelled bucket, and the same bandwidth without latency for the copy comparison.
  const server = await startObjectServer(game.videos, bucket);
  const noLatency = await startObjectServer(game.videos, { ...bucket, latencyMs: 0 });
  const common = { playsCsv: game.playsCsv, totalClips: clips.length, cacheMb };
  const runs: Record<string, Measured> = {};
  try {
    runs.encodeRate = await runWorker(worker, "encode rate", { kind: "encode-rate", source: game.sample, seconds: 20, fps: params.fps, tempDir: dirs("rate").tempDir }, null);
    runs.decodeRate = await runWorker(worker, "decode rate", { kind: "decode-rate", source: game.sample, seconds: 20, fps: params.fps, tempDir: dirs("decode").tempDir }, null);
    for (const mode of modes) {
      runs[mode] = await runWorker(worker, `playclips ${mode}`, { kind: "playclips", mode, gameId: game.gameId, storeUrl: server.url, ...common, ...dirs(mode) }, server);
      await rm(join(runsDir, mode), { recursive: true, force: true });
    }
    if (modes.includes("copy")) {
      runs.copyNoLatency = await runWorker(worker, "playclips copy, no latency", { kind: "playclips", mode: "copy", gameId: game.gameId, storeUrl: noLatency.url, ...common, ...dirs("copyNoLatency") }, noLatency);
    }
    if (game.longGameId && modes.includes("exact")) {
      runs.exactLong = await runWorker(worker, "playclips exact, 2x longer video", { kind: "playclips", mode: "exact", gameId: game.longGameId, storeUrl: server.url, ...common, ...dirs("exactLong") }, server);
    }
    // Last: at full scale it is the longest run by far.
    if (baseline) runs.baseline = await runWorker(worker, "baseline (original design)", { kind: "baseline", gameId: game.gameId, storeUrl: server.url, ...common, ...dirs("baseline") }, server);
  } finally {
    await server.close();
    await noLatency.close();
  }
  await rm(runsDir, { recursive: true, force: true });

  const rate = Number(runs.encodeRate?.detail.framesPerSec);
  const input = { runs, modes, clips: clips.length, coveredBytes: covered.bytes, coveredBytesFromKeyframe: covered.bytesFromKeyframe,
    cameraVideoBytes: videoBytes, exactLowerBoundSec: clipFrames / rate };
  const ratios = ratiosOf(input);
  const targets = targetsOf(input, ratios);
  printTable(input, ratios);
  const exactWall = runs.exact?.wallSec ?? NaN;
  console.log(`${size}: clips ${clips.length} on ${cameras} cameras, ${coveredSec.toFixed(1)} s / ${clipFrames} frames; camera video ${(videoBytes / 1e6).toFixed(1)} MB; ` +
    `covered ${(covered.bytes / 1e6).toFixed(1)} MB (from keyframes ${(covered.bytesFromKeyframe / 1e6).toFixed(1)} MB); bucket ${bucket.latencyMs} ms first byte, ` +
    `${(bucket.bytesPerSec / 1e6).toFixed(0)} MB/s per connection; decode rate ${Number(runs.decodeRate?.detail.framesPerSec).toFixed(0)} fps; encode rate ${rate.toFixed(0)} fps -> exact lower bound ${input.exactLowerBoundSec.toFixed(1)} s ` +
    `(exact at ${(exactWall / input.exactLowerBoundSec).toFixed(2)}x); smart vs exact ${(exactWall / (runs.smart?.wallSec ?? NaN)).toFixed(2)}x; ` +
    `copy throughput with latency ${((runs.copyNoLatency?.wallSec ?? NaN) / (runs.copy?.wallSec ?? NaN) * 100).toFixed(0)} % of without`);
  for (const [name, ok] of Object.entries(targets)) console.log(`${ok ? "MET   " : "MISSED"} ${name}`);
  console.log(JSON.stringify({
    size, params: { ...params, bucket: { latencyMs: bucket.latencyMs, bytesPerSecPerConnection: bucket.bytesPerSec }, cacheMb }, host: hostOf(), modes,
    clips: clips.length, cameras, clipSeconds: coveredSec, clipFrames, cameraVideoBytes: videoBytes,
    gameVideoBytes: videoBytes * cameras, coveredBytes: covered.bytes, coveredBytesFromKeyframe: covered.bytesFromKeyframe,
    encodeRate: { ...runs.encodeRate?.detail, cpuSec: runs.encodeRate?.cpuSec },
    decodeRate: { ...runs.decodeRate?.detail, cpuSec: runs.decodeRate?.cpuSec }, exactLowerBoundSec: input.exactLowerBoundSec,
    exactVsLowerBound: exactWall / input.exactLowerBoundSec, smartVsExact: exactWall / (runs.smart?.wallSec ?? NaN),
    copyLatencyThroughput: (runs.copyNoLatency?.wallSec ?? NaN) / (runs.copy?.wallSec ?? NaN),
    runs, ratios, targets,
  }));
}

/** The machine the figures belong to: a shared host's speed changes between sessions, its model sometimes. */
function hostOf(): { cpuModel: string; cores: number; node: string } {
  return { cpuModel: cpus()[0]?.model ?? "unknown", cores: availableParallelism(), node: process.version };
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
