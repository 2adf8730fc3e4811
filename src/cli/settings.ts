/** One setting: where it may come from and what it defaults to. */
export interface SettingSpec {
  /** Key in the resolved config and in playclips.config.json. */
  key: string;
  flag: string;
  env?: string[];
  type: "string" | "number" | "boolean";
  default?: string | number | boolean;
  /** Shown as [redacted] by `playclips config`, and kept out of every message. */
  secret?: boolean;
  /** Turns an environment value into the setting's form (a bucket name into gs://bucket). */
  fromEnv?: (name: string, value: string) => string;
  help: string;
}

// The original's GCS_*_BUCKET variables hold bare bucket names.
const bucketUri = (name: string, value: string): string =>
  name.startsWith("GCS_") && !value.startsWith("gs://") ? `gs://${value}` : value;


/**
 * Every setting of the pipeline, in one table so that flags, environment
 * variables, the config file and `playclips config` can never disagree.
 */
export const SETTINGS = [
  { key: "plays", flag: "plays", env: ["PLAYCLIPS_PLAYS"], type: "string", help: "plays: a .csv/.json/.jsonl file, postgres://… URL, 'supabase', or 'embedded' (default: Supabase or DATABASE_URL when set, else the embedded database)" },
  { key: "db", flag: "db", env: ["PLAYCLIPS_DB"], type: "string", default: ".playclips/db", help: "folder of the embedded Postgres (PGlite)" },
  { key: "databaseUrl", flag: "database-url", env: ["DATABASE_URL"], type: "string", secret: true, help: "Postgres holding the plays table" },
  { key: "supabaseUrl", flag: "supabase-url", env: ["SUPABASE_URL"], type: "string", help: "Supabase project URL" },
  { key: "supabaseServiceKey", flag: "supabase-service-key", env: ["SUPABASE_SERVICE_KEY"], type: "string", secret: true, help: "Supabase service role key" },
  { key: "videos", flag: "videos", env: ["PLAYCLIPS_VIDEOS", "GCS_VIDEO_BUCKET"], fromEnv: bucketUri, type: "string", default: ".playclips/demo", help: "folder or gs://bucket[/prefix] holding Games/{game_id}/{CAMERA}.mp4" },
  { key: "out", flag: "out", env: ["PLAYCLIPS_OUT", "GCS_TRAINING_BUCKET"], fromEnv: bucketUri, type: "string", default: ".playclips/demo", help: "folder or gs://bucket[/prefix] receiving games/{game_id}/…" },
  { key: "gcsEndpoint", flag: "gcs-endpoint", env: ["PLAYCLIPS_GCS_ENDPOINT"], type: "string", help: "GCS API endpoint (an emulator); default Google's" },
  { key: "concurrency", flag: "concurrency", env: ["PLAYCLIPS_CONCURRENCY"], type: "number", default: 2, help: "games processed at once" },
  { key: "clipConcurrency", flag: "clip-concurrency", env: ["PLAYCLIPS_CLIP_CONCURRENCY"], type: "number", help: "clips cut at once, shared by all games (default: the cores for exact and smart, 2 × the cores for copy)" },
  { key: "clipTimeout", flag: "clip-timeout", env: ["PLAYCLIPS_CLIP_TIMEOUT"], type: "number", default: 60, help: "seconds before one clip's ffmpeg is killed" },
  { key: "tolerance", flag: "tolerance", env: ["PLAYCLIPS_DURATION_TOLERANCE"], type: "number", default: 0.2, help: "seconds a clip's duration may differ from the play's" },
  { key: "fetch", flag: "fetch", env: ["PLAYCLIPS_FETCH"], type: "string", default: "auto", help: "bucket videos: range (read only the bytes clips need) | full (download first) | auto (full when plays cover half the video or more)" },
  { key: "cacheMb", flag: "cache-mb", env: ["PLAYCLIPS_CACHE_MB"], type: "number", default: 32, help: "memory for each open camera video's range cache, in MiB" },
  { key: "cutMode", flag: "cut-mode", env: ["PLAYCLIPS_CUT_MODE"], type: "string", default: "exact", help: "exact (frame-accurate, re-encoded) | copy (keyframe start, no re-encode) | smart (frame-accurate, re-encodes only the partial GOPs at both ends, copies the rest)" },
  { key: "maxHeight", flag: "max-height", env: ["PLAYCLIPS_MAX_HEIGHT"], type: "number", help: "scale clips down to this height (exact; smart falls back to exact)" },
  { key: "maxFps", flag: "max-fps", env: ["PLAYCLIPS_MAX_FPS"], type: "number", help: "cap the clips' frame rate (exact; smart falls back to exact)" },
  { key: "splitRatio", flag: "split-ratio", env: ["PLAYCLIPS_SPLIT_RATIO"], type: "number", default: 0.8, help: "share of plays in training_data.jsonl" },
  { key: "splitSeed", flag: "split-seed", env: ["PLAYCLIPS_SPLIT_SEED"], type: "string", default: "playclips", help: "seed of the deterministic split" },
  { key: "format", flag: "format", env: ["PLAYCLIPS_FORMAT"], type: "string", default: "gemini", help: "JSONL line format: gemini | seed" },
  { key: "promptTemplate", flag: "prompt-template", env: ["PLAYCLIPS_PROMPT_TEMPLATE"], type: "string", help: "prompt text with {field} placeholders" },
  { key: "labelTemplate", flag: "label-template", env: ["PLAYCLIPS_LABEL_TEMPLATE"], type: "string", help: "model answer with {field} placeholders" },
  { key: "tempDir", flag: "temp-dir", env: ["PLAYCLIPS_TEMP_DIR", "TMPDIR"], type: "string", help: "scratch folder for clips being cut" },
  { key: "ffmpegPath", flag: "ffmpeg", env: ["FFMPEG_PATH"], type: "string", help: "ffmpeg binary (default: found on PATH)" },
  { key: "ffprobePath", flag: "ffprobe", env: ["FFPROBE_PATH"], type: "string", help: "ffprobe binary (default: found on PATH)" },
] as const satisfies readonly SettingSpec[];

export type SettingKey = (typeof SETTINGS)[number]["key"];
