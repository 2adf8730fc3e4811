import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MediaError } from "../../domain/errors.js";
import { concatList, muxArgs, planSmartCut, smartParts } from "../cut-smart.js";
import { probeVideoStream } from "../keyframes.js";
import { type CutInput, EXCERPT_PAST_END_SEC, prepareExcerpts, sourceInput, withExcerpt } from "../excerpt.js";
import { causeText, runMediaTool } from "../run.js";
import { type SmartClipExpectation, checkSmartClip, referenceSeeks } from "../smart-check.js";
import { runSmartSteps, smartSteps } from "../smart-steps.js";
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
  // Only its excerpt's ffmpeg opens the source (excerpt.ts); the encodes read the small excerpt. (An exact
  // fallback after a failed check cuts from the source, at exact's cost: 2 of 80 clips at 4 h.)
  memory: { encodes: true, sourceInputs: 1, encodesExcerpt: true, outputPerSourceByte: 1.1, tempBesideOutput: 1,
    besidePastEndSec: EXCERPT_PAST_END_SEC },
  refuses: () => null,
  needsStream: () => true,
  prepareCamera: prepareExcerpts,
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
  return withExcerpt(tools, req, info, async (excerpt, work) => splice(tools, req, excerpt ?? (await sourceInput(tools, req, info)), work));
}

/** Cuts the clip from `from` (the excerpt or the source) by parts, checks it, and falls back to exact. */
async function splice(tools: MediaTools, req: ModeCutRequest, from: CutInput, work: string): Promise<CutClipResult> {
  // The same clip on `from`'s timeline: START and every keyframe time below count from its first timestamp.
  const local = { ...req, input: from.input, start: from.start, stream: from.info };
  const plan = planSmartCut(from.info, from.packets, from.start, req.duration);
  // An exact cut from the excerpt decodes the same frames as from the source, without its 4 h index.
  if (plan.kind === "exact") return { ...(await cutExactScaled(tools, local, plan.reason)), actualStart: req.start };
  const run = { timeoutMs: req.timeoutMs, signal: req.signal };
  const tail = plan.tailKeyframeSec;
  const expectation: SmartClipExpectation = { clip: req.output, source: from.input, start: from.start,
    duration: req.duration, fps: from.info.fps, timeoutMs: req.timeoutMs, signal: req.signal, verify: req.verify,
    join: plan.headFrames > 0 ? { frame: plan.headFrames, sourceSec: plan.keyframeSec } : undefined,
    tailJoin: tail !== null ? { frame: plan.headFrames + plan.copiedFrames, sourceSec: tail } : undefined };
  try {
    const parts = smartParts(local, from.info, plan, work);
    // The check's source frames come out of the same processes as the parts,
    // so the excerpt's video can go before the clip is written: a clip's temp
    // files then peak at about twice its size.
    const refs = referenceSeeks(expectation);
    const steps = smartSteps(local.input, parts, plan.headFrames, refs, from.info.fps, req.threads);
    expectation.references = await runSmartSteps(tools.ffmpeg, steps, from.info, refs.length, run);
    if (from.files.length > 0) await rm(from.input, { force: true });
    await writeFile(join(work, "list.txt"), concatList(parts));
    await runMediaTool(tools.ffmpeg, muxArgs(local, join(work, "list.txt"), from.audio), run);
    await Promise.all(parts.map((part) => rm(join(work, part.file), { force: true })));
  } catch (error) {
    await rm(req.output, { force: true }).catch(() => undefined);
    throw new MediaError(`smart-cutting ${req.start} s + ${req.duration} s of ${req.input} failed: ${causeText(error)}`, {
      cause: error,
    });
  }

  const check = await checkSmartClip(tools, expectation).catch(async (error: unknown) => {
    // An unchecked splice must not stay behind where a published clip is expected.
    await rm(req.output, { force: true }).catch(() => undefined);
    throw error;
  });
  // From the source: the excerpt may be gone by now.
  if (!check.ok) return cutExactScaled(tools, req, `the spliced clip failed its check: ${check.reason}`);
  return { mode: smartMode.name, actualStart: req.start, offset: 0, reencodedFrames: plan.headFrames + plan.tailFrames, ...(check.media && { probed: check.media }) };
}
