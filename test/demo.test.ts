import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateDemo, type DemoResult } from "../src/demo/generate.js";
import { DEMO_PLAY_COLUMNS, demoUuid, makeDemoPlays } from "../src/demo/plays.js";
import { ValidationError } from "../src/domain/errors.js";
import { videoKey } from "../src/domain/layout.js";
import { CAMERAS } from "../src/domain/types.js";

// The checks call ffprobe/ffmpeg directly, not the project's wrappers, so a
// bug there cannot make a broken demo look right.
const run = promisify(execFile);
const tools = { ffmpeg: "ffmpeg", ffprobe: "ffprobe" };
const SECONDS = 30;
const FPS = 25;
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Stream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  duration: string;
  nb_frames: string;
}

async function probe(path: string): Promise<{ format: { duration: string }; streams: Stream[] }> {
  const { stdout } = await run("ffprobe", ["-v", "error", "-of", "json", "-show_format", "-show_streams", path]);
  return JSON.parse(stdout) as { format: { duration: string }; streams: Stream[] };
}

/** Keyframe times from packet flags: no decoding needed. */
async function keyframeTimes(path: string): Promise<number[]> {
  const args = ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,flags", "-of", "csv=p=0", path];
  const { stdout } = await run("ffprobe", args);
  return stdout
    .split("\n")
    .filter((line) => line.includes("K"))
    .map((line) => Number(line.split(",")[0]));
}

/** Frame n shrunk to 32x18 grey, enough to tell two pictures apart. */
async function thumbnail(path: string, n: number): Promise<Buffer> {
  const args = ["-v", "error", "-i", path, "-vf", `select=eq(n\\,${n}),scale=32:18`, "-frames:v", "1"];
  const { stdout } = await run("ffmpeg", [...args, "-f", "rawvideo", "-pix_fmt", "gray", "-"], { encoding: "buffer" });
  return stdout;
}

function meanAbsDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

/** Just enough RFC 4180 to read the demo back: quoted cells, doubled quotes, LF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  const record: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') cell += text[++i];
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') {
      quoted = true;
    } else if (ch === "," || ch === "\n") {
      record.push(cell);
      cell = "";
      if (ch === "\n") records.push(record.splice(0));
    } else {
      cell += ch;
    }
  }
  return records;
}

describe("demo generator", () => {
  let dir: string;
  let demo: DemoResult;
  const paths = (): string[] => demo.gameIds.flatMap((gameId) => CAMERAS.map((camera) => join(dir, videoKey(gameId, camera))));

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "playclips-demo-"));
    demo = await generateDemo(tools, { outDir: dir, games: 2, minutes: SECONDS / 60, width: 320, height: 180 });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("writes four H.264 + AAC videos of the right length per game, and nothing half-made", async () => {
    expect(demo.gameIds).toHaveLength(2);
    expect(demo.videosRoot).toBe(dir);
    for (const gameId of demo.gameIds) {
      expect(gameId).toMatch(UUID_V4);
      const files = await readdir(join(dir, "Games", gameId));
      expect(files.sort()).toEqual(CAMERAS.map((camera) => `${camera}.mp4`).sort());
    }
    for (const path of paths()) {
      const info = await probe(path);
      const video = info.streams.find((s) => s.codec_type === "video");
      const audio = info.streams.find((s) => s.codec_type === "audio");
      expect(video).toMatchObject({ codec_name: "h264", width: 320, height: 180, nb_frames: String(SECONDS * FPS) });
      expect(audio?.codec_name).toBe("aac");
      expect(Number(video?.duration)).toBeCloseTo(SECONDS, 1);
      expect(Math.abs(Number(audio?.duration) - SECONDS)).toBeLessThan(0.1);
      expect(Math.abs(Number(info.format.duration) - SECONDS)).toBeLessThan(0.1);
    }
  });

  it("puts a keyframe every 2 s", async () => {
    for (const path of paths()) {
      const times = await keyframeTimes(path);
      expect(times).toHaveLength(SECONDS / 2);
      times.forEach((time, i) => expect(time).toBeCloseTo(i * 2, 2));
    }
  });

  it("makes each camera look different", async () => {
    const [gameId] = demo.gameIds;
    const frames = await Promise.all(CAMERAS.map((camera) => thumbnail(join(dir, videoKey(gameId ?? "", camera)), 10 * FPS)));
    for (let a = 0; a < frames.length; a++) {
      for (let b = a + 1; b < frames.length; b++) {
        expect(meanAbsDiff(frames[a] as Buffer, frames[b] as Buffer), `${CAMERAS[a]} vs ${CAMERAS[b]}`).toBeGreaterThan(10);
      }
    }
  });

  it("writes the same plays to CSV and JSONL, with every case the pipeline must handle", async () => {
    const jsonl = (await readFile(join(dir, "plays.jsonl"), "utf8")).trimEnd().split("\n");
    const rows = jsonl.map((line) => JSON.parse(line) as Record<string, unknown>);
    const [header, ...cells] = parseCsv(await readFile(demo.playsFile, "utf8"));
    expect(header).toEqual([...DEMO_PLAY_COLUMNS]);
    expect(demo.plays).toBe(rows.length);
    expect(cells).toEqual(rows.map((row) => DEMO_PLAY_COLUMNS.map((column) => (row[column] === null ? "" : String(row[column])))));

    expect(new Set(rows.map((row) => row.id)).size).toBe(rows.length);
    expect(new Set(rows.map((row) => row.angle))).toEqual(new Set(["LEFT", "RIGHT"]));
    expect(rows.some((row) => row.play_type === null)).toBe(true);
    expect(rows.some((row) => typeof row.play_type === "string")).toBe(true);
    let overlaps = 0;
    for (const gameId of demo.gameIds) {
      const game = rows.filter((row) => row.game_id === gameId);
      expect(game.length).toBeGreaterThan(0);
      game.forEach((row, i) => {
        const [start, end] = [Number(row.start_timestamp), Number(row.end_timestamp)];
        expect(row.id).toMatch(UUID_V4);
        expect(start).toBeGreaterThanOrEqual(0);
        expect(end).toBeLessThanOrEqual(SECONDS - 1);
        expect(end - start).toBeGreaterThanOrEqual(3 - 1e-9);
        expect(end - start).toBeLessThanOrEqual(12 + 1e-9);
        expect(Number((start * 100).toFixed(6)) % 1).toBe(0);
        const previous = game[i - 1];
        if (previous) {
          expect(start).toBeGreaterThanOrEqual(Number(previous.start_timestamp));
          if (start < Number(previous.end_timestamp)) overlaps++;
        }
      });
    }
    expect(overlaps).toBeGreaterThan(0);
  });

  it("derives plays and ids from the seed alone", () => {
    const options = { durationSec: 300, seed: "a" };
    expect(makeDemoPlays("game", options)).toEqual(makeDemoPlays("game", options));
    expect(makeDemoPlays("game", { ...options, seed: "b" })).not.toEqual(makeDemoPlays("game", options));
    expect(makeDemoPlays("game", options)).toHaveLength(20);
    expect(makeDemoPlays("game", { ...options, count: 7 })).toHaveLength(7);
    expect(demoUuid("s", "x")).toBe(demoUuid("s", "x"));
    expect(demoUuid("s", "x")).toMatch(UUID_V4);
    expect(demoUuid("s", "y")).not.toBe(demoUuid("s", "x"));
  });

  it("keeps existing videos on a second run and remakes them when the parameters change", async () => {
    const mtimes = async (): Promise<number[]> => Promise.all(paths().map(async (path) => (await stat(path)).mtimeMs));
    const before = await mtimes();
    const messages: string[] = [];
    const started = Date.now();
    const again = await generateDemo(tools, {
      outDir: dir,
      games: 2,
      minutes: SECONDS / 60,
      width: 320,
      height: 180,
      onProgress: (message) => messages.push(message),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(again).toEqual(demo);
    expect(await mtimes()).toEqual(before);
    expect(messages.filter((message) => message.includes("kept"))).toHaveLength(8);

    await generateDemo(tools, { outDir: dir, games: 1, minutes: SECONDS / 60, width: 320, height: 180, fps: 10 });
    const first = join(dir, videoKey(demo.gameIds[0] ?? "", "FAR_LEFT"));
    expect((await stat(first)).mtimeMs).not.toBe(before[0]);
    const video = (await probe(first)).streams.find((s) => s.codec_type === "video");
    expect(video?.nb_frames).toBe(String(SECONDS * 10));
  });

  it("rejects unusable options before rendering anything", async () => {
    const outDir = join(dir, "never");
    for (const bad of [{ games: 0 }, { games: 51 }, { minutes: 0 }, { minutes: 241 }, { width: 321 }, { height: 179 }, { fps: 61 }]) {
      await expect(generateDemo(tools, { outDir, ...bad })).rejects.toBeInstanceOf(ValidationError);
    }
    await expect(stat(outDir)).rejects.toThrow();
    expect(() => makeDemoPlays("game", { durationSec: 5, seed: "a" })).toThrow(ValidationError);
  });
});
