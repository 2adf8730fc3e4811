import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manifestKey, trainingKey, validationKey, videoKey } from "../src/domain/layout.js";
import { CAMERAS, type GameManifest } from "../src/domain/types.js";
import { processGame } from "../src/pipeline/process-game.js";
import { readGameStatus } from "../src/pipeline/status.js";
import { createGcsStore } from "../src/stores/gcs.js";
import type { ObjectStore } from "../src/stores/object-store.js";
import { startGcsEmulator, type GcsEmulator } from "./helpers/gcs-emulator.js";
import { createWorkspace, type Workspace } from "./helpers/pipeline.js";

// The whole per-game pipeline with both buckets on a real GCS protocol server:
// videos are fetched from the video bucket, clips and JSONL land in the
// training bucket, and the dataset names them by gs:// URI.
let emulator: GcsEmulator;
let ws: Workspace;
let videos: ObjectStore;
let output: ObjectStore;

beforeAll(async () => {
  emulator = await startGcsEmulator();
  await emulator.createBucket("videos-bucket");
  await emulator.createBucket("training-bucket");
  videos = createGcsStore({ bucket: "videos-bucket", apiEndpoint: emulator.apiEndpoint });
  output = createGcsStore({ bucket: "training-bucket", prefix: "run1", apiEndpoint: emulator.apiEndpoint });
  ws = await createWorkspace(8);
  await ws.writePlays([
    { id: "p1", game_id: "g1", angle: "LEFT", start_timestamp: 1, end_timestamp: 3, play_type: "iso", quarter: 1 },
    { id: "p2", game_id: "g1", angle: "RIGHT", start_timestamp: 2.4, end_timestamp: 3.8, play_type: null, quarter: 2 },
  ]);
  await ws.addCameras("g1");
  for (const camera of CAMERAS) await videos.write(videoKey("g1", camera), { file: join(ws.videos, videoKey("g1", camera)) });
});
afterAll(async () => {
  await ws?.cleanup();
  await emulator?.stop();
});

describe("processGame on GCS", () => {
  it("cuts from the video bucket and publishes clips, manifest and gs:// JSONL to the training bucket", async () => {
    const result = await processGame("g1", await ws.pipeline({ backends: { videos, output } }));
    expect(result).toMatchObject({ status: "complete", successful_clips: 4, failed_clips: 0 });
    expect(result.jsonl_files?.training).toBe("gs://training-bucket/run1/games/g1/training_data.jsonl");

    const manifest = JSON.parse(await text(await output.read(manifestKey("g1")))) as GameManifest;
    expect(manifest.cameras.every((c) => c.status === "ok")).toBe(true);
    // Four short plays of an 8 s video: every camera is read through ranged reads, never downloaded whole.
    for (const camera of manifest.cameras) {
      expect(camera.fetch).toBe("range");
      expect(camera.bytesFetched).toBeGreaterThan(0);
    }
    const lines = [
      ...(await text(await output.read(trainingKey("g1")))).trimEnd().split("\n"),
      ...(await text(await output.read(validationKey("g1")))).trimEnd().split("\n"),
    ].filter((l) => l !== "");
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const uri = (JSON.parse(line) as { contents: Array<{ parts: Array<{ fileData?: { fileUri: string } }> }> }).contents[0]?.parts[0]?.fileData?.fileUri ?? "";
      expect(uri).toMatch(/^gs:\/\/training-bucket\/run1\/games\/g1\/clips\/p[12]_(FAR|NEAR)_(LEFT|RIGHT)\.mp4$/);
      const key = uri.replace("gs://training-bucket/run1/", "");
      expect((await output.stat(key))?.size).toBe(manifest.clips.find((c) => c.key === key)?.bytes);
    }
    expect((await readGameStatus(output, "g1")).state).toBe("complete");
    // The plays file is untouched input; the local folder got no outputs.
    expect(await readFile(ws.playsFile, "utf8")).toContain("p1,g1,LEFT");
  });
});
