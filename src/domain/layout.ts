import { assertSafeId } from "./ids.js";
import type { Camera } from "./types.js";

// Object keys exactly as the original buckets lay them out.

export function videoKey(gameId: string, camera: Camera): string {
  return `Games/${assertSafeId("game id", gameId)}/${camera}.mp4`;
}

export function gamePrefix(gameId: string): string {
  return `games/${assertSafeId("game id", gameId)}/`;
}

export function clipKey(gameId: string, playId: string, camera: Camera): string {
  return `${gamePrefix(gameId)}clips/${assertSafeId("play id", playId)}_${camera}.mp4`;
}

export function trainingKey(gameId: string): string {
  return `${gamePrefix(gameId)}training_data.jsonl`;
}

export function validationKey(gameId: string): string {
  return `${gamePrefix(gameId)}validation_data.jsonl`;
}

export function manifestKey(gameId: string): string {
  return `${gamePrefix(gameId)}manifest.json`;
}
