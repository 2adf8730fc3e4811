import type { MediaResolution, VideoOffsets } from "../domain/gemini.js";
import type { Camera } from "../domain/types.js";
import type { TokenPrice } from "../domain/vertex-limits.js";

export type { MediaResolution, VideoOffsets } from "../domain/gemini.js";

export const SPLIT_BYS = ["game", "play"] as const;
export type SplitBy = (typeof SPLIT_BYS)[number];
export type Side = "training" | "validation";

/** One tuning example: a clip of one play by one camera, with its prompt and answer. */
export interface DatasetExample {
  game: string;
  play: string;
  camera: Camera;
  side: Side;
  /** Output object key and the URI the JSONL names (gs://… or file://…). */
  key: string;
  uri: string;
  bytes: number;
  /** The clip file's video duration in seconds. */
  duration: number;
  sha256: string;
  /** The camera video the clip was cut from, as the store identified it when cut; null when not recorded. */
  source: { key: string; identity: string | null };
  /** Present for clips that hold more than the play (copy mode): the model sees only this part. */
  offsets: VideoOffsets | null;
  /** play_type from the label, when the label is a JSON object that has one. */
  playType: string | null;
  prompt: string;
  label: string;
  /** Estimated tokens of the whole example (video + audio + text); see docs/dataset-format.md. */
  tokens: number;
}

/** An example left out by --drop-invalid, and why. */
export interface DroppedExample {
  game: string;
  play: string;
  camera: Camera;
  reasons: string[];
}

export interface DatasetBuildSettings {
  splitBy: SplitBy;
  splitRatio: number;
  splitSeed: string;
  mediaResolution: MediaResolution;
  allowLocal: boolean;
  dropInvalid: boolean;
  price: TokenPrice;
}


/** The games a dataset was built from, each as of the run that made it. */
export interface GameInput {
  game: string;
  /** The manifest's finishedAt: a rerun of the game is a different input. */
  finishedAt: string;
  examples: number;
}

export interface LimitCheck {
  limit: string;
  value: string;
  ok: boolean;
  source: string;
}

export interface PublishedFile {
  key: string;
  uri: string;
  bytes: number;
  sha256: string;
}

/** datasets/{NAME}/dataset.json: the record of a built dataset (docs/dataset-format.md). */
export interface DatasetDocument {
  kind: "playclips-dataset";
  version: 1;
  name: string;
  playclips: string;
  settings: DatasetBuildSettings;
  games: GameInput[];
  counts: { training: number; validation: number; dropped: number; games: number; plays: number };
  tokens: { perExampleMax: number; training: number; validation: number; estimatedEpochUsd: number };
  checks: LimitCheck[];
  dropped: DroppedExample[];
  examples: DatasetExample[];
  /** The other three files as written; a reader that finds one different sees an incomplete dataset. */
  files: { training: PublishedFile; validation: PublishedFile; card: PublishedFile };
}
