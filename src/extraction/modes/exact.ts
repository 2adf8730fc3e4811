import { cutExactClip } from "../cut.js";
import type { VideoStreamInfo } from "../ffprobe-json.js";
import { probeVideoStream } from "../keyframes.js";
import type { MediaTools } from "../tools.js";
import { NOTHING_TO_PREPARE, verifyDuration, type CutClipResult, type CutModeStrategy, type ModeCutRequest, type ScaleOptions } from "./mode.js";

const scales = (o: ScaleOptions): boolean => o.maxHeight !== undefined || o.maxFps !== undefined;

/**
 * The original design's cut: every frame re-encoded, frame-accurate. One
 * libx264 encode keeps ~1.5 cores busy, so more than one clip per core only
 * adds contention.
 */
export const exactMode: CutModeStrategy = {
  name: "exact",
  summary: "frame-accurate, every frame re-encoded",
  concurrency: (cores) => Math.max(1, Math.floor(cores)),
  memory: { encodes: true, sourceInputs: 1, outputPerSourceByte: 3, tempBesideOutput: 0 },
  refuses: () => null,
  // The probe's codec details are needed only to decide the scale/fps filters.
  needsStream: scales,
  prepareCamera: NOTHING_TO_PREPARE,
  reuses: ["exact"],
  cut: (tools, req) => cutExactScaled(tools, req),
  verify: (tools, made, expected) => verifyDuration(tools, made, expected),
};

/** The exact cut, with scale/fps filters when maxHeight/maxFps ask for them; `fallbackReason` says why another mode did not cut it. */
export async function cutExactScaled(tools: MediaTools, req: ModeCutRequest, fallbackReason?: string): Promise<CutClipResult> {
  let filters: string[] = [];
  if (scales(req)) filters = exactFilters(req.stream ?? (await probeVideoStream(tools, req.input, req.timeoutMs)), req);
  await cutExactClip(tools, req, filters);
  return { mode: exactMode.name, actualStart: req.start, offset: 0, ...(fallbackReason ? { fallbackReason } : {}) };
}

/** Filters only when they change something: a 480p source with maxHeight 720 is not upscaled. */
export function exactFilters(info: Pick<VideoStreamInfo, "height" | "fps">, opts: ScaleOptions): string[] {
  const filters: string[] = [];
  if (opts.maxFps !== undefined && info.fps > opts.maxFps + 0.01) filters.push(`fps=${opts.maxFps}`);
  if (opts.maxHeight !== undefined && info.height > opts.maxHeight) {
    // yuv420p needs even sizes: -2 picks the even width that keeps the aspect.
    const height = Math.max(2, Math.floor(opts.maxHeight / 2) * 2);
    filters.push(`scale=-2:${height}`);
  }
  return filters;
}
