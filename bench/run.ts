/**
 * `npm run bench [-- --quick]`: the original design against playclips'
 * exact / smart / copy modes on one generated game served by a loopback HTTP
 * bucket. See docs/performance.md for what each figure means and the targets.
 * The last line printed is one JSON object with every figure.
 */
import { spawn } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { validatePlayRows } from "../src/domain/validate-plays.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { planClips } from "../src/pipeline/plan.js";
import { createFilePlaySource } from "../src/sources/file.js";
import { coveredBytes } from "./covered.js";
import { type BenchParams, ensureBenchGame, FULL, QUICK } from "./generate.js";
import { startObjectServer, type ObjectServer } from "./http-store.js";
import { monitor } from "./monitor.js";
import type { WorkerResult, WorkerTask } from "./worker.js";

const CACHE = resolve(".playclips/bench");
const log = (m: string): void => console.error(`[bench] ${m}`);

interface Measured {
  wallSec: number;
  cpuSec: number;
  bytesRead: number;
  requests: number;
  peakRssMB: number;
  peakTempMB: number;
  detail: Record<string, unknown>;
}

async function runWorker(name: string, task: WorkerTask, server: ObjectServer | null): Promise<Measured> {
  log(`${name}…`);
  server?.reset();
  const child = spawn(process.execPath, ["--import", "tsx", "bench/worker.ts", JSON.stringify(task)], { stdio: ["ignore", "pipe", "inherit"] });
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
    detail: r.detail,
  };
  log(`${name}: ${m.wallSec.toFixed(1)} s wall, ${m.cpuSec.toFixed(1)} s CPU, ${(m.bytesRead / 1e6).toFixed(1)} MB read, ${m.peakRssMB.toFixed(0)} MB RSS, ${m.peakTempMB.toFixed(0)} MB temp`);
  return m;
}

/** `--plays N` (per angle) and `--play-seconds MIN-MAX` change the plays, not the cached videos. */
function benchParams(argv: readonly string[]): { quick: boolean; params: BenchParams } {
  const quick = argv.includes("--quick");
  const params = { ...(quick ? QUICK : FULL) };
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const plays = value("--plays");
  if (plays !== undefined) {
    if (!/^[1-9]\d*$/.test(plays)) throw new Error(`--plays takes a whole number of plays per angle, got ${plays}`);
    params.playsPerAngle = Number(plays);
  }
  const seconds = value("--play-seconds");
  if (seconds !== undefined) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(seconds);
    if (!m || !(Number(m[1]) > 0) || !(Number(m[2]) >= Number(m[1]))) throw new Error(`--play-seconds takes MIN-MAX seconds, e.g. 6-18; got ${seconds}`);
    params.playSeconds = { min: Number(m[1]), max: Number(m[2]) };
  }
  if (params.playsPerAngle * params.playSeconds.max > params.durationSec - 20) throw new Error("the plays do not fit in the video");
  return { quick, params };
}

async function main(): Promise<void> {
  const { quick, params } = benchParams(process.argv.slice(2));
  const tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  const game = await ensureBenchGame(tools, CACHE, params, log);
  const videoBytes = (await stat(game.sample)).size;

  const validated = validatePlayRows(game.gameId, await createFilePlaySource({ path: game.playsCsv }).fetchPlays(game.gameId));
  const clips = [...planClips(game.gameId, validated.plays).values()].flat();
  const clipFrames = clips.reduce((n, c) => n + Math.round((c.play.end - c.play.start) * params.fps), 0);
  const coveredSec = clips.reduce((n, c) => n + (c.play.end - c.play.start), 0);
  // Every camera file is the same render, so one camera's packets price every clip.
  const covered = await coveredBytes(tools, game.sample, clips.map((c) => c.play));
  const cameras = new Set(clips.map((c) => c.camera)).size;

  const runs = join(CACHE, "runs");
  await rm(runs, { recursive: true, force: true });
  const dirs = (name: string): { tempDir: string; outDir: string } => ({ tempDir: join(runs, name, "tmp"), outDir: join(runs, name, "out") });
  for (const name of ["rate", "baseline", "exact", "smart", "copy", "exactLong"]) await mkdir(dirs(name).tempDir, { recursive: true });

  const server = await startObjectServer(game.videos);
  const common = { storeUrl: server.url, playsCsv: game.playsCsv };
  const results: Record<string, Measured> = {};
  try {
    results.encodeRate = await runWorker("encode rate", { kind: "encode-rate", source: game.sample, seconds: 20, fps: params.fps, tempDir: dirs("rate").tempDir }, null);
    results.baseline = await runWorker("baseline (original design)", { kind: "baseline", gameId: game.gameId, ...common, ...dirs("baseline") }, server);
    for (const mode of ["exact", "smart", "copy"] as const) {
      results[mode] = await runWorker(`playclips ${mode}`, { kind: "playclips", mode, gameId: game.gameId, ...common, ...dirs(mode) }, server);
    }
    results.exactLong = await runWorker("playclips exact, 2x longer video", { kind: "playclips", mode: "exact", gameId: game.longGameId, ...common, ...dirs("exactLong") }, server);
  } finally {
    await server.close();
  }
  await rm(runs, { recursive: true, force: true });

  const get = (k: string): Measured => results[k] as Measured;
  const base = get("baseline");
  const rate = Number(get("encodeRate").detail.framesPerSec);
  const lowerBoundSec = clipFrames / rate;
  const modes = ["exact", "smart", "copy", "exactLong"];
  const ratios: Record<string, Record<string, number>> = {};
  for (const k of modes) {
    const m = get(k);
    ratios[k] = {
      speedup: base.wallSec / m.wallSec,
      cpuRatio: m.cpuSec / base.cpuSec,
      bytesVsBaseline: m.bytesRead / base.bytesRead,
      bytesVsCovered: m.bytesRead / covered.bytes,
      bytesVsCoveredFromKeyframe: m.bytesRead / covered.bytesFromKeyframe,
      tempVsVideo: (m.peakTempMB * 2 ** 20) / videoBytes,
    };
  }
  const r = (k: string, f: string): number => ratios[k]?.[f] ?? NaN;
  const exact = get("exact");
  const smartDetail = get("smart").detail;
  const smartFallbacks = Object.entries((smartDetail.cutModes ?? {}) as Record<string, number>).filter(([m]) => m !== "smart").reduce((n, [, c]) => n + c, 0);
  const lengthEffect = get("exactLong").wallSec / exact.wallSec - 1;
  // On a shared 2-core machine wall time drifts with other load; CPU time does not, so both are reported.
  const lengthCpuEffect = get("exactLong").cpuSec / exact.cpuSec - 1;
  const targets = {
    bytesReadWithin1_5xCovered: modes.every((k) => r(k, "bytesVsCovered") <= 1.5),
    doubleLengthWallChangeUnder15pct: Math.abs(lengthEffect) < 0.15,
    exactAtLeast1_3xFaster: r("exact", "speedup") >= 1.3,
    exactWithin1_2xOfLowerBound: exact.wallSec <= 1.2 * lowerBoundSec,
    smartAtLeast5xFasterWithChecksPassing: r("smart", "speedup") >= 5 && smartFallbacks === 0 && smartDetail.clipsFailed === 0,
    copyAtLeast30xFaster: r("copy", "speedup") >= 30,
    peakRssUnder500MB: modes.every((k) => get(k).peakRssMB <= 500),
    peakTempUnder10pctOfVideo: modes.every((k) => r(k, "tempVsVideo") <= 0.1),
  };

  const table = [["run", "wall s", "CPU s", "read MB", "peak RSS MB", "peak temp MB", "speedup", "CPU ratio", "read/covered"]];
  for (const k of ["baseline", ...modes]) {
    const m = get(k);
    table.push([k, m.wallSec.toFixed(1), m.cpuSec.toFixed(1), (m.bytesRead / 1e6).toFixed(1), m.peakRssMB.toFixed(0), m.peakTempMB.toFixed(0),
      k === "baseline" ? "1.00" : r(k, "speedup").toFixed(2), k === "baseline" ? "1.00" : r(k, "cpuRatio").toFixed(2),
      (m.bytesRead / covered.bytes).toFixed(2)]);
  }
  for (const row of table) console.log(row.map((c, i) => (i === 0 ? c.padEnd(10) : c.padStart(14))).join(""));
  console.log(`clips ${clips.length} on ${cameras} cameras, ${coveredSec.toFixed(1)} s / ${clipFrames} frames; camera video ${(videoBytes / 1e6).toFixed(1)} MB; ` +
    `covered ${(covered.bytes / 1e6).toFixed(1)} MB (from keyframes ${(covered.bytesFromKeyframe / 1e6).toFixed(1)} MB); ` +
    `encode rate ${rate.toFixed(0)} fps -> exact lower bound ${lowerBoundSec.toFixed(1)} s (exact at ${(exact.wallSec / lowerBoundSec).toFixed(2)}x); ` +
    `2x length changes exact wall by ${(lengthEffect * 100).toFixed(1)} %, CPU by ${(lengthCpuEffect * 100).toFixed(1)} %`);
  for (const [name, ok] of Object.entries(targets)) console.log(`${ok ? "MET   " : "MISSED"} ${name}`);
  console.log(JSON.stringify({
    params, quick, clips: clips.length, cameras, clipSeconds: coveredSec, clipFrames, cameraVideoBytes: videoBytes,
    gameVideoBytes: videoBytes * cameras, coveredBytes: covered.bytes, coveredBytesFromKeyframe: covered.bytesFromKeyframe,
    encodeRate: { ...get("encodeRate").detail, cpuSec: get("encodeRate").cpuSec }, exactLowerBoundSec: lowerBoundSec,
    exactVsLowerBound: exact.wallSec / lowerBoundSec, doubleLengthWallChange: lengthEffect, doubleLengthCpuChange: lengthCpuEffect,
    runs: Object.fromEntries(["baseline", ...modes].map((k) => [k, get(k)])), ratios, targets,
  }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
