import { DEFAULT_SPLIT } from "../domain/split.js";
import { CUT_MODES, DEFAULT_CUT_MODE, cutModeNamed } from "../extraction/modes/registry.js";
import { DEFAULT_CACHE_BYTES } from "../extraction/range/block-cache.js";
import { DEFAULT_DURATION_TOLERANCE_SEC } from "../extraction/verify.js";
import { DEFAULT_MEMORY_MB } from "../pipeline/clip-memory.js";
import { DEFAULT_TEMP_MB } from "../pipeline/clip-temp.js";

/** Which part of the pipeline a setting feeds; a command's --help lists the groups it uses. */
export type SettingGroup = "plays" | "stores" | "limits" | "cut" | "reads" | "dataset" | "tools" | "logging";

/** One setting: where it may come from and what it defaults to. */
export interface SettingSpec {
  /** Key in the resolved config and in playclips.config.json. */
  key: string;
  flag: string;
  env?: string[];
  type: "string" | "number" | "boolean";
  group: SettingGroup;
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
 * variables, the config file, `playclips config` and each command's --help
 * can never disagree. Each default is written here and nowhere else (or here
 * by name, when the module that owns the number exports it).
 */
export const SETTINGS = [
  { key: "plays", flag: "plays", env: ["PLAYCLIPS_PLAYS"], type: "string", group: "plays", help: "plays: a .csv/.json/.jsonl file, postgres://… URL, 'supabase', or 'embedded' (default: Supabase or DATABASE_URL when set, else the embedded database)" },
  { key: "db", flag: "db", env: ["PLAYCLIPS_DB"], type: "string", group: "plays", default: ".playclips/db", help: "folder of the embedded Postgres (PGlite)" },
  { key: "databaseUrl", flag: "database-url", env: ["DATABASE_URL"], type: "string", group: "plays", secret: true, help: "Postgres holding the plays table (and the queue, without --queue-url)" },
  { key: "supabaseUrl", flag: "supabase-url", env: ["SUPABASE_URL"], type: "string", group: "plays", help: "Supabase project URL" },
  { key: "supabaseServiceKey", flag: "supabase-service-key", env: ["SUPABASE_SERVICE_KEY"], type: "string", group: "plays", secret: true, help: "Supabase service role key" },
  { key: "videos", flag: "videos", env: ["PLAYCLIPS_VIDEOS", "GCS_VIDEO_BUCKET"], fromEnv: bucketUri, type: "string", group: "stores", default: ".playclips/demo", help: "folder or gs://bucket[/prefix] holding Games/{game_id}/{CAMERA}.mp4" },
  { key: "out", flag: "out", env: ["PLAYCLIPS_OUT", "GCS_TRAINING_BUCKET"], fromEnv: bucketUri, type: "string", group: "stores", default: ".playclips/demo", help: "folder or gs://bucket[/prefix] receiving games/{game_id}/…" },
  { key: "gcsEndpoint", flag: "gcs-endpoint", env: ["PLAYCLIPS_GCS_ENDPOINT"], type: "string", group: "stores", help: "GCS API endpoint (an emulator); default Google's" },
  { key: "concurrency", flag: "concurrency", env: ["PLAYCLIPS_CONCURRENCY"], type: "number", group: "limits", default: 2, help: "games processed at once" },
  { key: "clipConcurrency", flag: "clip-concurrency", env: ["PLAYCLIPS_CLIP_CONCURRENCY"], type: "number", group: "limits", help: "clips cut at once, shared by all games (default: the cut mode's, from the cores)" },
  { key: "memoryMb", flag: "memory-mb", env: ["PLAYCLIPS_MEMORY_MB"], type: "number", group: "limits", default: DEFAULT_MEMORY_MB, help: "MiB a run may use: this process plus its clips' ffmpeg processes, estimated per clip from the source (clips wait for room; one always runs)" },
  { key: "tempMb", flag: "temp-mb", env: ["PLAYCLIPS_TEMP_MB"], type: "number", group: "limits", default: DEFAULT_TEMP_MB, help: "MiB of temp disk the clips in flight may fill (their outputs before upload, smart's excerpts), estimated per clip from the camera's bitrate (clips wait for room; one always runs)" },
  { key: "clipTimeout", flag: "clip-timeout", env: ["PLAYCLIPS_CLIP_TIMEOUT"], type: "number", group: "limits", default: 60, help: "seconds before one clip's ffmpeg is killed" },
  { key: "tempDir", flag: "temp-dir", env: ["PLAYCLIPS_TEMP_DIR", "TMPDIR"], type: "string", group: "stores", help: "scratch folder for clips being cut (default: the system's)" },
  { key: "tolerance", flag: "tolerance", env: ["PLAYCLIPS_DURATION_TOLERANCE"], type: "number", group: "cut", default: DEFAULT_DURATION_TOLERANCE_SEC, help: "seconds a clip's duration may differ from the play's (0.01 to 5)" },
  { key: "cutMode", flag: "cut-mode", env: ["PLAYCLIPS_CUT_MODE"], type: "string", group: "cut", default: DEFAULT_CUT_MODE, help: CUT_MODES.map((name) => `${name} (${cutModeNamed(name).summary})`).join(" | ") },
  { key: "maxHeight", flag: "max-height", env: ["PLAYCLIPS_MAX_HEIGHT"], type: "number", group: "cut", help: "scale clips down to this height (exact; smart falls back to exact)" },
  { key: "maxFps", flag: "max-fps", env: ["PLAYCLIPS_MAX_FPS"], type: "number", group: "cut", help: "cap the clips' frame rate (exact; smart falls back to exact)" },
  { key: "verify", flag: "verify", env: ["PLAYCLIPS_VERIFY"], type: "string", group: "cut", default: "seams", help: "smart clips: seams (decode the re-encoded ends and the copied GOPs beside them, check the copied middle by its index) | full (decode every frame)" },
  { key: "fetch", flag: "fetch", env: ["PLAYCLIPS_FETCH"], type: "string", group: "reads", default: "auto", help: "bucket videos: range (read only the bytes clips need) | full (download first) | auto (full when plays cover half the video or more)" },
  { key: "cacheMb", flag: "cache-mb", env: ["PLAYCLIPS_CACHE_MB"], type: "number", group: "reads", default: DEFAULT_CACHE_BYTES / (1024 * 1024), help: "memory for each open camera video's range cache, in MiB" },
  { key: "splitRatio", flag: "split-ratio", env: ["PLAYCLIPS_SPLIT_RATIO"], type: "number", group: "dataset", default: DEFAULT_SPLIT.ratio, help: "share of plays in training_data.jsonl" },
  { key: "splitSeed", flag: "split-seed", env: ["PLAYCLIPS_SPLIT_SEED"], type: "string", group: "dataset", default: DEFAULT_SPLIT.seed, help: "seed of the deterministic split" },
  { key: "format", flag: "format", env: ["PLAYCLIPS_FORMAT"], type: "string", group: "dataset", default: "gemini", help: "JSONL line format: gemini | seed" },
  { key: "mediaResolution", flag: "media-resolution", env: ["PLAYCLIPS_MEDIA_RESOLUTION"], type: "string", group: "dataset", default: "low", help: "Gemini mediaResolution on every line: low | medium | high (docs/vertex-limits.md)" },
  { key: "promptTemplate", flag: "prompt-template", env: ["PLAYCLIPS_PROMPT_TEMPLATE"], type: "string", group: "dataset", help: "prompt text with {field} placeholders (default: docs/dataset-format.md)" },
  { key: "labelTemplate", flag: "label-template", env: ["PLAYCLIPS_LABEL_TEMPLATE"], type: "string", group: "dataset", help: "model answer with {field} placeholders (default: {annotation_json})" },
  { key: "ffmpegPath", flag: "ffmpeg", env: ["FFMPEG_PATH"], type: "string", group: "tools", help: "ffmpeg binary (default: found on PATH)" },
  { key: "ffprobePath", flag: "ffprobe", env: ["FFPROBE_PATH"], type: "string", group: "tools", help: "ffprobe binary (default: beside --ffmpeg, else on PATH)" },
  { key: "logFormat", flag: "log-format", env: ["PLAYCLIPS_LOG_FORMAT"], type: "string", group: "logging", default: "auto", help: "log lines: auto (json off a terminal, the human display on one) | json (Cloud Logging structured lines: docs/logging.md) | text" },
] as const satisfies readonly SettingSpec[];

export type SettingKey = (typeof SETTINGS)[number]["key"];

/** A setting's default as the table states it, for a command flag that means the same thing. */
export function settingDefault(key: SettingKey): string | number | boolean | undefined {
  return (SETTINGS as readonly SettingSpec[]).find((s) => s.key === key)?.default;
}

/** Every group: what a command that runs games uses. */
export const ALL_GROUPS: readonly SettingGroup[] = ["plays", "stores", "limits", "cut", "reads", "dataset", "tools", "logging"];

/**
 * The settings lines of a command's --help, from the table: flag, meaning,
 * default and environment variables. Commands accept every setting flag (one
 * flag list serves all of them); these are the ones this command uses.
 */
export function settingsHelp(groups: readonly SettingGroup[]): string {
  const specs = (SETTINGS as readonly SettingSpec[]).filter((s) => groups.includes(s.group));
  const width = Math.max(...specs.map((s) => s.flag.length)) + 2;
  const lines = specs.map((s) => {
    const dflt = s.default === undefined ? "" : ` (default ${JSON.stringify(s.default)})`;
    const env = s.env ? ` [${s.env.join(", ")}]` : "";
    return `  --${s.flag.padEnd(width)}${s.help}${dflt}${env}`;
  });
  return `settings (flag > environment > playclips.config.json > default; \`playclips config\` shows the values):\n${lines.join("\n")}`;
}
