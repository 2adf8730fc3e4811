import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestKey, trainingKey, validationKey, videoKey } from "../src/domain/layout.js";
import type { GameManifest } from "../src/domain/types.js";
import type { PipelineEvent } from "../src/pipeline/parts.js";
import { processGame } from "../src/pipeline/process-game.js";
import { runBatch } from "../src/pipeline/run-batch.js";
import { readGameStatus } from "../src/pipeline/status.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

let ws: Workspace;

const row = (id: string, game: string, angle: string, start: number, end: number, type: string | null = "iso") => ({
  id,
  game_id: game,
  angle,
  start_timestamp: start,
  end_timestamp: end,
  play_type: type,
  quarter: 1,
});

beforeAll(async () => {
  ws = await createWorkspace(12);
  await ws.writePlays([
    row("p1", "g1", "LEFT", 1, 3),
    row("p2", "g1", "RIGHT", 2.5, 5, null),
    row("p3", "g1", "LEFT", 4.2, 6.36),
    row("p4", "g1", "RIGHT", 10, 14),
    row("bad", "g1", "LEFT", 5, 4),
    row("m1", "missing-cam", "LEFT", 1, 2),
    row("m2", "missing-cam", "RIGHT", 1, 2),
    row("c1", "corrupt-cam", "LEFT", 1, 2),
    row("c2", "corrupt-cam", "RIGHT", 1, 2),
    row("n1", "no-video", "LEFT", 1, 2),
    row("x1", "all-bad", "UP", 1, 2),
  ]);
  await ws.addCameras("g1");
  await ws.addCameras("missing-cam", ["FAR_LEFT", "FAR_RIGHT", "NEAR_LEFT"]);
  await ws.addCameras("corrupt-cam");
  await writeFile(join(ws.videos, videoKey("corrupt-cam", "NEAR_RIGHT")), "this is not an mp4 file at all");
});
afterAll(() => ws.cleanup());

async function manifestOf(gameId: string): Promise<GameManifest> {
  return JSON.parse(await readFile(join(ws.out, manifestKey(gameId)), "utf8")) as GameManifest;
}
async function jsonl(key: string): Promise<unknown[]> {
  const text = await readFile(join(ws.out, key), "utf8");
  return text === "" ? [] : text.trimEnd().split("\n").map((l) => JSON.parse(l) as unknown);
}
const uriOf = (line: unknown): string =>
  (line as { contents: Array<{ parts: Array<{ fileData?: { fileUri: string } }> }> }).contents[0]?.parts[0]?.fileData?.fileUri ?? "";

describe("processGame", () => {
  it("cuts every clip, records failures and rejected rows, and writes the dataset", async () => {
    const result = await processGame("g1", await ws.pipeline());
    expect(result).toMatchObject({ game_id: "g1", status: "partial", total_plays: 5, rejected_plays: 1, successful_clips: 6, failed_clips: 2 });
    const m = await manifestOf("g1");
    expect(m.rejectedPlays).toEqual([expect.objectContaining({ playId: "bad", reason: expect.stringMatching(/not after/) })]);
    const beyond = m.clips.filter((c) => c.playId === "p4");
    expect(beyond.map((c) => c.camera).sort()).toEqual(["FAR_RIGHT", "NEAR_LEFT"]);
    for (const clip of beyond) {
      expect(clip.status).toBe("failed");
      expect(clip.reason).toMatch(/beyond the end of/);
      await expect(stat(join(ws.out, clip.key))).rejects.toThrow();
    }
    for (const clip of m.clips.filter((c) => c.status === "ok")) {
      expect((await stat(join(ws.out, clip.key))).size).toBe(clip.bytes);
      expect(Math.abs((clip.actualDuration ?? 0) - clip.requestedDuration)).toBeLessThanOrEqual(0.2);
    }
    // Both cameras of a play land on the same side; only checked clips appear.
    const training = await jsonl(trainingKey("g1"));
    const validation = await jsonl(validationKey("g1"));
    expect(training.length + validation.length).toBe(6);
    const side = new Map<string, string>();
    for (const [name, lines] of [["t", training], ["v", validation]] as const) {
      for (const line of lines) {
        const play = /clips\/([^_]+)_/.exec(uriOf(line))?.[1] ?? "";
        expect(side.get(play) ?? name).toBe(name);
        side.set(play, name);
      }
    }
    expect([...side.keys()].sort()).toEqual(["p1", "p2", "p3"]);
    expect(validation.length).toBeGreaterThan(0);
    expect(m.assignments).toEqual(expect.objectContaining({ p1: expect.any(String), p4: expect.any(String) }));
  });

  it("reruns without cutting anything that is already good", async () => {
    const before = await manifestOf("g1");
    const okClip = before.clips.find((c) => c.status === "ok");
    const mtime = (await stat(join(ws.out, okClip?.key ?? ""))).mtimeMs;
    const trainingBefore = await readFile(join(ws.out, trainingKey("g1")), "utf8");
    const result = await processGame("g1", await ws.pipeline());
    expect(result.reused_clips).toBe(6);
    expect(result.successful_clips).toBe(6);
    expect((await stat(join(ws.out, okClip?.key ?? ""))).mtimeMs).toBe(mtime);
    expect(await readFile(join(ws.out, trainingKey("g1")), "utf8")).toBe(trainingBefore);
  });

  it("re-cuts a clip whose object went missing", async () => {
    const m = await manifestOf("g1");
    const victim = m.clips.find((c) => c.status === "ok");
    await writeFile(join(ws.out, victim?.key ?? ""), "truncated");
    const result = await processGame("g1", await ws.pipeline());
    expect(result.reused_clips).toBe(5);
    expect(result.successful_clips).toBe(6);
  });

  it("fails only the missing camera's clips", async () => {
    const result = await processGame("missing-cam", await ws.pipeline());
    expect(result.status).toBe("partial");
    const m = await manifestOf("missing-cam");
    const camera = m.cameras.find((c) => c.camera === "NEAR_RIGHT");
    expect(camera?.status).toBe("missing");
    expect(m.clips.find((c) => c.camera === "NEAR_RIGHT")?.reason).toMatch(/missing/);
    expect(m.clips.filter((c) => c.status === "ok").map((c) => c.camera).sort()).toEqual(["FAR_LEFT", "FAR_RIGHT", "NEAR_LEFT"]);
  });

  it("fails only the corrupt camera's clips", async () => {
    const result = await processGame("corrupt-cam", await ws.pipeline());
    expect(result).toMatchObject({ status: "partial", successful_clips: 3, failed_clips: 1 });
    const m = await manifestOf("corrupt-cam");
    expect(m.cameras.find((c) => c.camera === "NEAR_RIGHT")?.status).toBe("unreadable");
    expect(m.clips.find((c) => c.camera === "NEAR_RIGHT")?.reason).toMatch(/not a readable video/);
  });

  it("records a clip that times out as failed; the failed rerun keeps the dataset unless told to discard it", async () => {
    const kept = await readFile(join(ws.out, trainingKey("g1")), "utf8");
    const result = await processGame("g1", await ws.pipeline({ limits: { clipTimeoutMs: 1 } }), { reuse: false });
    expect(result.successful_clips).toBe(0);
    expect(result.status).toBe("failed");
    expect(await readFile(join(ws.out, trainingKey("g1")), "utf8")).toBe(kept);
    expect((await manifestOf("g1")).status).not.toBe("failed");
    const status = await readGameStatus((await ws.pipeline()).backends.output, "g1");
    expect(status).toMatchObject({ state: "complete", attempt: { state: "failed" } });
    expect(status.attempt?.reason).toMatch(/no clip could be cut/);

    await processGame("g1", await ws.pipeline({ limits: { clipTimeoutMs: 1 } }), { reuse: false, discardDatasetOnFailure: true });
    const m = await manifestOf("g1");
    expect(m.clips.filter((c) => c.playId !== "p4").every((c) => /timed out/.test(c.reason ?? ""))).toBe(true);
    expect(m.status).toBe("failed");
    await expect(stat(join(ws.out, trainingKey("g1")))).rejects.toThrow();
    expect((await readGameStatus((await ws.pipeline()).backends.output, "g1")).state).toBe("failed");
  });

  it("fails a game with no plays, no valid plays or no readable camera, without JSONL", async () => {
    const pipeline = await ws.pipeline();
    for (const [game, reason] of [
      ["unknown-game", /no plays found/],
      ["all-bad", /none of the 1 plays is valid/],
      ["no-video", /no clip could be cut/],
    ] as const) {
      const result = await processGame(game, pipeline);
      expect(result.status).toBe("failed");
      expect(result.reason).toMatch(reason);
      expect(result.jsonl_files).toBeNull();
      await expect(stat(join(ws.out, trainingKey(game)))).rejects.toThrow();
      expect((await manifestOf(game)).status).toBe("failed");
    }
  });

  it("refuses a game id that would escape the output folder", async () => {
    await expect(processGame("../etc", await ws.pipeline())).rejects.toThrow(/not usable as a path/);
  });
});

describe("runBatch and status", () => {
  it("runs many games, reports failed ones, and status reads the store alone", async () => {
    const pipeline = await ws.pipeline();
    const batch = await runBatch(["g1", "missing-cam", "no-video", "g1"], pipeline, { gameConcurrency: 2 });
    expect(batch.completed_games.sort()).toEqual(["g1", "missing-cam"]);
    expect(batch.failed_games.map((f) => f.game_id)).toEqual(["no-video"]);
    expect(batch.results).toHaveLength(3);
    const states = await Promise.all(["g1", "no-video", "never-run"].map((g) => readGameStatus(pipeline.backends.output, g)));
    expect(states.map((s) => s.state)).toEqual(["complete", "failed", "pending"]);
  });
});

describe("cut modes in the pipeline", () => {
  it("copy starts at the keyframe and records the offset; smart is frame-accurate; both are checked and published", async () => {
    await ws.writePlays([row("k1", "modes", "LEFT", 3.28, 6.5), row("k2", "modes", "RIGHT", 4, 7.2)]);
    await ws.addCameras("modes");
    for (const mode of ["copy", "smart"] as const) {
      const out = join(ws.root, `out-${mode}`);
      const { createLocalStore } = await import("../src/stores/local.js");
      const result = await processGame("modes", await ws.pipeline({ backends: { output: createLocalStore({ root: out }) }, cut: { mode } }));
      expect(result).toMatchObject({ status: "complete", successful_clips: 4 });
      const m = JSON.parse(await readFile(join(out, manifestKey("modes")), "utf8")) as GameManifest;
      for (const clip of m.clips) {
        if (mode === "copy") {
          expect(clip.cutMode).toBe("copy");
          // 2 s GOP at 25 fps: the keyframe at or before the start.
          const keyframe = Math.floor(clip.requestedStart / 2) * 2;
          expect(clip.actualStart).toBeCloseTo(keyframe, 1);
          expect(clip.offset).toBeCloseTo(clip.requestedStart - keyframe, 1);
        } else {
          expect(["smart", "exact"]).toContain(clip.cutMode);
          expect(clip.actualStart).toBeCloseTo(clip.requestedStart, 3);
          expect(clip.offset).toBe(0);
          if (clip.cutMode === "exact") expect(clip.fallbackReason).toBeTruthy();
        }
      }
      expect(m.clips.some((c) => c.cutMode === mode)).toBe(true);
    }
  });
});

describe("uploads and cuts overlap", () => {
  it("cuts the next clip while an upload is still running, without holding a clip slot", async () => {
    await ws.writePlays([row("u1", "uploads", "LEFT", 1, 2), row("u2", "uploads", "LEFT", 3, 4)]);
    await ws.addCameras("uploads", ["FAR_LEFT", "NEAR_RIGHT"]);
    const { createLocalStore } = await import("../src/stores/local.js");
    const { createPool } = await import("../src/pipeline/pool.js");
    const real = createLocalStore({ root: join(ws.root, "out-uploads") });
    // A slow bucket: the first upload waits until every clip has been cut.
    let clipsDone = 0;
    let releaseFirst: () => void = () => undefined;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    let uploads = 0;
    const write = async (...args: Parameters<typeof real.write>): ReturnType<typeof real.write> => {
      uploads += 1;
      if (uploads === 1) await firstHeld;
      return real.write(...args);
    };
    const slow = new Proxy(real, {
      get: (target, prop) => {
        if (prop === "write") return write;
        const value: unknown = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const pipeline = await ws.pipeline({ backends: { output: slow }, limits: { clipPool: createPool(1), uploadPool: createPool(4) } });
    const onEvent = (e: PipelineEvent): void => {
      if (e.type === "clip-done") clipsDone += 1;
    };
    const timer = setInterval(() => {
      // Three clips (of four) finished while the first upload was held: the slot was free for them.
      if (clipsDone >= 3) releaseFirst();
    }, 20);
    try {
      const result = await processGame("uploads", pipeline, { onEvent });
      expect(result).toMatchObject({ status: "complete", successful_clips: 4 });
    } finally {
      clearInterval(timer);
    }
  }, 60_000);
});
