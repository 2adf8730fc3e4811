import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MediaError } from "../../domain/errors.js";
import { concatList, muxArgs, partArgs, planSmartCut, smartParts } from "../cut-smart.js";
import { probeVideoStream, readPacketsAtStarts } from "../keyframes.js";
import { type SmartInput, smartExcerpt, sourceInput } from "../smart-excerpt.js";
import { causeText, runMediaTool } from "../run.js";
import { checkSmartClip } from "../smart-check.js";
import type { MediaTools } from "../tools.js";
import { cutExactScaled } from "./exact.js";
import { verifyDuration, type CutClipResult, type CutModeStrategy, type ModeCutRequest } from "./mode.js";

/**
 * Frame-accurate like exact, but only the partial GOPs at both ends are
 * re-encoded and the rest is copied (docs/cut-modes.md). Every splice is
 * checked before it may be published; where it cannot splice safely, or the
 * check fails, it cuts exact instead and says why. Its largest cost, the
 * check's decode, is CPU: one clip per core.
 */
export const smartMode: CutModeStrategy = {
  name: "smart",
  summary: "frame-accurate, re-encodes only the partial GOPs at both ends and copies the rest",
  concurrency: (cores) => Math.max(1, Math.floor(cores)),
  // Only its excerpt's ffmpeg opens the source (smart-excerpt.ts); the encodes, and an exact fallback, read the small excerpt.
  memory: { encodes: true, sourceInputs: 1, encodesExcerpt: true },
  refuses: () => null,
  needsStream: () => true,
  // The keyframe before every START, in one read: each excerpt's first keyframe is checked against it.
  prepareCamera: async (tools, input, stream, starts, timeoutMs) => ({ packets: await readPacketsAtStarts(tools, input, stream, starts, timeoutMs) }),
  // A smart request accepts its own exact fallback.
  reuses: ["smart", "exact"],
  cut: (tools, req) =>
    req.maxHeight !== undefined || req.maxFps !== undefined
      // Copied frames keep the source's size and rate; only a full re-encode can change them.
      ? cutExactScaled(tools, req, "maxHeight/maxFps need every frame re-encoded")
      : cutSmartClip(tools, req),
  verify: (tools, made, expected) => verifyDuration(tools, made, expected),
};

async function cutSmartClip(tools: MediaTools, req: ModeCutRequest): Promise<CutClipResult> {
  const info = req.stream ?? (await probeVideoStream(tools, req.input, req.timeoutMs));
  await mkdir(dirname(req.output), { recursive: true });
  const work = await mkdtemp(join(dirname(req.output), `.${basename(req.output)}.smart-`));
  try {
    const from = (await smartExcerpt(tools, req, info, join(work, "excerpt.mp4"))) ?? (await sourceInput(tools, req, info));
    return await splice(tools, req, from, work);
  } finally {
    await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Cuts the clip from `from` (the excerpt or the source) by parts, checks it, and falls back to exact from the source. */
async function splice(tools: MediaTools, req: ModeCutRequest, from: SmartInput, work: string): Promise<CutClipResult> {
  // The same clip on `from`'s timeline: START and every keyframe time below count from its first timestamp.
  const local = { ...req, input: from.input, start: from.start, stream: from.info };
  // An exact cut from the excerpt decodes the same frames as from the source, without its 4 h index.
  const exact = async (reason: string): Promise<CutClipResult> => ({ ...(await cutExactScaled(tools, local, reason)), actualStart: req.start });
  const plan = planSmartCut(from.info, from.packets, from.start, req.duration);
  if (plan.kind === "exact") return exact(plan.reason);
  const run = { timeoutMs: req.timeoutMs, signal: req.signal };
  try {
    const parts = smartParts(local, from.info, plan, work);
    // One after another although independent: a libx264 encode at 720p holds
    // ~180 MB, and the clip pool already keeps every core busy.
    for (const part of parts) await runMediaTool(tools.ffmpeg, partArgs(local.input, part, req.threads), run);
    await writeFile(join(work, "list.txt"), concatList(parts));
    await runMediaTool(tools.ffmpeg, muxArgs(local, join(work, "list.txt"), from.info.hasAudio), run);
    // The parts are in the clip now; only the excerpt is still needed, for the check's references.
    await Promise.all(parts.map((part) => rm(join(work, part.file), { force: true })));
  } catch (error) {
    await rm(req.output, { force: true }).catch(() => undefined);
    throw new MediaError(`smart-cutting ${req.start} s + ${req.duration} s of ${req.input} failed: ${causeText(error)}`, {
      cause: error,
    });
  }

  const tail = plan.tailKeyframeSec;
  const check = await checkSmartClip(tools, { clip: req.output, source: from.input, start: from.start,
    duration: req.duration, fps: from.info.fps, timeoutMs: req.timeoutMs, signal: req.signal, verify: req.verify,
    join: plan.headFrames > 0 ? { frame: plan.headFrames, sourceSec: plan.keyframeSec } : undefined,
    tailJoin: tail !== null ? { frame: plan.headFrames + plan.copiedFrames, sourceSec: tail } : undefined })
    .catch(async (error: unknown) => {
      // An unchecked splice must not stay behind where a published clip is expected.
      await rm(req.output, { force: true }).catch(() => undefined);
      throw error;
    });
  if (!check.ok) return exact(`the spliced clip failed its check: ${check.reason}`);
  return { mode: smartMode.name, actualStart: req.start, offset: 0, reencodedFrames: plan.headFrames + plan.tailFrames };
}
