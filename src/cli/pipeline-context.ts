import { availableParallelism, tmpdir } from "node:os";
import { resolve } from "node:path";
import { ValidationError } from "../domain/errors.js";
import { assertJsonlFormat, DEFAULT_TEMPLATES } from "../domain/jsonl.js";
import { CUT_MODES, type CutMode } from "../domain/types.js";
import { assertSplitRatio } from "../domain/split.js";
import { locateMediaTools } from "../extraction/locate.js";
import type { PipelineContext, PipelineEvent } from "../pipeline/context.js";
import { clipConcurrencyFor, createPool } from "../pipeline/pool.js";
import { openConfiguredStore, openPlaySource, playsLocation } from "./backends.js";
import { positiveInt, positiveNumber } from "./args.js";
import type { ResolvedConfig } from "./config.js";

/** Turns resolved settings into the backends and options the core runs with. */
export async function createPipelineContext(
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv,
  options: { cwd: string; reuse: boolean; onEvent?: (event: PipelineEvent) => void; signal?: AbortSignal },
): Promise<{ ctx: PipelineContext; gameConcurrency: number }> {
  const v = config.values;
  const format = assertJsonlFormat(String(v.format));
  const ratio = assertSplitRatio(Number(v.splitRatio));
  const gameConcurrency = positiveInt("concurrency", v.concurrency, 1, 64);
  const clipTimeoutMs = positiveNumber("clip-timeout", v.clipTimeout) * 1000;
  const tolerance = positiveNumber("tolerance", v.tolerance);
  const cutMode = String(v.cutMode);
  if (!(CUT_MODES as readonly string[]).includes(cutMode)) {
    throw new ValidationError(`--cut-mode ${JSON.stringify(cutMode)} is not one of: ${CUT_MODES.join(", ")}`);
  }
  const fetch = String(v.fetch);
  if (!["auto", "range", "full"].includes(fetch)) throw new ValidationError(`--fetch ${JSON.stringify(fetch)} is not one of: auto, range, full`);
  const cacheMb = positiveNumber("cache-mb", v.cacheMb);
  const cut = {
    mode: cutMode as CutMode,
    maxHeight: v.maxHeight === undefined ? undefined : positiveInt("max-height", v.maxHeight, 16, 4320),
    maxFps: v.maxFps === undefined ? undefined : positiveNumber("max-fps", v.maxFps),
  };
  if (cut.mode === "copy" && (cut.maxHeight !== undefined || cut.maxFps !== undefined)) {
    throw new ValidationError("--cut-mode copy cannot scale or drop frames (--max-height/--max-fps): use exact");
  }
  const clipConcurrency = v.clipConcurrency === undefined
    ? clipConcurrencyFor(cut.mode, availableParallelism())
    : positiveInt("clip-concurrency", v.clipConcurrency, 1, 64);
  const tools = await locateMediaTools({
    FFMPEG_PATH: typeof v.ffmpegPath === "string" ? v.ffmpegPath : undefined,
    FFPROBE_PATH: typeof v.ffprobePath === "string" ? v.ffprobePath : undefined,
    PATH: env.PATH,
  });
  const videos = await openConfiguredStore(v, "videos", options.cwd);
  const output = await openConfiguredStore(v, "out", options.cwd);
  const ctx: PipelineContext = {
    plays: await openPlaySource(playsLocation(v, options.cwd)),
    videos,
    output,
    tools,
    clipPool: createPool(clipConcurrency),
    // As many uploads as cuts: temp then holds at most twice the clip pool's clips.
    uploadPool: createPool(clipConcurrency),
    tempDir: typeof v.tempDir === "string" ? resolve(options.cwd, v.tempDir) : tmpdir(),
    clipTimeoutMs,
    cut,
    sourceFetch: fetch as "auto" | "range" | "full",
    sourceCacheBytes: Math.round(cacheMb * 1024 * 1024),
    durationToleranceSec: tolerance,
    split: { ratio, seed: String(v.splitSeed) },
    format,
    templates: {
      prompt: typeof v.promptTemplate === "string" ? v.promptTemplate : DEFAULT_TEMPLATES.prompt,
      label: typeof v.labelTemplate === "string" ? v.labelTemplate : DEFAULT_TEMPLATES.label,
    },
    reuse: options.reuse,
    onEvent: options.onEvent,
    signal: options.signal,
  };
  return { ctx, gameConcurrency };
}
