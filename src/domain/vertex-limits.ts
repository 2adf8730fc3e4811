import type { MediaResolution } from "./gemini.js";

/** What one tuning epoch is priced at; configurable because prices change. */
export interface TokenPrice {
  usdPerMillionTokens: number;
  /** When the price was read from its source (YYYY-MM-DD). */
  asOf: string;
  source: string;
}

// Every number here is Google's, quoted with the page it comes from, so that a
// reader can check it and a successor can update it in one place.

export const VIDEO_TUNING_DOC = "https://cloud.google.com/vertex-ai/generative-ai/docs/models/tune_gemini/video_tune";
export const TUNING_LIMITS_DOC = "https://cloud.google.com/vertex-ai/generative-ai/docs/models/gemini-supervised-tuning";
export const PRICING_DOC = "https://cloud.google.com/vertex-ai/generative-ai/pricing";

export const VERTEX_LIMITS = {
  /** "Maximum video file size: 100MB" (video tuning, Limitations); read as 100 × 10^6 bytes, the stricter reading. */
  videoFileBytes: { value: 100_000_000, source: VIDEO_TUNING_DOC },
  /** "5 minutes with MEDIA_RESOLUTION_MEDIUM/HIGH, 20 minutes with MEDIA_RESOLUTION_LOW" per example. */
  exampleSeconds: { value: { low: 20 * 60, medium: 5 * 60, high: 5 * 60 } as Record<MediaResolution, number>, source: VIDEO_TUNING_DOC },
  /** "If more than 10% of the dataset is dropped, the job fails before training starts." */
  droppedShare: { value: 0.1, source: VIDEO_TUNING_DOC },
  /** Gemini 2.5 Flash / Flash-Lite: "Maximum input and output training tokens 131,072". */
  exampleTokens: { value: 131_072, source: TUNING_LIMITS_DOC },
  /** "Maximum validation dataset size 5000 examples". */
  validationExamples: { value: 5000, source: TUNING_LIMITS_DOC },
  /** "Maximum training dataset file size 1GB for JSONL" (read as 10^9 bytes). */
  trainingJsonlBytes: { value: 1_000_000_000, source: TUNING_LIMITS_DOC },
  /** "Maximum training dataset size 1M text-only examples or 300K multimodal examples". */
  trainingExamples: { value: 300_000, source: TUNING_LIMITS_DOC },
} as const;

/**
 * Tokens per sampled video frame for Gemini 2.5 (video tuning page, "Dataset
 * format": 64 at LOW, 256 at MEDIUM and HIGH); frames are sampled at 1 per
 * second by default (videoMetadata.fps, default 1.0).
 */
export const TOKENS_PER_FRAME: Record<MediaResolution, number> = { low: 64, medium: 256, high: 256 };
export const FRAMES_PER_SECOND = 1;
/** Audio is 32 tokens per second (Gemini audio understanding); counted so the estimate errs high, not low. */
export const AUDIO_TOKENS_PER_SECOND = 32;
/** Text is estimated at 4 characters per token, Google's rule of thumb for English. */
export const CHARS_PER_TOKEN = 4;

/**
 * Gemini 2.5 Flash supervised tuning, per million training tokens (tokens ×
 * epochs), from the Vertex AI pricing page. It could not be re-read from this
 * build machine: override with --price-per-million and --price-date.
 */
export const DEFAULT_PRICE: TokenPrice = { usdPerMillionTokens: 5, asOf: "2025-07-01", source: PRICING_DOC };

/** Estimated tokens of one example whose video part lasts `seconds`, with its prompt and answer. */
export function estimateTokens(seconds: number, resolution: MediaResolution, text: string): number {
  const frames = Math.max(1, Math.ceil(seconds * FRAMES_PER_SECOND));
  const video = frames * TOKENS_PER_FRAME[resolution];
  const audio = Math.ceil(seconds * AUDIO_TOKENS_PER_SECOND);
  return video + audio + Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** What the per-example limits look at, for a tuning dataset's example or a game's line. */
export interface ExampleFacts {
  bytes: number;
  /** The clip file's duration. */
  seconds: number;
  tokens: number;
}

/** Every per-example Vertex AI limit the example breaks, as sentences; [] when none. */
export function exampleProblems(e: ExampleFacts, resolution: MediaResolution): string[] {
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  const maxSeconds = VERTEX_LIMITS.exampleSeconds.value[resolution];
  const problems: string[] = [];
  if (e.bytes > VERTEX_LIMITS.videoFileBytes.value) problems.push(`clip is ${mb(e.bytes)}, over the ${mb(VERTEX_LIMITS.videoFileBytes.value)} video file limit`);
  if (e.seconds > maxSeconds) problems.push(`clip is ${e.seconds.toFixed(1)} s, over ${maxSeconds / 60} min at ${resolution} media resolution`);
  if (e.tokens > VERTEX_LIMITS.exampleTokens.value) problems.push(`about ${e.tokens} tokens, over the ${VERTEX_LIMITS.exampleTokens.value} per-example limit`);
  return problems;
}

export function epochCostUsd(trainingTokens: number, price: TokenPrice): number {
  return Math.round((trainingTokens / 1_000_000) * price.usdPerMillionTokens * 100) / 100;
}
