import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GameManifest, PlayRejection } from "../src/domain/types.js";
import { processGame } from "../src/pipeline/process-game.js";
import { REJECTIONS_IN_MANIFEST } from "../src/pipeline/rejections.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

let ws: Workspace;
const BAD = 150;

beforeAll(async () => {
  ws = await createWorkspace(8);
  await ws.addCameras("g1");
  // Two good plays, then BAD rows with an impossible angle, interleaved out of time order.
  const rows: Array<Record<string, string | number | null>> = [
    { id: "good1", game_id: "g1", angle: "LEFT", start_timestamp: 1, end_timestamp: 3, play_type: "drive", quarter: 1 },
  ];
  for (let i = 0; i < BAD; i++) rows.push({ id: `bad${i}`, game_id: "g1", angle: "UP", start_timestamp: 200 - i, end_timestamp: 201 - i, play_type: "iso", quarter: 1 });
  rows.push({ id: "good2", game_id: "g1", angle: "RIGHT", start_timestamp: 4, end_timestamp: 6, play_type: "drive", quarter: 1 });
  await ws.writePlays(rows);
}, 60_000);
afterAll(() => ws.cleanup());

describe("rejected plays at scale", () => {
  it("the manifest lists the first rejections and names a side file with every one, each at its CSV line", async () => {
    const result = await processGame("g1", await ws.pipeline());
    expect(result.status).toBe("partial");
    expect(result.rejected_plays).toBe(BAD);
    const gameDir = join(ws.out, "games", "g1");
    const manifest = JSON.parse(await readFile(join(gameDir, "manifest.json"), "utf8")) as GameManifest;
    expect(manifest.counts.rejectedPlays).toBe(BAD);
    expect(manifest.rejectedPlays).toHaveLength(REJECTIONS_IN_MANIFEST);
    expect(manifest.rejectedPlaysFile).toMatch(/games\/g1\/rejected_plays\.jsonl$/);

    const side = (await readFile(join(gameDir, "rejected_plays.jsonl"), "utf8")).trimEnd().split("\n").map((line) => JSON.parse(line) as PlayRejection);
    expect(side).toHaveLength(BAD);
    expect(side.slice(0, REJECTIONS_IN_MANIFEST)).toEqual(manifest.rejectedPlays);
    // bad{i} is on CSV line i + 3 (header, then good1), whatever order the plays were sorted in.
    for (const r of side) expect(r.row, r.playId ?? "").toBe(Number(r.playId?.slice(3)) + 3);
    expect(side[0]?.reason).toMatch(/angle "UP" is not LEFT or RIGHT/);
  });

  it("a game with few rejections keeps them all in the manifest and names no side file", async () => {
    await ws.writePlays([
      { id: "a", game_id: "g2", angle: "LEFT", start_timestamp: 1, end_timestamp: 3, play_type: null, quarter: 1 },
      { id: "b", game_id: "g2", angle: "LEFT", start_timestamp: 5, end_timestamp: 4, play_type: null, quarter: 1 },
    ]);
    await ws.addCameras("g2");
    await processGame("g2", await ws.pipeline());
    const manifest = JSON.parse(await readFile(join(ws.out, "games", "g2", "manifest.json"), "utf8")) as GameManifest;
    expect(manifest.rejectedPlays).toEqual([{ row: 3, playId: "b", reason: "end_timestamp 4 is not after start_timestamp 5" }]);
    expect(manifest.rejectedPlaysFile).toBeNull();
  });
});
