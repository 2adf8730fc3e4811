import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MediaError } from "../domain/errors.js";
import { cutCopyClip } from "./cut-copy.js";
import { concatList, muxArgs, partArgs, planSmartCut, smartParts } from "./cut-smart.js";
import { type CutRequest, cutExactClip, validateCutRequest } from "./cut.js";
import { probeVideoStream, readVideoPackets, type VideoPacket, type VideoStreamInfo } from "./keyframes.js";
import { causeText, runMediaTool } from "./run.js";
import { checkSmartClip } from "./smart-check.js";
import type { MediaTools } from "./tools.js";

import type { CutMode } from "../domain/types.js";

export type { CutMode };

export interface CutClipRequest extends CutRequest {
  mode: CutMode;
  /** Scale down to at most this height, keeping the aspect ratio (exact only; smart then falls back to exact). */
  maxHeight?: number;
  /** Drop frames down to at most this rate (exact only; smart then falls back to exact). */
  maxFps?: number;
  /** Smart only: run checkSmartClip and fall back to exact if it fails. Default true; only benchmarks turn it off. */
  verifySmart?: boolean;
  /** The source's video stream, probed once per camera by the caller; probed here when absent. */
  stream?: VideoStreamInfo;
  /** Copy only: packets read once per camera around every clip's START (KnownSource.packets). */
  packets?: readonly VideoPacket[];
  /** Copy only: the caller runs verifyClip on the result, so the copy skips its own duration probe. */
  callerVerifies?: boolean;
}

export interface CutClipResult {
  /** The mode that produced the file: smart falls back to exact when it cannot splice safely. */
  mode: CutMode;
  /** Seconds from the source's first timestamp where the clip's first frame is. START, except for copy. */
  actualStart: number;
  /** START - actualStart: how far into the clip the play starts. 0 except for copy. */
  offset: number;
  fallbackReason?: string;
  /** Smart: frames re-encoded, before the first copied keyframe plus after the last copied frame. */
  reencodedFrames?: number;
}

/** The one entry point for cutting a play, whatever the mode. */
export async function cutClip(tools: MediaTools, req: CutClipRequest): Promise<CutClipResult> {
  validateCutRequest(req);
  if (req.mode === "copy") {
    if (req.maxHeight !== undefined || req.maxFps !== undefined) {
      throw new MediaError("copy mode cannot scale or drop frames: it does not re-encode; use exact or smart");
    }
    return { mode: "copy", ...(await cutCopyClip(tools, req, { stream: req.stream, packets: req.packets, callerVerifies: req.callerVerifies })) };
  }
  if (req.mode === "exact") return cutExactScaled(tools, req);

  if (req.maxHeight !== undefined || req.maxFps !== undefined) {
    // Copied frames keep the source's size and rate; only a full re-encode can change them.
    return cutExactScaled(tools, req, "maxHeight/maxFps need every frame re-encoded");
  }
  return cutSmartClip(tools, req);
}

async function cutSmartClip(tools: MediaTools, req: CutClipRequest): Promise<CutClipResult> {
  const info = req.stream ?? (await probeVideoStream(tools, req.input, req.timeoutMs));
  // Two seconds past END: enough for B-frame reordering to show up after it.
  const range = { fromSec: req.start, toSec: req.start + req.duration + 2, originSec: info.originSec };
  const plan = planSmartCut(info, await readVideoPackets(tools, req.input, range, req.timeoutMs), req.start, req.duration);
  if (plan.kind === "exact") return cutExactScaled(tools, req, plan.reason);

  await mkdir(dirname(req.output), { recursive: true });
  const work = await mkdtemp(join(dirname(req.output), `.${basename(req.output)}.smart-`));
  const run = { timeoutMs: req.timeoutMs, signal: req.signal };
  try {
    const parts = smartParts(req, info, plan, work);
    // One after another although independent: a libx264 encode at 720p holds
    // ~180 MB, and the clip pool already keeps every core busy.
    for (const part of parts) await runMediaTool(tools.ffmpeg, partArgs(req.input, part), run);
    await writeFile(join(work, "list.txt"), concatList(parts));
    await runMediaTool(tools.ffmpeg, muxArgs(req, join(work, "list.txt"), info.hasAudio), run);
  } catch (error) {
    await rm(req.output, { force: true }).catch(() => undefined);
    throw new MediaError(`smart-cutting ${req.start} s + ${req.duration} s of ${req.input} failed: ${causeText(error)}`, {
      cause: error,
    });
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }

  if (req.verifySmart !== false) {
    const tail = plan.tailKeyframeSec;
    const check = await checkSmartClip(tools, { clip: req.output, source: req.input, start: req.start,
      duration: req.duration, fps: info.fps, timeoutMs: req.timeoutMs, signal: req.signal,
      join: plan.headFrames > 0 ? { frame: plan.headFrames, sourceSec: plan.keyframeSec } : undefined,
      tailJoin: tail !== null ? { frame: plan.headFrames + plan.copiedFrames, sourceSec: tail } : undefined })
      .catch(async (error: unknown) => {
        // An unchecked splice must not stay behind where a published clip is expected.
        await rm(req.output, { force: true }).catch(() => undefined);
        throw error;
      });
    if (!check.ok) return cutExactScaled(tools, req, `the spliced clip failed its check: ${check.reason}`);
  }
  return { mode: "smart", actualStart: req.start, offset: 0, reencodedFrames: plan.headFrames + plan.tailFrames };
}

/** The exact cut, with scale/fps filters when maxHeight/maxFps ask for them; `fallbackReason` says why smart did not splice. */
export async function cutExactScaled(tools: MediaTools, req: CutClipRequest, fallbackReason?: string): Promise<CutClipResult> {
  let filters: string[] = [];
  if (req.maxHeight !== undefined || req.maxFps !== undefined) {
    filters = exactFilters(req.stream ?? (await probeVideoStream(tools, req.input, req.timeoutMs)), req);
  }
  await cutExactClip(tools, req, filters);
  return { mode: "exact", actualStart: req.start, offset: 0, ...(fallbackReason ? { fallbackReason } : {}) };
}

/** Filters only when they change something: a 480p source with maxHeight 720 is not upscaled. */
export function exactFilters(info: Pick<VideoStreamInfo, "height" | "fps">, opts: { maxHeight?: number; maxFps?: number }): string[] {
  const filters: string[] = [];
  if (opts.maxFps !== undefined && info.fps > opts.maxFps + 0.01) filters.push(`fps=${opts.maxFps}`);
  if (opts.maxHeight !== undefined && info.height > opts.maxHeight) {
    // yuv420p needs even sizes: -2 picks the even width that keeps the aspect.
    const height = Math.max(2, Math.floor(opts.maxHeight / 2) * 2);
    filters.push(`scale=-2:${height}`);
  }
  return filters;
}
