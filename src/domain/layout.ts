import { assertSafeId, parseGameId, type GameId } from "./ids.js";
import type { Camera } from "./types.js";

// Object keys exactly as the original buckets lay them out.

/** Every key of one game, built once from its parsed id. */
export interface GameLayout {
  readonly gameId: GameId;
  /** games/{game_id}/ in the output store. */
  readonly prefix: string;
  readonly training: string;
  readonly validation: string;
  readonly manifest: string;
  /** Every rejected play, when there are more than the manifest lists. */
  readonly rejectedPlays: string;
  /** The HTML report (playclips report) and the folder of its thumbnails. */
  readonly report: string;
  readonly reportThumbs: string;
  /** Games/{game_id}/{CAMERA}.mp4 in the videos store. */
  video(camera: Camera): string;
  /** Of a validated play (its id is already a safe file name). */
  clip(playId: string, camera: Camera): string;
}

export function gameLayout(gameId: GameId): GameLayout {
  const prefix = `games/${gameId}/`;
  return {
    gameId,
    prefix,
    training: `${prefix}training_data.jsonl`,
    validation: `${prefix}validation_data.jsonl`,
    manifest: `${prefix}manifest.json`,
    rejectedPlays: `${prefix}rejected_plays.jsonl`,
    report: `${prefix}report/index.html`,
    reportThumbs: `${prefix}report/thumbs/`,
    video: (camera) => `Games/${gameId}/${camera}.mp4`,
    clip: (playId, camera) => `${prefix}clips/${playId}_${camera}.mp4`,
  };
}

// The same keys for a game id given as text (library callers, tests): parsed here, at that edge.

export function videoKey(gameId: string, camera: Camera): string {
  return gameLayout(parseGameId(gameId)).video(camera);
}

export function gamePrefix(gameId: string): string {
  return gameLayout(parseGameId(gameId)).prefix;
}

export function clipKey(gameId: string, playId: string, camera: Camera): string {
  return gameLayout(parseGameId(gameId)).clip(assertSafeId("play id", playId), camera);
}

export function trainingKey(gameId: string): string {
  return gameLayout(parseGameId(gameId)).training;
}

export function validationKey(gameId: string): string {
  return gameLayout(parseGameId(gameId)).validation;
}

export function manifestKey(gameId: string): string {
  return gameLayout(parseGameId(gameId)).manifest;
}

export function reportKey(gameId: string): string {
  return gameLayout(parseGameId(gameId)).report;
}

export function reportThumbsPrefix(gameId: string): string {
  return gameLayout(parseGameId(gameId)).reportThumbs;
}

export function reportThumbKey(gameId: string, name: string): string {
  return `${reportThumbsPrefix(gameId)}${name}`;
}

/** The small status object pollers read (docs/manifest-and-reruns.md); also the game's run lease. */
export function statusKey(gameId: string): string {
  return `${gamePrefix(gameId)}status.json`;
}

/** A run's own, never-replaced copy of one of its outputs: manifest.json, the JSONL files, progress.json. */
export function runFileKey(gameId: string, runId: string, name: "manifest.json" | "training_data.jsonl" | "validation_data.jsonl" | "progress.json"): string {
  return `${gamePrefix(gameId)}runs/${assertSafeId("run id", runId)}/${name}`;
}
