import { availableParallelism } from "node:os";

/** One setting: where it may come from and what it defaults to. */
export interface SettingSpec {
  /** Key in the resolved config and in playclips.config.json. */
  key: string;
  flag: string;
  env?: string[];
  type: "string" | "number" | "boolean";
  default?: string | number | boolean;
  secret?: boolean;
  help: string;
}

const cores = availableParallelism();

/**
 * Every setting of the pipeline, in one table so that flags, environment
 * variables, the config file and `playclips config` can never disagree.
 */
export const SETTINGS = [
  { key: "plays", flag: "plays", env: ["PLAYCLIPS_PLAYS"], type: "string", default: ".playclips/demo/plays.csv", help: "plays file (.csv, .json, .jsonl)" },
  { key: "videos", flag: "videos", env: ["PLAYCLIPS_VIDEOS"], type: "string", default: ".playclips/demo", help: "folder holding Games/{game_id}/{CAMERA}.mp4" },
  { key: "out", flag: "out", env: ["PLAYCLIPS_OUT"], type: "string", default: ".playclips/demo", help: "folder receiving games/{game_id}/…" },
  { key: "concurrency", flag: "concurrency", env: ["PLAYCLIPS_CONCURRENCY"], type: "number", default: 2, help: "games processed at once" },
  { key: "clipConcurrency", flag: "clip-concurrency", env: ["PLAYCLIPS_CLIP_CONCURRENCY"], type: "number", default: cores, help: "ffmpeg processes at once, shared by all games" },
  { key: "clipTimeout", flag: "clip-timeout", env: ["PLAYCLIPS_CLIP_TIMEOUT"], type: "number", default: 60, help: "seconds before one clip's ffmpeg is killed" },
  { key: "tolerance", flag: "tolerance", env: ["PLAYCLIPS_DURATION_TOLERANCE"], type: "number", default: 0.2, help: "seconds a clip's duration may differ from the play's" },
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
