import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processGame } from "../src/pipeline/process-game.js";
import { createPool } from "../src/pipeline/pool.js";
import { createTempGate } from "../src/pipeline/temp-gate.js";
import { FFMPEG, FFPROBE } from "./helpers/media.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

// Issue 13: a game opens its next camera once every clip of the one before
// has started (its tail), not before (two cameras' caches and indexes would
// then be held for a camera's whole run) and not after its last clip is done
// (the clip pool would idle while the next camera is probed). Observed on the
// real ffmpeg and ffprobe, through wrappers that log when each process starts
// and ends.
let ws: Workspace;
let log: string;

async function wrapper(name: string, real: string): Promise<string> {
  const path = join(ws.root, name);
  await writeFile(path, `#!/bin/sh\necho "start $(date +%s%N) $*" >> "${log}"\n"${real}" "$@"\nrc=$?\necho "end $(date +%s%N) $*" >> "${log}"\nexit $rc\n`);
  await chmod(path, 0o755);
  return path;
}

interface Run { camera: string; kind: "ffmpeg" | "ffprobe"; start: number; end: number }

async function processes(): Promise<Run[]> {
  const runs = new Map<string, Run>();
  for (const line of (await readFile(log, "utf8")).trim().split("\n")) {
    const [edge, ns, ...args] = line.split(" ");
    const text = args.join(" ");
    const camera = /(FAR_LEFT|NEAR_RIGHT)\.mp4/.exec(text)?.[1];
    if (!camera) continue;
    const at = Number(BigInt(ns ?? "0") / 1_000_000n);
    // A process's arguments name it: every cut and probe of a camera differs in them.
    const run = runs.get(text) ?? { camera, kind: text.includes("-print_format") || text.includes("-show_entries") ? "ffprobe" : "ffmpeg", start: at, end: at };
    if (edge === "start") run.start = at;
    else run.end = at;
    runs.set(text, run);
  }
  return [...runs.values()].sort((a, b) => a.start - b.start);
}

beforeAll(async () => {
  ws = await createWorkspace(12);
  log = join(ws.root, "processes.log");
  // LEFT plays only: two cameras (FAR_LEFT and NEAR_RIGHT), four clips each.
  await ws.writePlays([1, 3.5, 6, 8.5].map((start, i) => ({
    id: `p${i}`, game_id: "g1", angle: "LEFT", start_timestamp: start, end_timestamp: start + 2, play_type: "iso", quarter: 1,
  })));
  await ws.addCameras("g1", ["FAR_LEFT", "NEAR_RIGHT"]);
});
afterAll(() => ws.cleanup());

describe("a game's cameras", () => {
  it("open the next camera when every clip of the one before has started, while its last clip is still being cut", async () => {
    const pipeline = await ws.pipeline({ limits: { clipPool: createPool(1) } });
    const tools = { ffmpeg: await wrapper("ffmpeg", FFMPEG), ffprobe: await wrapper("ffprobe", FFPROBE) };
    const result = await processGame("g1", { ...pipeline, backends: { ...pipeline.backends, tools } });
    expect(result).toMatchObject({ status: "complete", successful_clips: 8 });

    const runs = await processes();
    const first = runs[0]?.camera;
    const cutsOf = (camera: string): Run[] => runs.filter((r) => r.camera === camera && r.kind === "ffmpeg" && r.end > r.start);
    const before = cutsOf(first ?? "");
    const next = runs.find((r) => r.camera !== first);
    expect(before).toHaveLength(4);
    expect(next).toBeDefined();
    if (!next) return;
    const [third, last] = [before[2], before[3]];
    if (!third || !last) return;
    // Not before the first camera's last clip started (one clip at a time: after its third was cut)...
    expect(next.start).toBeGreaterThanOrEqual(third.end);
    // ...and not after it was done: the second camera is probed while it is cut.
    expect(next.start).toBeLessThan(last.end);
  }, 120_000);

  it("cut one clip at a time when the temp budget holds one clip's output, two at once without it", async () => {
    const tools = { ffmpeg: await wrapper("ffmpeg", FFMPEG), ffprobe: await wrapper("ffprobe", FFPROBE) };
    const overlaps = async (limits: Parameters<Workspace["pipeline"]>[0]): Promise<number> => {
      await writeFile(log, "");
      const pipeline = await ws.pipeline({ ...limits, limits: { clipPool: createPool(2), ...limits?.limits } });
      const result = await processGame("g1", { ...pipeline, backends: { ...pipeline.backends, tools } }, { reuse: false });
      expect(result).toMatchObject({ status: "complete", successful_clips: 8 });
      const cuts = (await processes()).filter((r) => r.kind === "ffmpeg" && r.end > r.start);
      expect(cuts).toHaveLength(8);
      return cuts.filter((a, i) => cuts.some((b, j) => j !== i && b.start < a.end && a.start < b.end)).length;
    };
    expect(await overlaps({})).toBeGreaterThan(0);
    // A 1-byte budget: every clip's estimate is over it, so one runs at a time (and all of them run).
    expect(await overlaps({ limits: { clipTemp: createTempGate(1) } })).toBe(0);
  }, 120_000);
});
