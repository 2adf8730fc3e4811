import type { LineTemplates } from "../domain/jsonl.js";
import type { SplitOptions } from "../domain/split.js";
import type { ClipRecord, CutMode, GameResult, JsonlFormat } from "../domain/types.js";
import type { MediaTools } from "../extraction/tools.js";
import type { PlaySource } from "../sources/play-source.js";
import type { ObjectStore } from "../stores/object-store.js";
import type { Pool } from "./pool.js";

/** What happens while games run; entry points turn these into progress and logs. */
export type PipelineEvent =
  | { type: "game-start"; gameId: string }
  | { type: "game-planned"; gameId: string; clips: number; rejectedPlays: number }
  | { type: "camera-failed"; gameId: string; camera: string; reason: string }
  | { type: "clip-done"; gameId: string; clip: ClipRecord }
  | { type: "game-done"; gameId: string; result: GameResult }
  | { type: "game-error"; gameId: string; error: string };

/**
 * Everything processGame needs, resolved by an entry point. The core reads no
 * environment and opens nothing on its own: every backend arrives here.
 */
export interface PipelineContext {
  plays: PlaySource;
  /** The bucket holding Games/{game_id}/{CAMERA}.mp4. */
  videos: ObjectStore;
  /** The bucket receiving games/{game_id}/… */
  output: ObjectStore;
  tools: MediaTools;
  /** Shared by all games of a run: bounds concurrent ffmpeg processes. */
  clipPool: Pool;
  /**
   * Bounds uploads running at once, and so the cut clips waiting in temp for
   * one. Uploads never hold a clip slot; without this pool they are unbounded.
   */
  uploadPool?: Pool;
  tempDir: string;
  clipTimeoutMs: number;
  /** How camera videos in a bucket reach ffmpeg (docs/range-reads.md); default "auto". */
  sourceFetch?: "auto" | "range" | "full";
  /** Memory for each opened camera video's range cache, in bytes; default 32 MiB. */
  sourceCacheBytes?: number;
  /** How clips are cut; maxHeight/maxFps need a full re-encode (exact). */
  cut: { mode: CutMode; maxHeight?: number; maxFps?: number };
  durationToleranceSec: number;
  split: SplitOptions;
  format: JsonlFormat;
  templates: LineTemplates;
  /** Keep good clips of an earlier run (default); false re-cuts everything. */
  reuse: boolean;
  onEvent?: (event: PipelineEvent) => void;
  signal?: AbortSignal;
}
