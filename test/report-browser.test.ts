import { spawn, type ChildProcess } from "node:child_process";
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pathToFileURL } from "node:url";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { manifestKey, reportKey } from "../src/domain/layout.js";
import type { ClipRecord, GameManifest } from "../src/domain/types.js";
import { launchBrowser, type TestBrowser } from "./helpers/browser.js";

// The demo game's report, made by the CLI exactly as a user would, opened
// from disk in Debian's Chromium. The screenshots land in test-artifacts/.
const ARTIFACTS = join(import.meta.dirname, "..", "test-artifacts");
const EVIL = "<img src=x onerror=alert(1)>";
let dir: string;
let browser: TestBrowser;
let gameId: string;
let manifest: GameManifest;

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const stdout = new PassThrough();
  let out = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const stderr = new PassThrough() as unknown as NodeJS.WriteStream;
  const code = await main(args, { cwd: dir, env: { PATH: process.env.PATH }, stdout, stderr });
  return { code, out };
}

/** Everything that went wrong while a page was open: console errors, page errors, failed or non-file requests, dialogs. */
function watch(page: Page, origin = "file://"): string[] {
  const problems: string[] = [];
  page.on("console", (m) => void (m.type() === "error" && problems.push(`console: ${m.text()}`)));
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  page.on("request", (r) => void (r.url().startsWith(origin) || problems.push(`went elsewhere: ${r.url()}`)));
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  return problems;
}

/** Scrolls through the page so lazy thumbnails load, then waits until every image is done. */
// In-page code is passed as text: the test program is typed for Node, not the DOM.
async function loadAllImages(page: Page): Promise<void> {
  await page.evaluate(`(async () => {
    for (let y = 0; y < document.body.scrollHeight; y += window.innerHeight / 2) {
      window.scrollTo(0, y);
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    window.scrollTo(0, 0);
  })()`);
  // Polled from here: a string predicate in the page would be refused by the report's CSP (no eval).
  for (let waited = 0; !(await page.evaluate("Array.from(document.images).every((img) => img.complete)")); waited += 100) {
    if (waited > 30_000) throw new Error("thumbnails still loading after 30 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const visibleClips = (page: Page): Promise<number> => page.locator(".clip:visible").count();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-report-browser-"));
  await mkdir(ARTIFACTS, { recursive: true });
  expect((await cli(["demo", "--out", dir, "--games", "1", "--minutes", "1.5"])).code).toBe(0);
  const plays = join(dir, "plays.csv");
  gameId = (await readFile(plays, "utf8")).split("\n")[1]?.split(",")[1] ?? "";
  // A hostile play_type, as a plays table could hold: it must show as text and run nothing.
  await appendFile(plays, `evil-1,${gameId},LEFT,20,24,${EVIL},2,HOME,3\n`);
  expect((await cli(["run", "--all", "--plays", plays, "--videos", dir, "--out", dir])).code).toBe(0);
  expect((await cli(["report", "--all", "--out", dir])).code).toBe(0);
  manifest = JSON.parse(await readFile(join(dir, manifestKey(gameId)), "utf8")) as GameManifest;
  browser = await launchBrowser({ viewport: { width: 1400, height: 1000 } });
});
afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the game report in Chromium", () => {
  it("opens from disk with no error, one card per clip, every thumbnail loaded, and filters that narrow the list", async () => {
    const page = await browser.context.newPage();
    const problems = watch(page);
    await page.goto(pathToFileURL(join(dir, reportKey(gameId))).href);
    await loadAllImages(page);

    expect(await page.locator(".clip").count()).toBe(manifest.clips.length);
    const ok = manifest.clips.filter((c) => c.status === "ok").length;
    const images = (await page.evaluate("Array.from(document.images).map((img) => ({ w: img.naturalWidth, h: img.naturalHeight }))")) as Array<{
      w: number;
      h: number;
    }>;
    expect(images.length).toBeGreaterThanOrEqual(3 * ok);
    expect(images.every((img) => img.w > 0 && img.h === 160)).toBe(true);
    await expect(page.getByText(EVIL, { exact: true }).first().isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, "report-game.png") });

    const byCamera = (camera: string): number => manifest.clips.filter((c) => c.camera === camera).length;
    await page.click('.chip[data-filter="camera"][data-value="FAR_LEFT"]');
    expect(await visibleClips(page)).toBe(byCamera("FAR_LEFT"));
    expect(byCamera("FAR_LEFT")).toBeLessThan(manifest.clips.length);
    await page.click('.chip[data-filter="type"][data-value="' + EVIL.replace(/"/g, '\\"') + '"]');
    expect(await visibleClips(page)).toBe(1);
    await expect(page.locator("#shown").textContent()).resolves.toContain("1 of");
    await page.click("#reset");
    expect(await visibleClips(page)).toBe(manifest.clips.length);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("stays fast with 400 clips", async () => {
    const big = bigManifest(manifest, 400);
    await mkdir(join(dir, "games", big.gameId), { recursive: true });
    await writeFile(join(dir, manifestKey(big.gameId)), JSON.stringify(big));
    const started = Date.now();
    expect((await cli(["report", "--games", big.gameId, "--out", dir])).code).toBe(0);
    const buildMs = Date.now() - started;

    const page = await browser.context.newPage();
    const problems = watch(page);
    const opened = Date.now();
    await page.goto(pathToFileURL(join(dir, reportKey(big.gameId))).href);
    const loadMs = Date.now() - opened;
    expect(await page.locator(".clip").count()).toBe(400);
    await loadAllImages(page);
    await page.screenshot({ path: join(ARTIFACTS, "report-400.png") });
    // The layout the click causes is forced inside the timing.
    const filterMs = (await page.evaluate(`(() => {
      const t = performance.now();
      document.querySelector('.chip[data-filter="camera"]').click();
      document.body.getBoundingClientRect();
      return performance.now() - t;
    })()`)) as number;
    expect(await visibleClips(page)).toBeLessThan(400);
    console.log(`400 clips: report ${buildMs} ms (one ffmpeg run per distinct clip), page load ${loadMs} ms, filter ${filterMs.toFixed(0)} ms`);
    expect(loadMs).toBeLessThan(5000);
    expect(filterMs).toBeLessThan(500);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe("the dataset report in Chromium", () => {
  it("shows the card's numbers, the limits and SVG charts, links to the game's report, with no error", async () => {
    expect((await cli(["dataset", "build", "demo-set", "--games", gameId, "--split-by", "play", "--allow-local", "--out", dir])).code).toBe(0);
    const made = await cli(["report", "--dataset", "demo-set", "--out", dir]);
    expect(made.code).toBe(0);
    expect(made.out).toContain("datasets/demo-set/report/index.html");
    const doc = JSON.parse(await readFile(join(dir, "datasets/demo-set/dataset.json"), "utf8")) as { counts: { training: number; validation: number } };

    const page = await browser.context.newPage();
    const problems = watch(page);
    await page.goto(pathToFileURL(join(dir, "datasets/demo-set/report/index.html")).href);
    const stats = await page.locator(".stat b").allTextContents();
    expect(stats.slice(0, 2)).toEqual([String(doc.counts.training), String(doc.counts.validation)]);
    // One bar segment per play_type and side, and one histogram bar per bin.
    expect(await page.locator("svg.chart").count()).toBe(2);
    expect(await page.locator("svg.chart rect").count()).toBeGreaterThan(4);
    await expect(page.getByText(EVIL, { exact: true }).count()).resolves.toBeGreaterThan(0);
    // The charts fit their boxes at common window widths (two columns at 1280 and 1024, one at 800): no scrollbar either way.
    for (const width of [1280, 1024, 800]) {
      await page.setViewportSize({ width, height: 900 });
      const boxes = await page.locator(".box:has(> svg.chart)").evaluateAll((els) =>
        els.map((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth, scrollHeight: el.scrollHeight, clientHeight: el.clientHeight })),
      );
      expect(boxes, `chart boxes at ${width} px`).toHaveLength(2);
      for (const box of boxes) {
        expect(box.scrollWidth, `chart box at ${width} px`).toBeLessThanOrEqual(box.clientWidth);
        expect(box.scrollHeight, `chart box at ${width} px`).toBeLessThanOrEqual(box.clientHeight);
      }
      await page.screenshot({ path: join(ARTIFACTS, `report-dataset-${width}.png`), fullPage: true });
    }
    await page.click(`a[href="../../../games/${gameId}/report/index.html"]`);
    expect(page.url()).toBe(pathToFileURL(join(dir, reportKey(gameId))).href);
    expect(problems).toEqual([]);
    await page.close();
  });
});

describe("playclips serve GET /report/", () => {
  it("serves the same page behind the trigger's token, which a browser sends as a Basic password", async () => {
    const token = "report-token-123";
    const server = await serveChild(["--plays", join(dir, "plays.csv"), "--videos", dir, "--out", dir], { PLAYCLIPS_TOKEN: token });
    try {
      const page = `${server.url}/report/games/${gameId}/report/index.html`;
      const anonymous = await fetch(page);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toMatch(/^Basic realm="playclips report"/);
      const bearer = await fetch(page, { headers: { authorization: `Bearer ${token}` } });
      expect(bearer.status).toBe(200);
      expect(bearer.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await bearer.text()).toBe(await readFile(join(dir, reportKey(gameId)), "utf8"));
      const auth = { authorization: `Bearer ${token}` };
      // Only report folders: not the manifest beside it, not a way out of the folder.
      expect((await fetch(`${server.url}/report/games/${gameId}/manifest.json`, { headers: auth })).status).toBe(404);
      expect((await fetch(`${server.url}/report/games/${gameId}/report/%2e%2e/manifest.json`, { headers: auth })).status).toBe(404);
      expect((await fetch(`${server.url}/report/games/${gameId}/report/index.html`, { method: "POST", headers: auth })).status).toBe(405);

      const reviewer = await launchBrowser({ httpCredentials: { username: "reviewer", password: token } });
      const tab = await reviewer.context.newPage();
      const problems = watch(tab, server.url);
      await tab.goto(`${server.url}/report/games/${gameId}/`);
      expect(tab.url()).toBe(page);
      await loadAllImages(tab);
      expect(await tab.locator(".clip").count()).toBe(manifest.clips.length);
      const widths = (await tab.evaluate("Array.from(document.images).map((img) => img.naturalWidth)")) as number[];
      expect(widths.length).toBeGreaterThan(0);
      expect(widths.every((w) => w > 0)).toBe(true);
      expect(problems).toEqual([]);
      await reviewer.close();
    } finally {
      server.proc.kill("SIGTERM");
      await server.exited;
    }
  });
});

/** `playclips serve` in a child process on a free loopback port. */
async function serveChild(args: string[], env: Record<string, string>): Promise<{ url: string; proc: ChildProcess; exited: Promise<unknown> }> {
  const root = join(import.meta.dirname, "..");
  const loader = pathToFileURL(join(root, "node_modules", "tsx", "dist", "loader.mjs")).href;
  const cli = join(root, "src", "cli", "run-cli.ts");
  const proc = spawn(process.execPath, ["--import", loader, cli, "serve", "--port", "0", "--host", "127.0.0.1", ...args], {
    cwd: dir,
    env: { ...process.env, ...env },
  });
  const exited = new Promise((resolve) => proc.on("exit", resolve));
  let output = "";
  for (const stream of [proc.stdout, proc.stderr]) stream.on("data", (d: Buffer) => (output += d.toString()));
  for (let waited = 0; waited < 30_000; waited += 50) {
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1];
    if (port) return { url: `http://127.0.0.1:${port}`, proc, exited };
    if (proc.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  proc.kill("SIGKILL");
  throw new Error(`playclips serve did not start: ${output}`);
}

/** A game of `clips` clips made from the demo game's own: same files (so no new thumbnails), new play ids and times. */
function bigManifest(source: GameManifest, clips: number): GameManifest {
  const gameId = "big-game";
  const out: ClipRecord[] = [];
  const plays: NonNullable<GameManifest["plays"]> = [];
  for (let i = 0; out.length < clips; i++) {
    const play = source.plays?.[i % (source.plays?.length ?? 1)];
    if (!play) break;
    const id = `p${String(i).padStart(4, "0")}`;
    const start = i * 13.7;
    plays.push({ ...play, id, start, end: start + (play.end - play.start) });
    for (const clip of source.clips.filter((c) => c.playId === play.id)) if (out.length < clips) out.push({ ...clip, playId: id, requestedStart: start });
  }
  const assignments = Object.fromEntries(plays.map((p, i) => [p.id, i % 5 === 0 ? "validation" : "training"] as const));
  return { ...source, gameId, plays, clips: out, assignments };
}
