import { availableParallelism, tmpdir } from "node:os";
import { resolve } from "node:path";
import { ValidationError } from "../domain/errors.js";
import { MEDIA_RESOLUTIONS } from "../domain/gemini.js";
import { assertJsonlFormat, DEFAULT_TEMPLATES } from "../domain/jsonl.js";
import { assertSplitRatio } from "../domain/split.js";
import type { MediaToolPaths } from "../extraction/locate.js";
import type { CutSettings, DatasetSettings } from "../pipeline/parts.js";
import { CUT_MODES, clipConcurrencyFor, cutModeNamed } from "../extraction/modes/registry.js";
import { VERIFY_DEPTHS } from "../extraction/smart-check.js";
import { LOG_FORMATS, type LogFormatSetting } from "../interfaces/logging/formats.js";
import { FETCH_MODES, type SourceReads } from "../pipeline/source-video.js";
import { playsLocation, type PlaysLocation } from "./plays-location.js";
import { resolveConfig, type RawConfig, type ResolvedConfig } from "./resolve.js";
import { numberWithin, positiveNumber, wholeNumber } from "./validate.js";

/** Seconds a clip's duration may differ from its play's: a frame at 100 fps up to a few seconds. */
export const MIN_TOLERANCE_SEC = 0.01;
export const MAX_TOLERANCE_SEC = 5;

/**
 * Every setting, validated and typed, in the parts the pipeline takes. Built
 * once at an entry point; nothing below it coerces or re-checks a value.
 */
export interface Settings {
  plays: PlaysLocation;
  /** Locations as given (a folder, gs://bucket[/prefix]); opened by openStore. */
  stores: { videos: string; out: string; gcsEndpoint: string | undefined; tempDir: string };
  /** DATABASE_URL / --database-url: the plays' Postgres and the queue's default. */
  databaseUrl: string | undefined;
  limits: { gameConcurrency: number; clipConcurrency: number; clipTimeoutMs: number; memoryBytes: number; tempBytes: number };
  cut: CutSettings;
  reads: SourceReads;
  dataset: DatasetSettings;
  tools: MediaToolPaths;
  /** How entry points write their log lines (interfaces/logging/). */
  log: { format: LogFormatSetting };
}

/** Resolves flags > env > file > defaults and validates them into Settings; `config` keeps each value's origin. */
export async function loadSettings(
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  options: { cwd: string; configFile?: string },
): Promise<{ settings: Settings; config: ResolvedConfig }> {
  const config = await resolveConfig(flags, env, options);
  return { settings: settingsOf(config.values, { cwd: options.cwd, searchPath: env.PATH }), config };
}

export function settingsOf(v: RawConfig, context: { cwd: string; searchPath?: string }): Settings {
  const cut: CutSettings = {
    mode: oneOf("cut-mode", v.cutMode, CUT_MODES),
    maxHeight: v.maxHeight === undefined ? undefined : wholeNumber("max-height", v.maxHeight, 16, 4320),
    maxFps: v.maxFps === undefined ? undefined : positiveNumber("max-fps", v.maxFps),
    verify: oneOf("verify", v.verify, VERIFY_DEPTHS),
    // Above a few seconds the duration check passes any clip, so a typo would turn it off unnoticed.
    toleranceSec: numberWithin("tolerance", v.tolerance, MIN_TOLERANCE_SEC, MAX_TOLERANCE_SEC),
  };
  const refused = cutModeNamed(cut.mode).refuses(cut);
  if (refused) throw new ValidationError(refused);
  return {
    plays: playsLocation(v, context.cwd),
    stores: {
      videos: location("videos", v.videos),
      out: location("out", v.out),
      gcsEndpoint: text(v.gcsEndpoint),
      tempDir: typeof v.tempDir === "string" ? resolve(context.cwd, v.tempDir) : tmpdir(),
    },
    databaseUrl: text(v.databaseUrl),
    limits: {
      gameConcurrency: wholeNumber("concurrency", v.concurrency, 1, 64),
      clipConcurrency: v.clipConcurrency === undefined
        ? clipConcurrencyFor(cut.mode, availableParallelism())
        : wholeNumber("clip-concurrency", v.clipConcurrency, 1, 64),
      clipTimeoutMs: positiveNumber("clip-timeout", v.clipTimeout) * 1000,
      memoryBytes: Math.round(positiveNumber("memory-mb", v.memoryMb) * 1024 * 1024),
      tempBytes: Math.round(positiveNumber("temp-mb", v.tempMb) * 1024 * 1024),
    },
    cut,
    reads: {
      fetch: oneOf("fetch", v.fetch, FETCH_MODES),
      cacheBytes: Math.round(positiveNumber("cache-mb", v.cacheMb) * 1024 * 1024),
    },
    dataset: {
      split: { ratio: assertSplitRatio(Number(v.splitRatio)), seed: String(v.splitSeed) },
      format: assertJsonlFormat(String(v.format)),
      mediaResolution: oneOf("media-resolution", v.mediaResolution, MEDIA_RESOLUTIONS),
      templates: {
        prompt: text(v.promptTemplate) ?? DEFAULT_TEMPLATES.prompt,
        label: text(v.labelTemplate) ?? DEFAULT_TEMPLATES.label,
      },
    },
    tools: { ffmpegPath: text(v.ffmpegPath), ffprobePath: text(v.ffprobePath), searchPath: context.searchPath },
    log: { format: oneOf("log-format", v.logFormat, LOG_FORMATS) },
  };
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function location(flag: string, value: unknown): string {
  const given = text(value);
  if (given === undefined) throw new ValidationError(`--${flag} is required`);
  return given;
}

function oneOf<T extends string>(flag: string, value: unknown, choices: readonly T[]): T {
  if (!(choices as readonly unknown[]).includes(value)) {
    throw new ValidationError(`--${flag} ${JSON.stringify(value)} is not one of: ${choices.join(", ")}`);
  }
  return value as T;
}

/** The queue's Postgres: --queue-url, else DATABASE_URL / --database-url; null when neither is set. */
export function queueUrlOf(flag: unknown, settings: Settings): string | null {
  return text(flag) ?? settings.databaseUrl ?? null;
}
