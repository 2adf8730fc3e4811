import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { MediaError } from "../../domain/errors.js";
import { concatList, muxArgs, partArgs, planSmartCut, smartParts } from "../cut-smart.js";
import { probeVideoStream, readVideoPackets } from "../keyframes.js";
import { causeText, runMediaTool } from "../run.js";
import { checkSmartClip } from "../smart-check.js";
import type { MediaTools } from "../tools.js";
import { cutExactScaled } from "./exact.js";
import { NOTHING_TO_PREPARE, verifyDuration, type CutClipResult, type CutModeStrategy, type ModeCutRequest } from "./mode.js";

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
  // The reference frames' ffmpeg opens the source once per seam.
  memory: { encodes: true, sourceInputs: 2 },
  refuses: () => null,
  needsStream: () => true,
  prepareCamera: NOTHING_TO_PREPARE,
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
    for (const part of parts) await runMediaTool(tools.ffmpeg, partArgs(req.input, part, req.threads), run);
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

  const tail = plan.tailKeyframeSec;
  const check = await checkSmartClip(tools, { clip: req.output, source: req.input, start: req.start,
    duration: req.duration, fps: info.fps, timeoutMs: req.timeoutMs, signal: req.signal, verify: req.verify,
    join: plan.headFrames > 0 ? { frame: plan.headFrames, sourceSec: plan.keyframeSec } : undefined,
    tailJoin: tail !== null ? { frame: plan.headFrames + plan.copiedFrames, sourceSec: tail } : undefined })
    .catch(async (error: unknown) => {
      // An unchecked splice must not stay behind where a published clip is expected.
      await rm(req.output, { force: true }).catch(() => undefined);
      throw error;
    });
  if (!check.ok) return cutExactScaled(tools, req, `the spliced clip failed its check: ${check.reason}`);
  return { mode: smartMode.name, actualStart: req.start, offset: 0, reencodedFrames: plan.headFrames + plan.tailFrames };
}
