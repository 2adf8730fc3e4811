import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportKey } from "../src/domain/layout.js";
import { createPool } from "../src/pipeline/pool.js";
import { processGame } from "../src/pipeline/process-game.js";
import { writeGameReport, type GameReportResult, type ReportContext } from "../src/report/game-report.js";
import { createLocalStore } from "../src/stores/local.js";
import { wrapStore } from "../src/stores/object-store.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

let ws: Workspace;

beforeAll(async () => {
  ws = await createWorkspace(8);
  await ws.writePlays([
    { id: "p1", game_id: "g1", angle: "LEFT", start_timestamp: 1, end_timestamp: 3.5, play_type: "iso", quarter: 1 },
    { id: "p2", game_id: "g1", angle: "RIGHT", start_timestamp: 4.4, end_timestamp: 6, play_type: "pnr", quarter: 2 },
  ]);
  await ws.addCameras("g1");
  await processGame("g1", await ws.pipeline({ cut: { mode: "copy" } }));
});
afterAll(() => ws?.cleanup());

/** A report run that stops just before publishing its page, until let go. */
async function pausedRun(): Promise<{ result: Promise<GameReportResult>; atPage: Promise<void>; go: () => void }> {
  let reached = (): void => undefined;
  let go = (): void => undefined;
  const atPage = new Promise<void>((resolve) => (reached = resolve));
  const gate = new Promise<void>((resolve) => (go = resolve));
  const { backends } = await ws.pipeline();
  const plain = backends.output;
  const store = wrapStore(plain, {
    async write(key, body, options) {
      if (key === reportKey("g1")) {
        reached();
        await gate;
      }
      return plain.write(key, body, options);
    },
  });
  const ctx: ReportContext = { store, tools: backends.tools, pool: createPool(2), tempDir: ws.root, timeoutMs: 60_000 };
  return { result: writeGameReport("g1", ctx), atPage, go };
}

describe("two report runs on one game at once", () => {
  it("never delete the thumbnails of the page published last", async () => {
    // A reads the copy-mode clips and gets as far as publishing its page.
    const a = await pausedRun();
    await a.atPage;
    // Meanwhile the game is re-cut (every clip's bytes change) and B makes thumbnails for the new clips.
    await processGame("g1", await ws.pipeline(), { reuse: false });
    const b = await pausedRun();
    await b.atPage;
    // A publishes its (now stale) page and cleans up; then B publishes the current one.
    a.go();
    expect(await a.result).toMatchObject({ state: "written" });
    b.go();
    expect(await b.result).toMatchObject({ state: "written", thumbnails: { failed: 0 } });

    const page = await readFile(join(ws.out, reportKey("g1")), "utf8");
    const images = [...page.matchAll(/src="(thumbs\/[^"]+)"/g)].map((m) => m[1] ?? "");
    expect(images.length).toBeGreaterThan(0);
    const missing = [];
    for (const image of images) if ((await createLocalStore({ root: ws.out }).stat(`games/g1/report/${image}`)) === null) missing.push(image);
    expect(missing).toEqual([]);
  });
});
