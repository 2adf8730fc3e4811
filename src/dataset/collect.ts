import { createHash } from "node:crypto";
import { text } from "node:stream/consumers";
import { errorMessage, StoreError, ValidationError } from "../domain/errors.js";
import type { MediaResolution } from "../domain/gemini.js";
import { trainingKey, validationKey } from "../domain/layout.js";
import type { ClipRecord, GameManifest } from "../domain/types.js";
import { readManifest } from "../pipeline/manifest.js";
import { createPool } from "../pipeline/pool.js";
import { readGameStatus } from "../pipeline/status.js";
import type { ObjectStore } from "../stores/object-store.js";
import type { DatasetExample } from "./model.js";
import { labelPlayType, parseGameLine, type GameLine } from "./read-game-lines.js";

/** An example as read from its game, before the dataset assigns it a side and counts its tokens. */
export type CollectedExample = Omit<DatasetExample, "side" | "tokens">;

export interface CollectedGame {
  game: string;
  finishedAt: string;
  /** The media resolution the game's lines carry; null when they carry none (made before the setting existed). */
  mediaResolution: MediaResolution | null;
  examples: CollectedExample[];
}

// Clips are hashed as they stream from the store; a few at once hide a bucket's latency.
const HASHES_AT_ONCE = 8;

/**
 * Reads what a game's last complete run published: its manifest, both JSONL
 * files, and every clip they name, hashed from the store. Nothing is cut.
 * Every problem of every game is collected, so one error lists them all.
 */
export async function collectGames(store: ObjectStore, games: readonly string[]): Promise<CollectedGame[]> {
  const problems: string[] = [];
  const pool = createPool(HASHES_AT_ONCE);
  const collected = await Promise.all(
    games.map((game) => collectGame(store, game, pool).catch((error: unknown) => {
      problems.push(`game ${game}: ${errorMessage(error)}`);
      return null;
    })),
  );
  if (problems.length > 0) throw new DatasetInputError(problems.sort());
  return collected.filter((g): g is CollectedGame => g !== null);
}

/** Bad dataset inputs, each named: the build writes nothing. */
export class DatasetInputError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? (problems[0] ?? "") : `${problems.length} problems:\n  ${problems.join("\n  ")}`);
    this.name = "DatasetInputError";
  }
}

async function collectGame(store: ObjectStore, game: string, pool: ReturnType<typeof createPool>): Promise<CollectedGame> {
  const manifest = await completeManifest(store, game);
  if (manifest.split.format !== "gemini") {
    throw new Error(`its dataset was written with --format ${manifest.split.format}; a tuning dataset needs --format gemini (rerun the game with it)`);
  }
  const lines = [...(await readLines(store, trainingKey(game))), ...(await readLines(store, validationKey(game)))];
  const clipsByUri = new Map(manifest.clips.filter((c) => c.status === "ok").map((c) => [store.uri(c.key), c]));
  const identities = new Map(manifest.cameras.map((c) => [c.source, c.identity ?? null]));
  const resolutions = new Set(lines.map((l) => l.mediaResolution));
  if (resolutions.size > 1) throw new Error(`its lines mix media resolutions (${[...resolutions].join(", ")})`);
  const examples = await Promise.all(
    lines.map((line) => {
      const clip = clipsByUri.get(line.uri);
      if (!clip) throw new Error(`its JSONL names ${line.uri}, which its manifest does not list as an ok clip`);
      return pool.run(() => checkedExample(store, game, clip, line, identities.get(clip.source) ?? null));
    }),
  );
  return { game, finishedAt: manifest.finishedAt, mediaResolution: lines[0]?.mediaResolution ?? null, examples };
}

async function completeManifest(store: ObjectStore, game: string): Promise<GameManifest> {
  const [status, read] = await Promise.all([readGameStatus(store, game), readManifest(store, game)]);
  if (read.kind === "absent") {
    throw new Error(`unknown game: ${store.name} has no games/${game}/manifest.json (run \`playclips run --games ${game}\` first)`);
  }
  if (read.kind === "invalid") throw new Error(`its manifest cannot be used: ${read.reason}`);
  if (status.state === "failed") throw new Error(`it has no dataset: its last run failed (${status.reason ?? "no reason recorded"})`);
  if (status.state !== "complete" || !read.manifest.outputs) {
    throw new Error("it has no dataset yet (pending: its training and validation files are not both published)");
  }
  return read.manifest;
}

async function readLines(store: ObjectStore, key: string): Promise<GameLine[]> {
  let body: string;
  try {
    body = await text(await store.read(key));
  } catch (error) {
    if (error instanceof StoreError && error.code === "not_found") throw new Error(`${key} is missing`);
    throw error;
  }
  return body.split("\n").filter((l) => l.trim() !== "").map((line, i) => parseGameLine(line, `${key} line ${i + 1}`));
}

async function checkedExample(
  store: ObjectStore, game: string, clip: ClipRecord, line: GameLine, identity: string | null,
): Promise<CollectedExample> {
  const info = await store.stat(clip.key);
  if (!info) throw new Error(`clip ${clip.key} is listed in its manifest but missing from ${store.name}`);
  if (info.size !== clip.bytes) {
    throw new Error(`clip ${clip.key} changed in the store: ${info.size} bytes, the manifest recorded ${clip.bytes}`);
  }
  const sha256 = await hashObject(store, clip.key);
  if (clip.sha256 && clip.sha256 !== sha256) {
    throw new Error(`clip ${clip.key} changed in the store: its sha256 is ${sha256}, the manifest recorded ${clip.sha256}`);
  }
  return {
    game,
    play: clip.playId,
    camera: clip.camera,
    key: clip.key,
    uri: line.uri,
    bytes: info.size,
    duration: clip.actualDuration ?? clip.requestedDuration,
    sha256,
    source: { key: clip.source, identity },
    offsets: clip.videoOffsets ?? null,
    playType: labelPlayType(line.label),
    prompt: line.prompt,
    label: line.label,
  };
}

async function hashObject(store: ObjectStore, key: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of await store.read(key)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Every game with a manifest under the store's games/ folder, for --all. */
export async function listGamesInStore(store: ObjectStore): Promise<string[]> {
  if (!store.list) throw new ValidationError(`${store.name} cannot list its games: name them with --games`);
  const objects = await store.list("games/");
  const games = objects.map((o) => /^games\/([^/]+)\/manifest\.json$/.exec(o.key)?.[1]).filter((g): g is string => !!g);
  return [...new Set(games)].sort();
}
