import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, dirname, join } from "node:path";
import { MediaError } from "../domain/errors.js";
import { causeText, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";

/** Where to look for the binaries, as the settings resolved them. */
export interface MediaToolPaths {
  /** The ffmpeg binary (--ffmpeg / FFMPEG_PATH); else searched. */
  ffmpegPath?: string;
  /** The ffprobe binary (--ffprobe / FFPROBE_PATH); else beside ffmpegPath, else searched. */
  ffprobePath?: string;
  /** Folders to search, PATH-style. Required, so that passing process.env by mistake does not compile. */
  searchPath: string | undefined;
}

type ToolName = keyof MediaTools;

// How a user sets each one: messages name both, whichever they used.
const SETTING: Record<ToolName, { key: "ffmpegPath" | "ffprobePath"; said: string }> = {
  ffmpeg: { key: "ffmpegPath", said: "--ffmpeg / FFMPEG_PATH" },
  ffprobe: { key: "ffprobePath", said: "--ffprobe / FFPROBE_PATH" },
};

const VERSION_TIMEOUT_MS = 15_000;

export const INSTALL_HINT =
  'install ffmpeg (it ships ffprobe too): "apt-get install -y ffmpeg" on Debian/Ubuntu, ' +
  '"brew install ffmpeg" on macOS, or set FFMPEG_PATH and FFPROBE_PATH to the binaries';

/**
 * Finds ffmpeg and ffprobe: an explicit FFMPEG_PATH/FFPROBE_PATH wins, then
 * PATH. Both are run once with -version so a broken install fails here, at
 * start-up, instead of on the first clip of a long run.
 */
export async function locateMediaTools(paths: MediaToolPaths): Promise<MediaTools> {
  const ffmpeg = await resolveTool("ffmpeg", paths, null);
  // A static build unpacked somewhere ships ffprobe beside ffmpeg; preferring
  // that pair over an unrelated ffprobe on PATH keeps both from one version.
  const sibling = paths.ffmpegPath?.trim() ? dirname(ffmpeg) : null;
  const ffprobe = await resolveTool("ffprobe", paths, sibling);
  await Promise.all([checkRuns("ffmpeg", ffmpeg), checkRuns("ffprobe", ffprobe)]);
  return { ffmpeg, ffprobe };
}

async function resolveTool(name: ToolName, paths: MediaToolPaths, preferDir: string | null): Promise<string> {
  const setting = SETTING[name];
  const explicit = paths[setting.key]?.trim();
  if (explicit) {
    const problem = await whyNotExecutable(explicit);
    if (problem) {
      throw new MediaError(`${setting.said} is set to "${explicit}", but ${problem}; point it at the ${name} binary or unset it to search PATH`);
    }
    return explicit;
  }

  const dirs = [...(preferDir ? [preferDir] : []), ...(paths.searchPath ?? "").split(delimiter).filter((dir) => dir.length > 0)];
  const names = process.platform === "win32" ? [`${name}.exe`, name] : [name];
  for (const dir of dirs) {
    for (const candidate of names) {
      const path = join(dir, candidate);
      if ((await whyNotExecutable(path)) === null) return path;
    }
  }
  const where = dirs.length > 0 ? "on PATH" : "(PATH is empty)";
  throw new MediaError(`${name} was not found ${where}; ${INSTALL_HINT}`);
}

/** Null when the path is an executable file, else a reason fit for a message. */
async function whyNotExecutable(path: string): Promise<string | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return "that is not a file";
  } catch {
    return "that file does not exist";
  }
  try {
    await access(path, constants.X_OK);
    return null;
  } catch {
    return "that file is not executable";
  }
}

async function checkRuns(name: ToolName, path: string): Promise<void> {
  let stdout: string;
  try {
    ({ stdout } = await runMediaTool(path, ["-version"], { timeoutMs: VERSION_TIMEOUT_MS }));
  } catch (error) {
    throw new MediaError(`${path} does not run as ${name} (${causeText(error)}); ${INSTALL_HINT}`, { cause: error });
  }
  const firstLine = stdout.split("\n", 1)[0]?.trim() ?? "";
  if (!firstLine.startsWith(`${name} version`)) {
    const seen = firstLine ? `"${firstLine.slice(0, 120)}"` : "nothing";
    throw new MediaError(`${path} is not ${name}: "-version" printed ${seen}; ${INSTALL_HINT}`);
  }
}
