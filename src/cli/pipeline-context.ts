import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { ValidationError } from "../domain/errors.js";
import { DEFAULT_TEMPLATES } from "../domain/jsonl.js";
import { assertJsonlFormat } from "../domain/jsonl.js";
import { assertSplitRatio } from "../domain/split.js";
import { locateMediaTools } from "../extraction/locate.js";
import type { PipelineContext, PipelineEvent } from "../pipeline/context.js";
import { createPool } from "../pipeline/pool.js";
import { openPlaySource, openStore, playsLocation } from "./backends.js";
import { positiveInt, positiveNumber } from "./args.js";
import type { ResolvedConfig } from "./config.js";

/** Turns resolved settings into the backends and options the core runs with. */
export async function createPipelineContext(
  config: ResolvedConfig,
  env: NodeJS.ProcessEnv,
  options: { cwd: string; reuse: boolean; onEvent?: (event: PipelineEvent) => void; signal?: AbortSignal },
): Promise<{ ctx: PipelineContext; gameConcurrency: number }> {
  const v = config.values;
  const str = (value: unknown, name: string): string => {
    if (typeof value !== "string" || value === "") throw new ValidationError(`--${name} is required`);
    return value;
  };
  const format = assertJsonlFormat(String(v.format));
  const ratio = assertSplitRatio(Number(v.splitRatio));
  const gameConcurrency = positiveInt("concurrency", v.concurrency, 1, 64);
  const clipConcurrency = positiveInt("clip-concurrency", v.clipConcurrency, 1, 64);
  const clipTimeoutMs = positiveNumber("clip-timeout", v.clipTimeout) * 1000;
  const tolerance = positiveNumber("tolerance", v.tolerance);
  const tools = await locateMediaTools({
    FFMPEG_PATH: typeof v.ffmpegPath === "string" ? v.ffmpegPath : undefined,
    FFPROBE_PATH: typeof v.ffprobePath === "string" ? v.ffprobePath : undefined,
    PATH: env.PATH,
  });
  const gcsEndpoint = typeof v.gcsEndpoint === "string" ? v.gcsEndpoint : undefined;
  const videos = await openStore(str(v.videos, "videos"), { cwd: options.cwd, gcsEndpoint });
  const output = await openStore(str(v.out, "out"), { cwd: options.cwd, gcsEndpoint });
  const ctx: PipelineContext = {
    plays: await openPlaySource(playsLocation(v, options.cwd)),
    videos,
    output,
    tools,
    clipPool: createPool(clipConcurrency),
    tempDir: typeof v.tempDir === "string" ? resolve(options.cwd, v.tempDir) : tmpdir(),
    clipTimeoutMs,
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
