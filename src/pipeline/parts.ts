import type { MediaResolution } from "../domain/gemini.js";
import type { LineTemplates } from "../domain/jsonl.js";
import type { SplitOptions } from "../domain/split.js";
import type { ClipRecord, GameResult, JsonlFormat } from "../domain/types.js";
import type { CutMode } from "../extraction/modes/registry.js";
import type { VerifyDepth } from "../extraction/smart-check.js";
import type { MediaTools } from "../extraction/tools.js";
import type { PlaySource } from "../sources/play-source.js";
import type { ObjectStore } from "../stores/object-store.js";
import type { MemoryGate } from "./memory-gate.js";
import type { Pool } from "./pool.js";
import type { SourceReads } from "./source-video.js";
import type { TempGate } from "./temp-gate.js";

export type { SourceReads };

/**
 * What happens while games run; entry points turn these into progress and logs.
 * runId names the run that sent it; absent for a game no run could start for.
 */
export type PipelineEvent = { runId?: string } & (
  | { type: "game-start"; gameId: string }
  | { type: "game-planned"; gameId: string; clips: number; rejectedPlays: number }
  | { type: "camera-failed"; gameId: string; camera: string; reason: string }
  | { type: "clip-done"; gameId: string; clip: ClipRecord }
  | { type: "game-done"; gameId: string; result: GameResult }
  | { type: "game-error"; gameId: string; error: string }
);

/** Where things are read from and written to; opened by an entry point, never by the core. */
export interface Backends {
  plays: PlaySource;
  /** The bucket holding Games/{game_id}/{CAMERA}.mp4. */
  videos: ObjectStore;
  /** The bucket receiving games/{game_id}/… */
  output: ObjectStore;
  tools: MediaTools;
  /** Scratch folder for clips being cut and whole downloads. */
  tempDir: string;
}

/** How clips are cut and checked; what a mode means is its strategy's (src/extraction/modes/). */
export interface CutSettings {
  mode: CutMode;
  maxHeight?: number;
  maxFps?: number;
  /** How much of a spliced (smart) clip its check decodes; default "seams". */
  verify?: VerifyDepth;
  /** Seconds a clip's duration may differ from its play's. */
  toleranceSec: number;
}

/** How the JSONL files are made. */
export interface DatasetSettings {
  split: SplitOptions;
  format: JsonlFormat;
  templates: LineTemplates;
  /** Written on every Gemini line as generationConfig.mediaResolution; none when absent. */
  mediaResolution?: MediaResolution;
}

/** Bounds shared by every game of a process. */
export interface Limits {
  /** Bounds concurrent ffmpeg processes across all games. */
  clipPool: Pool;
  /** Holds clips back while their estimated memory does not fit the budget (--memory-mb); none: no bound. */
  clipMemory?: MemoryGate;
  /** Holds clips back while their estimated temp (output, excerpt) does not fit (--temp-mb); none: no bound. */
  clipTemp?: TempGate;
  /**
   * Bounds uploads running at once, and so the cut clips waiting in temp for
   * one. Uploads never hold a clip slot.
   */
  uploadPool: Pool;
  /** One ffmpeg/ffprobe run longer than this is killed. */
  clipTimeoutMs: number;
}

/**
 * Everything a process sets up once to run games: small typed parts, so a
 * function that needs only the cut settings says so in its signature. The
 * core reads no environment and opens nothing on its own.
 */
export interface Pipeline {
  backends: Backends;
  cut: CutSettings;
  reads: SourceReads;
  dataset: DatasetSettings;
  limits: Limits;
}

/** What one run of a game (or batch) is told by its caller. */
export interface RunOptions {
  /** Keep good clips of an earlier run (default true); false re-cuts everything. */
  reuse?: boolean;
  /** Cancels the run: nothing of it is published afterwards (RunCancelledError). */
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
  /** How a run holds its game (docs/manifest-and-reruns.md); default stale after 2 min, a heartbeat every quarter of that. */
  lease?: {
    staleAfterMs?: number;
    heartbeatMs?: number;
    now?: () => number;
    /**
     * Take the game even from an attempt whose heartbeat is fresh: for a queue
     * that hands a job over only once its previous owner's time ran out (that
     * owner cancels itself then, and its next lease write is refused).
     */
    takeOver?: boolean;
  };
  /** A failed run removes the game's published dataset instead of keeping it (run --discard-on-failure). */
  discardDatasetOnFailure?: boolean;
}
