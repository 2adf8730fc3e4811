import { locateMediaTools } from "../extraction/locate.js";
import type { Backends, Pipeline } from "../pipeline/parts.js";
import { createMemoryGate } from "../pipeline/memory-gate.js";
import { createTempGate } from "../pipeline/temp-gate.js";
import { createPool } from "../pipeline/pool.js";
import type { ObjectStore } from "../stores/object-store.js";
import { openStore } from "../stores/registry.js";
import { openPlaySource, type Notices } from "./plays-location.js";
import type { Settings } from "./settings.js";

/** The videos or output store the settings name. */
export function openSettingsStore(settings: Settings, which: "videos" | "out", cwd: string): Promise<ObjectStore> {
  return openStore(settings.stores[which], { cwd, gcsEndpoint: settings.stores.gcsEndpoint });
}

/** Opens every backend the settings name; the caller closes `plays` when done. */
export async function openBackends(settings: Settings, cwd: string, notices?: Notices): Promise<Backends> {
  const tools = await locateMediaTools(settings.tools);
  const videos = await openSettingsStore(settings, "videos", cwd);
  const output = await openSettingsStore(settings, "out", cwd);
  const plays = await openPlaySource(settings.plays, notices);
  return { plays, videos, output, tools, tempDir: settings.stores.tempDir };
}

/** The pipeline's parts from the settings: what every entry point (CLI, serve, worker, function) runs games with. */
export async function openPipeline(settings: Settings, cwd: string, notices?: Notices): Promise<Pipeline> {
  const size = settings.limits.clipConcurrency;
  return {
    backends: await openBackends(settings, cwd, notices),
    cut: settings.cut,
    reads: settings.reads,
    dataset: settings.dataset,
    limits: {
      clipPool: createPool(size),
      clipMemory: createMemoryGate(settings.limits.memoryBytes),
      clipTemp: createTempGate(settings.limits.tempBytes),
      // As many uploads as cuts: temp then holds at most twice the clip pool's clips.
      uploadPool: createPool(size),
      clipTimeoutMs: settings.limits.clipTimeoutMs,
    },
  };
}
