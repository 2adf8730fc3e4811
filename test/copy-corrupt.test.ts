import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cutClip } from "../src/extraction/modes/registry.js";
import { locateMediaTools } from "../src/extraction/locate.js";
import type { MediaTools } from "../src/extraction/tools.js";
import { ffprobeJson, makeTestVideo } from "./helpers/media.js";

// Issue 9.8: a copy clip is the source's own bytes, so a source damaged inside
// the copied range must fail the clip, with its reason, instead of being published.
let dir: string;
let tools: MediaTools;
const good = (): string => join(dir, "good.mp4");
const damaged = (): string => join(dir, "damaged.mp4");

interface Packet {
  pts_time?: string;
  pos?: string;
  size?: string;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-copy-corrupt-"));
  tools = await locateMediaTools({ ffmpegPath: process.env.FFMPEG_PATH, ffprobePath: process.env.FFPROBE_PATH, searchPath: process.env.PATH });
  await makeTestVideo(good(), { seconds: 12, fps: 25, gop: 50, width: 640, height: 360, bframes: true });
  // Overwrite the middle of every video packet shown in [4.5, 5.5) s with noise;
  // sizes and the index stay as they were, so only a decoder can tell.
  const { packets = [] } = (await ffprobeJson(good(), ["-select_streams", "v:0", "-show_entries", "packet=pts_time,pos,size"])) as { packets?: Packet[] };
  const bytes = await readFile(good());
  let seed = 7;
  for (const p of packets) {
    const t = Number(p.pts_time);
    if (!(t >= 4.5 && t < 5.5)) continue;
    const pos = Number(p.pos);
    const size = Number(p.size);
    for (let i = Math.floor(size / 3); i < Math.floor((2 * size) / 3); i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      bytes[pos + i] = seed >> 16;
    }
  }
  await writeFile(damaged(), bytes);
});

afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

const copy = (input: string, start: number, name: string) =>
  cutClip(tools, { input, start, duration: 2, output: join(dir, name), timeoutMs: 60_000, mode: "copy" });

describe("copy mode on a source with corrupt bytes", () => {
  it("fails a clip whose copied range holds them, saying so, and leaves no file", async () => {
    const failed = await copy(damaged(), 4.2, "bad.mp4").then(() => null, (error: unknown) => error as Error);
    expect(failed).toBeInstanceOf(Error);
    expect(failed?.message).toMatch(/do not decode \(corrupt/);
    await expect(stat(join(dir, "bad.mp4"))).rejects.toThrow();
  });

  it("still copies a clip of the same source away from the damage, and the undamaged source in full", async () => {
    const elsewhere = await copy(damaged(), 8.2, "elsewhere.mp4");
    expect(elsewhere.mode).toBe("copy");
    const same = await copy(good(), 4.2, "same-range-undamaged.mp4");
    expect(same.mode).toBe("copy");
    expect((await stat(join(dir, "same-range-undamaged.mp4"))).size).toBeGreaterThan(0);
  });
});
