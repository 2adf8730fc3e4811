import { CUT_MODES } from "../src/extraction/modes/registry.js";
import { DEFAULT_CACHE_BYTES } from "../src/extraction/range/block-cache.js";
import { type BenchParams, FULL, QUICK, SCALE } from "./generate.js";
import { type BucketModel, GCS_LIKE } from "./http-store.js";

export type BenchSize = "quick" | "full" | "scale";

export interface BenchArgs {
  size: BenchSize;
  params: BenchParams;
  bucket: BucketModel;
  /** The playclips modes to run: every registered cut mode unless --modes says fewer. */
  modes: string[];
  /** Skip the original design's run (it is the slowest): ratios against it are then NaN and its targets unmet. */
  baseline: boolean;
  /** `--cache-mb`: each open camera's range cache, as the CLI setting; default the CLI's. */
  cacheMb: number;
}

const USAGE = "usage: npm run bench -- [--quick | --scale] [--plays N] [--play-seconds MIN-MAX] [--latency-ms N] [--bandwidth-mbps N] [--modes exact,smart,copy | none] [--no-baseline] [--cache-mb N]";

/**
 * `--quick` (720p, 6 min), the default (1080p, 20 min) or `--scale` (1080p,
 * 4 h). `--plays N` (per angle) and `--play-seconds MIN-MAX` change the plays,
 * not the cached videos; `--latency-ms` / `--bandwidth-mbps` the bucket model.
 */
export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes("--quick") && argv.includes("--scale")) throw new Error(`--quick and --scale are two sizes; pick one. ${USAGE}`);
  const size: BenchSize = argv.includes("--quick") ? "quick" : argv.includes("--scale") ? "scale" : "full";
  const params = { ...(size === "quick" ? QUICK : size === "scale" ? SCALE : FULL) };
  const plays = value("--plays");
  if (plays !== undefined) {
    if (!/^[1-9]\d*$/.test(plays)) throw new Error(`--plays takes a whole number of plays per angle, got ${plays}`);
    params.playsPerAngle = Number(plays);
  }
  const seconds = value("--play-seconds");
  if (seconds !== undefined) {
    const m = /^(\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)$/.exec(seconds);
    if (!m || !(Number(m[1]) > 0) || !(Number(m[2]) >= Number(m[1]))) throw new Error(`--play-seconds takes MIN-MAX seconds, e.g. 6-18; got ${seconds}`);
    params.playSeconds = { min: Number(m[1]), max: Number(m[2]) };
  }
  if (params.playsPerAngle * params.playSeconds.max > params.durationSec - 20) throw new Error("the plays do not fit in the video");
  const bucket = { ...GCS_LIKE };
  const latency = value("--latency-ms");
  if (latency !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(latency) || Number(latency) > 10_000) throw new Error(`--latency-ms takes 0-10000 ms, got ${latency}`);
    bucket.latencyMs = Number(latency);
  }
  const bandwidth = value("--bandwidth-mbps");
  if (bandwidth !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(bandwidth) || !(Number(bandwidth) > 0)) throw new Error(`--bandwidth-mbps takes MB/s > 0, got ${bandwidth}`);
    bucket.bytesPerSec = Number(bandwidth) * 1e6;
  }
  const known: readonly string[] = CUT_MODES;
  // "none": only the original design (and the encode rate), e.g. beside another run of the modes.
  const modes = value("--modes") === "none" ? [] : (value("--modes")?.split(",") ?? [...known]);
  const unknown = modes.filter((m) => !known.includes(m));
  if (unknown.length > 0 || (modes.length === 0 && value("--modes") !== "none")) {
    throw new Error(`--modes takes a comma list of ${known.join(", ")}, or none; got ${value("--modes")}`);
  }
  const cache = value("--cache-mb") ?? String(DEFAULT_CACHE_BYTES / 2 ** 20);
  if (!/^\d+(\.\d+)?$/.test(cache) || !(Number(cache) > 0)) throw new Error(`--cache-mb takes MiB > 0, got ${cache}`);
  return { size, params, bucket, modes, baseline: !argv.includes("--no-baseline"), cacheMb: Number(cache) };
}
