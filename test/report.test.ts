import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { reportKey, reportThumbsPrefix } from "../src/domain/layout.js";
import type { GameManifest } from "../src/domain/types.js";
import { readManifest } from "../src/pipeline/manifest.js";
import { createPool } from "../src/pipeline/pool.js";
import { processGame } from "../src/pipeline/process-game.js";
import { writeGameReport, type ReportContext } from "../src/report/game-report.js";
import { createLocalStore } from "../src/stores/local.js";
import { countFrames, decodeFrame, FFMPEG, psnr } from "./helpers/media.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);
const EVIL = "<img src=x onerror=alert(1)>";
let ws: Workspace;
let manifest: GameManifest;

async function reportContext(): Promise<ReportContext> {
  const { backends } = await ws.pipeline();
  return { store: backends.output, tools: backends.tools, pool: createPool(2), tempDir: ws.root, timeoutMs: 60_000 };
}

/** A JPEG decoded to grey pixels, with its size. */
async function decodeJpeg(path: string): Promise<{ width: number; height: number; gray: Buffer }> {
  const probe = await run("ffprobe", ["-v", "error", "-of", "json", "-show_streams", path]);
  const s = (JSON.parse(probe.stdout) as { streams: Array<{ width: number; height: number }> }).streams[0];
  const raw = await run(FFMPEG, ["-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-"], { encoding: "buffer" });
  return { width: s?.width ?? 0, height: s?.height ?? 0, gray: raw.stdout };
}

/** Which of the clip's frames the thumbnail shows: the index with the closest picture among `candidates`. */
async function closestFrame(clip: string, thumb: Buffer, candidates: readonly number[]): Promise<number> {
  let best = { n: -1, score: -Infinity };
  for (const n of candidates) {
    const score = psnr(await decodeFrame(clip, n), thumb);
    if (score > best.score) best = { n, score };
  }
  return best.n;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let out = "";
  stream.on("data", (chunk: Buffer) => (out += chunk.toString()));
  return { stream, text: () => out };
}

beforeAll(async () => {
  ws = await createWorkspace(12);
  await ws.writePlays([
    { id: "p1", game_id: "g1", angle: "LEFT", start_timestamp: 1, end_timestamp: 3.5, play_type: EVIL, quarter: 1 },
    { id: "p2", game_id: "g1", angle: "RIGHT", start_timestamp: 4.4, end_timestamp: 6, play_type: "iso", quarter: 2 },
    // Past the end of the 12 s videos: both clips fail, with their reason.
    { id: "p3", game_id: "g1", angle: "LEFT", start_timestamp: 10, end_timestamp: 14, play_type: "iso", quarter: 4 },
  ]);
  await ws.addCameras("g1");
  // copy mode starts clips at the keyframe before the play: the strip gets a "start" frame.
  await processGame("g1", await ws.pipeline({ cut: { mode: "copy" } }));
  const read = await readManifest(createLocalStore({ root: ws.out }), "g1");
  if (read.kind !== "ok") throw new Error(`no manifest: ${read.kind}`);
  manifest = read.manifest;
});
afterAll(() => ws?.cleanup());

describe("playclips report (one game, local folder)", () => {
  it("writes a page and the first, start, middle and last frame of every good clip", async () => {
    const result = await writeGameReport("g1", await reportContext());
    const ok = manifest.clips.filter((c) => c.status === "ok");
    expect(ok).toHaveLength(4);
    // The test's cameras share one video, so a play's two clips may be the same bytes: one ffmpeg run serves both.
    const distinct = (await contentHashes(ok.map((c) => c.key))).size;
    expect(result).toMatchObject({ state: "written", clips: 6, thumbnails: { total: 4, made: distinct, cached: 4 - distinct, failed: 0 } });

    const page = await readFile(join(ws.out, reportKey("g1")), "utf8");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).not.toContain("<img src=x");
    for (const c of manifest.clips.filter((c) => c.status === "failed")) expect(page).toContain(c.reason?.slice(0, 40));

    for (const clip of ok) {
      const clipFile = join(ws.out, clip.key);
      const frames = await countFrames(clipFile);
      const fps = 25; // the workspace's test video
      const expected: Record<string, number> = { first: 0, last: frames - 1, middle: Math.round(frames / 2) };
      if ((clip.offset ?? 0) > 0) expected.start = Math.round((clip.offset ?? 0) * fps);
      // The frames of this clip's strip, matched against the clip's own decoded frames.
      const strip = stripOf(page, clip.key);
      for (const [kind, n] of Object.entries(expected)) {
        const thumb = await decodeJpeg(join(ws.out, "games/g1/report", strip[kind] ?? "missing"));
        // Never upscaled: the 90 px test video gives 90 px thumbnails (160 px for taller clips).
        expect(thumb.height).toBe(90);
        if (kind === "middle") continue;
        const around = [n - 2, n - 1, n, n + 1, n + 2].filter((i) => i >= 0 && i < frames);
        expect(await closestFrame(clipFile, thumb.gray, around), `${clip.key} ${kind}`).toBe(n);
      }
      expect(Object.keys(strip)).toEqual(Object.keys(expected).length === 4 ? ["first", "start", "middle", "last"] : ["first", "middle", "last"]);
    }
  });

  it("makes no thumbnail again on a rerun, and replaces those of a changed clip", async () => {
    const thumbs = join(ws.out, reportThumbsPrefix("g1"));
    const before = await readFile(join(ws.out, reportKey("g1")), "utf8");
    const firstFile = /src="thumbs\/([^"]+)"/.exec(before)?.[1] ?? "";
    const mtime = (await stat(join(thumbs, firstFile))).mtimeMs;

    const again = await writeGameReport("g1", await reportContext());
    expect(again).toMatchObject({ state: "written", thumbnails: { total: 4, made: 0, cached: 4, failed: 0 } });
    expect((await stat(join(thumbs, firstFile))).mtimeMs).toBe(mtime);

    // Re-cut frame-accurately: every clip's bytes change, so every strip is made anew and the old files go.
    await processGame("g1", await ws.pipeline(), { reuse: false });
    const recut = await writeGameReport("g1", await reportContext());
    const recutManifest = await readManifest(createLocalStore({ root: ws.out }), "g1");
    const okKeys = recutManifest.kind === "ok" ? recutManifest.manifest.clips.filter((c) => c.status === "ok").map((c) => c.key) : [];
    expect(okKeys).toHaveLength(4);
    const contents = await contentHashes(okKeys);
    expect(recut).toMatchObject({ state: "written", thumbnails: { total: 4, made: contents.size, cached: 4 - contents.size } });
    const listed = await createLocalStore({ root: ws.out }).list(reportThumbsPrefix("g1"));
    expect(listed.some((info) => info.key.endsWith(firstFile))).toBe(false);
    // Exact clips have no offset: three frames per distinct clip, and nothing else.
    expect(listed.map((info) => info.key.split("/").pop()?.split("-")[0]).sort()).toEqual([...contents].flatMap((h) => [h, h, h]).sort());
  });

  it("runs from the CLI: a table of pages, exit 1 for a game without outputs, exit 2 for no games", async () => {
    const out = capture();
    const err = capture();
    const io = { cwd: ws.root, env: { PATH: process.env.PATH }, stdout: out.stream, stderr: err.stream as unknown as NodeJS.WriteStream };
    expect(await main(["report", "--games", "g1", "--out", ws.out], io)).toBe(0);
    expect(out.text()).toMatch(/g1\s+written\s+6\s+0 made, 4 cached\s+file:\/\/.*report\/index\.html/);
    expect(await main(["report", "--all", "--out", ws.out], io)).toBe(0);

    expect(await main(["report", "--games", "g1,nothing-here", "--out", ws.out], io)).toBe(1);
    expect(out.text()).toMatch(/nothing-here\s+no-outputs\s+no manifest in local:/);
    expect(await main(["report", "--out", ws.out], io)).toBe(2);
    expect(err.text()).toContain("playclips report: [input] name what to report: one of --games a,b,c, --all or --dataset NAME\n");
    expect(err.text()).not.toMatch(/\n\s+at /);
  });
});

async function contentHashes(keys: readonly string[]): Promise<Set<string>> {
  return new Set(await Promise.all(keys.map(async (key) => createHash("md5").update(await readFile(join(ws.out, key))).digest("hex"))));
}

/** The thumbnail files of one clip's strip, by frame kind, read back from the page. */
function stripOf(page: string, clipKey: string): Record<string, string> {
  const href = `../${clipKey.replace(/^games\/g1\//, "")}`;
  const card = page.split('<div class="clip ').find((part) => part.includes(`href="${href}"`)) ?? "";
  return Object.fromEntries([...card.matchAll(/<figure class="(\w+)"><img src="([^"]+)"/g)].map((m) => [m[1], m[2]]));
}
