/** The side of the court a play was annotated on. */
export const PLAY_ANGLES = ["LEFT", "RIGHT"] as const;
export type PlayAngle = (typeof PLAY_ANGLES)[number];

/** The four cameras every game is recorded with. */
export const CAMERAS = ["FAR_LEFT", "NEAR_LEFT", "FAR_RIGHT", "NEAR_RIGHT"] as const;
export type Camera = (typeof CAMERAS)[number];

/** The plays table's columns the pipeline knows; any other column is metadata. */
export const PLAY_COLUMNS = ["id", "game_id", "angle", "start_timestamp", "end_timestamp", "play_type"] as const;

/** A play row as a source delivers it, before validation (column name → value). */
export type RawPlayRow = Record<string, unknown>;

/** A validated play. Times are seconds from the first frame of the game's videos. */
export interface Play {
  id: string;
  gameId: string;
  angle: PlayAngle;
  start: number;
  end: number;
  playType: string | null;
  /** Every column beyond the known ones, kept as given. */
  metadata: Record<string, unknown>;
}

/** A row that failed validation: recorded in the manifest, never a crash. */
export interface PlayRejection {
  /**
   * Where the row is in its source, as a user finds it there: a CSV's line
   * (the header is line 1), a JSONL line, a JSON array index (from 0); for a
   * database, the row's 1-based position in the game's rows ordered by
   * start_timestamp, id.
   */
  row: number;
  /** The row's id as given, when it had a usable one. */
  playId: string | null;
  reason: string;
}

export interface ValidatedPlays {
  plays: Play[];
  rejected: PlayRejection[];
}

export type ClipStatus = "ok" | "failed";

/** One clip's record in the game manifest: a failed clip is data, not an exception. */
export interface ClipRecord {
  playId: string;
  camera: Camera;
  /** Output object key, e.g. games/{game}/clips/{play}_{camera}.mp4 */
  key: string;
  /** Source video object key, e.g. Games/{game}/{camera}.mp4 */
  source: string;
  requestedStart: number;
  requestedDuration: number;
  /** What the checked clip really holds; null when it failed before a clip existed. */
  actualStart: number | null;
  actualDuration: number | null;
  bytes: number | null;
  /** The cut mode that made the file (src/extraction/modes/): smart falls back to exact where it cannot splice safely. */
  cutMode: string;
  /** Seconds from the clip's first frame to the play's start: 0 except for copy, which starts at a keyframe. */
  offset: number | null;
  /**
   * The play's START and END on the clip file's own timeline (as a player
   * seeks, t = 0 the file's start), for clips that hold more than the play
   * (copy): written to Gemini lines as videoMetadata. Absent otherwise.
   */
  videoOffsets?: { start: number; end: number } | null;
  /** sha256 of the clip's bytes as published, so a later reader can tell a changed clip. */
  sha256?: string | null;
  fallbackReason: string | null;
  status: ClipStatus;
  reason: string | null;
  /** True when a previous run's good clip was kept instead of cutting again. */
  reused: boolean;
  elapsedMs: number;
  /** Requests the output store retried (transient errors) to publish this clip; absent when none. */
  uploadRetries?: number;
}

export type CameraStatus = "ok" | "missing" | "unreadable" | "unused";

export interface CameraRecord {
  camera: Camera;
  source: string;
  status: CameraStatus;
  reason: string | null;
  bytes: number | null;
  duration: number | null;
  startTime: number | null;
  /** How the video reached ffmpeg: read in place, through ranged reads, or downloaded whole. */
  fetch: "local" | "range" | "full" | null;
  /** Bytes read from the store for this camera (ranged reads), when known. */
  bytesFetched: number | null;
  /** The video's identity as its store reports it (GCS generation, or size and mtime), when known. */
  identity?: string | null;
}

export type GameStatus = "complete" | "partial" | "failed";

/**
 * What a reviewer needs of a valid play, recorded by the run that used it, so
 * the report shows the label the dataset was built with even after the plays
 * table changes.
 */
export interface PlaySummary {
  id: string;
  angle: PlayAngle;
  start: number;
  end: number;
  playType: string | null;
  /** The model answer the JSONL teaches (gemini format); null for the seed format, which has none. */
  label: string | null;
}

export interface GameManifest {
  version: 1;
  gameId: string;
  /** The run that wrote it (absent in manifests older than the commit protocol). */
  runId?: string;
  /** complete: every valid play's clips are ok; partial: some clip failed or a row was rejected; failed: no dataset. */
  status: GameStatus;
  reason: string | null;
  startedAt: string;
  finishedAt: string;
  timings: { fetchPlaysMs: number; clipsMs: number; totalMs: number };
  counts: {
    rows: number;
    validPlays: number;
    rejectedPlays: number;
    clipsPlanned: number;
    clipsOk: number;
    clipsFailed: number;
    clipsReused: number;
    /** Sum of the clips' uploadRetries: how much the store had to retry to publish them. */
    uploadRetries: number;
    trainingLines: number;
    validationLines: number;
  };
  split: { ratio: number; seed: string; format: JsonlFormat };
  cameras: CameraRecord[];
  /** The first REJECTIONS_IN_MANIFEST rejections; counts.rejectedPlays has their number. */
  rejectedPlays: PlayRejection[];
  /** When there are more: every rejection, one JSON object a line (games/{id}/rejected_plays.jsonl). */
  rejectedPlaysFile?: string | null;
  /** Every valid play; absent in manifests written before it was recorded. */
  plays?: PlaySummary[];
  clips: ClipRecord[];
  /** Lines of the game's JSONL that break a Vertex AI tuning limit (docs/vertex-limits.md); absent before they were checked. */
  warnings?: string[];
  /** Which side each valid play went to. */
  assignments: Record<string, "training" | "validation">;
  outputs: { training: string; validation: string } | null;
}

export type JsonlFormat = "gemini" | "seed";

/** The result of one game, shaped like the original's process_game return value. */
export interface GameResult {
  game_id: string;
  status: GameStatus;
  reason: string | null;
  total_plays: number;
  rejected_plays: number;
  successful_clips: number;
  failed_clips: number;
  reused_clips: number;
  jsonl_files: { training: string; validation: string } | null;
  manifest: string;
  elapsed_ms: number;
}
