/**
 * One benchmark run in its own process, so its CPU time, memory and temp disk
 * are its own: the parent samples this process tree's RSS and the temp dir,
 * and serves the videos (the store's side is not the pipeline's cost).
 * CPU: /proc/self/stat utime+stime (this process) plus cutime+cstime (every
 * child it has waited for — all ffmpeg/ffprobe runs, and their children),
 * taken as a delta around the work so start-up is left out. It runs compiled
 * (bench/run.ts), as `npm run build` ships the pipeline.
 * Prints one line: RESULT {json}.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { DEFAULT_TEMPLATES } from "../src/domain/jsonl.js";
import { DEFAULT_SPLIT } from "../src/domain/split.js";
import type { ClipRecord } from "../src/domain/types.js";
import { clipConcurrencyFor, type CutMode } from "../src/extraction/modes/registry.js";
import { validatePlayRows } from "../src/domain/validate-plays.js";
import { exactCutArgs } from "../src/extraction/cut.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import { DEFAULT_DURATION_TOLERANCE_SEC } from "../src/extraction/verify.js";
import { processGame } from "../src/pipeline/process-game.js";
import { parseGameId } from "../src/domain/ids.js";
import { gameLayout } from "../src/domain/layout.js";
import { planClips } from "../src/pipeline/plan.js";
import { DEFAULT_MEMORY_MB } from "../src/pipeline/clip-memory.js";
import { DEFAULT_TEMP_MB } from "../src/pipeline/clip-temp.js";
import { createMemoryGate } from "../src/pipeline/memory-gate.js";
import { createTempGate } from "../src/pipeline/temp-gate.js";
import { createPool } from "../src/pipeline/pool.js";
import { createFilePlaySource } from "../src/sources/file.js";
import { createLocalStore } from "../src/stores/local.js";
import { runBaseline } from "./baseline.js";
import { createHttpStore } from "./http-store.js";

export type WorkerTask =
  | { kind: "baseline"; storeUrl: string; gameId: string; playsCsv: string; totalClips: number; tempDir: string; outDir: string }
  | { kind: "playclips"; mode: string; storeUrl: string; gameId: string; playsCsv: string; totalClips: number; tempDir: string; outDir: string; cacheMb: number }
  | { kind: "encode-rate"; source: string; seconds: number; fps: number; tempDir: string }
  | { kind: "decode-rate"; source: string; seconds: number; fps: number; tempDir: string };

export interface WorkerResult {
  wallMs: number;
  cpuMs: number;
  detail: Record<string, unknown>;
}

/** A line on stderr every 10 % of the clips, so a long run shows it is moving. */
function progress(name: string, done: number, total: number): void {
  const step = Math.max(1, Math.round(total / 10));
  if (done % step === 0 || done === total) process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}]   ${name}: ${done}/${total} clips\n`);
}

const TICKS_PER_SEC = 100; // USER_HZ: 100 on every Linux ABI Node supports

function cpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ").map(Number);
  // After "pid (comm) ": state is [0], utime [11], stime [12], cutime [13], cstime [14].
  return (((f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0)) * 1000) / TICKS_PER_SEC;
}

async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? "{}") as WorkerTask;
  const tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  const cpu0 = cpuMs();
  const t0 = performance.now();
  let detail: Record<string, unknown>;
  if (task.kind === "encode-rate") detail = await encodeRate(tools.ffmpeg, task);
  else if (task.kind === "decode-rate") detail = await decodeRate(tools.ffmpeg, task);
  else if (task.kind === "baseline") {
    const plays = createFilePlaySource({ path: task.playsCsv });
    const validated = validatePlayRows(task.gameId, await plays.fetchPlays(task.gameId));
    const plan = new Map([...planClips(gameLayout(parseGameId(task.gameId)), validated.plays)].filter(([, clips]) => clips.length > 0));
    await mkdir(task.outDir, { recursive: true });
    detail = { ...(await runBaseline(tools.ffmpeg, createHttpStore(task.storeUrl), plan, task.tempDir, task.outDir,
      (done) => progress("baseline", done, task.totalClips))) };
  } else {
    const clips: ClipRecord[] = [];
    const mode = task.mode as CutMode;
    // The CLI's defaults for the mode.
    const poolSize = clipConcurrencyFor(mode, availableParallelism());
    const result = await processGame(
      task.gameId,
      {
        backends: {
          plays: createFilePlaySource({ path: task.playsCsv }),
          videos: createHttpStore(task.storeUrl),
          output: createLocalStore({ root: task.outDir }),
          tools,
          tempDir: task.tempDir,
        },
        cut: { mode, toleranceSec: DEFAULT_DURATION_TOLERANCE_SEC },
        reads: { fetch: "range", cacheBytes: Math.round(task.cacheMb * 2 ** 20) },
        dataset: { split: DEFAULT_SPLIT, format: "gemini", templates: DEFAULT_TEMPLATES },
        limits: {
          clipPool: createPool(poolSize), uploadPool: createPool(poolSize), clipTimeoutMs: 300_000,
          clipMemory: createMemoryGate(DEFAULT_MEMORY_MB * 1024 * 1024),
          clipTemp: createTempGate(DEFAULT_TEMP_MB * 1024 * 1024),
        },
      },
      {
        reuse: false,
        onEvent: (e) => {
          if (e.type !== "clip-done") return;
          clips.push(e.clip);
          progress(task.mode, clips.length, task.totalClips);
        },
      },
    );
    const modes: Record<string, number> = {};
    for (const c of clips) modes[c.cutMode ?? "exact"] = (modes[c.cutMode ?? "exact"] ?? 0) + 1;
    detail = {
      status: result.status,
      clipsOk: result.successful_clips,
      clipsFailed: result.failed_clips,
      cutModes: modes,
      fallbackReasons: [...new Set(clips.map((c) => c.fallbackReason).filter((r): r is string => !!r))],
      failures: [...new Set(clips.map((c) => c.reason).filter((r): r is string => !!r))].slice(0, 5),
    };
  }
  const result: WorkerResult = { wallMs: performance.now() - t0, cpuMs: cpuMs() - cpu0, detail };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/**
 * libx264 ultrafast's throughput on this machine for this source, decode
 * included: one encode per core at once (as the clip pool runs them), each
 * `seconds` long, the exact mode's own ffmpeg arguments (exactCutArgs). Frames per wall second
 * over all of them is the rate the exact mode's lower bound divides by.
 */
async function encodeRate(ffmpeg: string, task: Extract<WorkerTask, { kind: "encode-rate" }>): Promise<Record<string, unknown>> {
  await mkdir(task.tempDir, { recursive: true });
  return framesPerCore(ffmpeg, task, "encode-rate", (start, i) =>
    exactCutArgs({ input: task.source, start, duration: task.seconds, output: join(task.tempDir, `rate${i}.mp4`) }));
}

/**
 * Single-threaded H.264 decode's throughput, one decode per core at once:
 * what smart's seam checks and copy's decode check spend most of their CPU
 * on. It varies between sessions on this shared host far more than the
 * encode rate does (the same smart code took 370.7 s on 2026-11-30 and
 * 695.6 s on 2026-12-07, its encode rate 145 and 117 fps), so the table
 * needs it beside the encode rate to be read.
 */
async function decodeRate(ffmpeg: string, task: Extract<WorkerTask, { kind: "decode-rate" }>): Promise<Record<string, unknown>> {
  return framesPerCore(ffmpeg, task, "decode-rate", (start) =>
    ["-v", "error", "-threads", "1", "-ss", String(start), "-t", String(task.seconds), "-i", task.source, "-map", "0:v:0", "-f", "null", "-"]);
}

/** Frames per wall second of one ffmpeg per core at once, each over `seconds` of the source at its own offset. */
async function framesPerCore(ffmpeg: string, task: { seconds: number; fps: number }, name: string,
  argsAt: (startSec: number, i: number) => string[]): Promise<Record<string, unknown>> {
  const n = availableParallelism();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(ffmpeg, argsAt(30 + i * (task.seconds + 7), i), { stdio: "ignore" });
        child.on("error", reject);
        child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${name} ffmpeg exited ${code}`))));
      }),
    ),
  );
  const wallSec = (performance.now() - t0) / 1000;
  const frames = n * Math.round(task.seconds * task.fps);
  return { parallel: n, frames, wallSec, framesPerSec: frames / wallSec };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
