import { validateCutRequest } from "../cut.js";
import type { MediaTools } from "../tools.js";
import { copyMode } from "./copy.js";
import { exactMode } from "./exact.js";
import type { CutClipResult, CutModeStrategy, ModeCutRequest } from "./mode.js";
import { smartMode } from "./smart.js";

/** Every cut mode, by name. Adding one: a file in this folder and a line here. */
const MODES = {
  exact: exactMode,
  copy: copyMode,
  smart: smartMode,
} as const satisfies Record<string, CutModeStrategy>;

export type CutMode = keyof typeof MODES;
export const CUT_MODES = Object.keys(MODES) as CutMode[];
/** The original design's mode: what a run cuts with unless told otherwise. */
export const DEFAULT_CUT_MODE: CutMode = "exact";

export function cutModeNamed(name: CutMode): CutModeStrategy {
  return MODES[name];
}

/** The mode that made a clip, from its recorded name (a manifest's word; unknown names give undefined). */
export function cutModeThatMade(name: string): CutModeStrategy | undefined {
  return Object.hasOwn(MODES, name) ? MODES[name as CutMode] : undefined;
}

/** Clips cut at once when the user does not say: the mode's choice for this many cores. */
export function clipConcurrencyFor(mode: CutMode, cores: number): number {
  return MODES[mode].concurrency(cores);
}

export interface CutClipRequest extends ModeCutRequest {
  mode: CutMode;
}

/** The one entry point for cutting a play, whatever the mode; the caller checks the clip (mode.verify). */
export async function cutClip(tools: MediaTools, req: CutClipRequest): Promise<CutClipResult> {
  validateCutRequest(req);
  return MODES[req.mode].cut(tools, req);
}
