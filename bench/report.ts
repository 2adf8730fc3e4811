/** What one benchmark run measured (bench/run.ts fills it from a worker and the servers' counters). */
export interface Measured {
  wallSec: number;
  cpuSec: number;
  bytesRead: number;
  requests: number;
  peakRssMB: number;
  peakTempMB: number;
  /** The process tree at the RSS peak, largest first, in MiB. */
  peakRssParts: string;
  detail: Record<string, unknown>;
}

export interface ReportInput {
  runs: Record<string, Measured>;
  /** The playclips modes run, over the modelled bucket. */
  modes: string[];
  clips: number;
  coveredBytes: number;
  coveredBytesFromKeyframe: number;
  cameraVideoBytes: number;
  exactLowerBoundSec: number;
}

export type Ratios = Record<string, number>;

/**
 * Per run: s/clip and ratios against the original design (speedup, CPU) and
 * against what the clips need (bytes read ÷ covered, temp ÷ one camera file).
 */
export function ratiosOf(input: ReportInput): Record<string, Ratios> {
  const base = input.runs.baseline;
  const out: Record<string, Ratios> = {};
  for (const [name, m] of Object.entries(input.runs)) {
    if (name === "encodeRate" || name === "decodeRate") continue;
    out[name] = {
      secPerClip: m.wallSec / input.clips,
      cpuSecPerClip: m.cpuSec / input.clips,
      speedup: base ? base.wallSec / m.wallSec : NaN,
      cpuRatio: base ? m.cpuSec / base.cpuSec : NaN,
      bytesVsCovered: m.bytesRead / input.coveredBytes,
      bytesVsCoveredFromKeyframe: m.bytesRead / input.coveredBytesFromKeyframe,
      tempVsCamera: (m.peakTempMB * 2 ** 20) / input.cameraVideoBytes,
    };
  }
  return out;
}

/**
 * One boolean per target of docs/performance.md, judged at whatever size ran.
 * A target whose runs were not made (a mode left out) is false, not skipped.
 */
export function targetsOf(input: ReportInput, ratios: Record<string, Ratios>): Record<string, boolean> {
  const run = (k: string): Measured | undefined => input.runs[k];
  const r = (k: string, f: string): number => ratios[k]?.[f] ?? NaN;
  const clipsFailed = (k: string): number => Number(run(k)?.detail.clipsFailed ?? NaN);
  const copy = run("copy");
  const copyFast = run("copyNoLatency");
  const exact = run("exact");
  const smart = run("smart");
  const all = input.modes.length > 0 ? input.modes : ["none"];
  return {
    copyThroughputWithLatencyAtLeast80pct: !!copy && !!copyFast && copyFast.wallSec / copy.wallSec >= 0.8,
    bytesReadWithin1_5xCovered: all.every((k) => r(k, "bytesVsCovered") <= 1.5),
    copyAtLeast30xOriginal: r("copy", "speedup") >= 30 && clipsFailed("copy") === 0,
    smartAtLeast2_5xFasterThanExact: !!exact && !!smart && exact.wallSec / smart.wallSec >= 2.5 && clipsFailed("smart") === 0,
    exactWithin1_2xOfLowerBound: !!exact && exact.wallSec <= 1.2 * input.exactLowerBoundSec,
    peakRssUnder500MB: all.every((k) => (run(k)?.peakRssMB ?? Infinity) <= 500),
    peakTempUnder1pctOfCamera: all.every((k) => r(k, "tempVsCamera") <= 0.01),
  };
}

/** The human table: one row per run. */
export function printTable(input: ReportInput, ratios: Record<string, Ratios>): void {
  const rows = [["run", "wall s", "CPU s", "read MB", "requests", "peak RSS MB", "peak temp MB", "s/clip", "speedup", "CPU ratio", "read/covered"]];
  const fixed = (x: number | undefined, d: number): string => (x === undefined || !Number.isFinite(x) ? "-" : x.toFixed(d));
  for (const [name, m] of Object.entries(input.runs)) {
    if (name === "encodeRate" || name === "decodeRate") continue;
    const q = ratios[name];
    rows.push([name, fixed(m.wallSec, 1), fixed(m.cpuSec, 1), fixed(m.bytesRead / 1e6, 1), String(m.requests), fixed(m.peakRssMB, 0),
      fixed(m.peakTempMB, 0), fixed(q?.secPerClip, 3), fixed(q?.speedup, 2), fixed(q?.cpuRatio, 2), fixed(q?.bytesVsCovered, 2)]);
  }
  for (const row of rows) console.log(row.map((c, i) => (i === 0 ? c.padEnd(15) : c.padStart(13))).join(""));
}
