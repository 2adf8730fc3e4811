import { PassThrough } from "node:stream";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../src/cli/main.js";
import { reportKey, reportThumbsPrefix } from "../src/domain/layout.js";
import { processGame } from "../src/pipeline/process-game.js";
import { createGcsStore } from "../src/stores/gcs.js";
import type { ListingStore } from "../src/stores/object-store.js";
import { startFaultProxy, type FaultProxy, type ForwardedRequest } from "./helpers/fault-proxy.js";
import { startGcsEmulator, type GcsEmulator } from "./helpers/gcs-emulator.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

// `playclips report` with its --out in a bucket on a real GCS protocol server.
// The CLI talks to the emulator through a pass-through proxy (no faults) that
// logs every request, so the test can tell which objects a run downloaded.
let emulator: GcsEmulator;
let proxy: FaultProxy;
let ws: Workspace;
let output: ListingStore;
const OUT = "gs://training-bucket/run1";

beforeAll(async () => {
  emulator = await startGcsEmulator();
  await emulator.createBucket("training-bucket");
  proxy = await startFaultProxy({ target: emulator.apiEndpoint, rate: 0 });
  // The test's own reads go straight to the emulator: the proxy's log is the CLI's alone.
  output = createGcsStore({ bucket: "training-bucket", prefix: "run1", apiEndpoint: emulator.apiEndpoint });
  ws = await createWorkspace(8);
  await ws.writePlays([
    { id: "p1", game_id: "g1", angle: "LEFT", start_timestamp: 1, end_timestamp: 3, play_type: "iso", quarter: 1 },
    { id: "p2", game_id: "g1", angle: "RIGHT", start_timestamp: 4.4, end_timestamp: 6, play_type: "pnr", quarter: 2 },
  ]);
  await ws.addCameras("g1");
  const result = await processGame("g1", await ws.pipeline({ backends: { output } }));
  expect(result).toMatchObject({ status: "complete", successful_clips: 4 });
});
afterAll(async () => {
  await ws?.cleanup();
  await proxy?.stop();
  await emulator?.stop();
});

async function report(): Promise<{ code: number; stdout: string; requests: ForwardedRequest[] }> {
  const from = proxy.forwarded.length;
  const stdout = new PassThrough();
  let out = "";
  stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
  const io = { cwd: ws.root, env: { PATH: process.env.PATH, PLAYCLIPS_GCS_ENDPOINT: proxy.url }, stdout, stderr: new PassThrough() as unknown as NodeJS.WriteStream };
  const code = await main(["report", "--games", "g1", "--out", OUT, "--temp-dir", ws.root], io);
  return { code, stdout: out, requests: proxy.forwarded.slice(from) };
}

/** Object downloads (not metadata), by object name. */
const downloads = (requests: readonly ForwardedRequest[]): ForwardedRequest[] => requests.filter((r) => r.method === "GET" && /[?&]alt=media/.test(r.url));
const objectName = (r: ForwardedRequest): string => decodeURIComponent(/\/o\/([^?]+)/.exec(r.url)?.[1] ?? "");

describe("playclips report --out gs://…", () => {
  it("writes the page and its thumbnails into the bucket, linked by paths that resolve there", async () => {
    const clips = (await output.list("games/g1/clips/")).filter((info) => info.key.endsWith(".mp4"));
    expect(clips).toHaveLength(4);
    const first = await report();
    expect(first.code).toBe(0);
    // The test's cameras share one video: a play's two clips are the same bytes, made once.
    expect(first.stdout).toMatch(/g1\s+written\s+4\s+2 made, 2 cached\s+gs:\/\/training-bucket\/run1\/games\/g1\/report\/index\.html/);
    // Each clip was downloaded once, to hash it and cut its frames.
    const clipReads = downloads(first.requests).filter((r) => objectName(r).includes("/clips/"));
    expect(clipReads.map(objectName).sort()).toEqual(clips.map((c) => `run1/${c.key}`).sort());

    const page = await text(await output.read(reportKey("g1")));
    const base = new URL(`https://bucket.invalid/${reportKey("g1")}`);
    const links = [...page.matchAll(/(?:src|href)="([^"#][^"]*)"/g)].map((m) => m[1] ?? "").filter((link) => !link.startsWith("data:"));
    const thumbs = links.filter((link) => link.startsWith("thumbs/"));
    expect(new Set(thumbs).size).toBe(2 * 3); // first, middle, last frame of two distinct clips
    expect(links.filter((link) => link.endsWith(".mp4"))).toHaveLength(2 * 4); // the strip and the camera name open each clip
    for (const link of links) {
      expect(link, "a relative path").not.toMatch(/^[a-z]+:|^\//);
      const key = decodeURIComponent(new URL(link, base).pathname.slice(1));
      expect(await output.stat(key), `${link} -> ${key}`).not.toBeNull();
    }
    const stored = await output.list(reportThumbsPrefix("g1"));
    expect(stored.map((info) => `thumbs/${info.key.slice(reportThumbsPrefix("g1").length)}`).sort()).toEqual([...new Set(thumbs)].sort());
    for (const info of stored) expect(info.size).toBeGreaterThan(500);
  });

  it("makes no thumbnail again on a rerun, and reads no clip bytes: the bucket's md5 names them", async () => {
    const thumbs = await output.list(reportThumbsPrefix("g1"));
    const versions = await Promise.all(thumbs.map((info) => output.identify?.(info.key)));
    const again = await report();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/g1\s+written\s+4\s+0 made, 4 cached/);
    // Only the manifest is downloaded; the clips are looked up by their metadata.
    expect(downloads(again.requests).map(objectName)).toEqual(["run1/games/g1/manifest.json"]);
    const bytesIn = again.requests.reduce((sum, r) => sum + r.bytes, 0);
    const clipBytes = (await output.list("games/g1/clips/")).reduce((sum, info) => sum + info.size, 0);
    expect(bytesIn).toBeLessThan(clipBytes / 4);
    expect(await Promise.all(thumbs.map((info) => output.identify?.(info.key)))).toEqual(versions);
    console.log(`report rerun on GCS: ${again.requests.length} requests, ${bytesIn} bytes answered (clips hold ${clipBytes} bytes)`);
  });
});
