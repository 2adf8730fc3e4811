import { stat } from "node:fs/promises";
import { MediaError } from "../domain/errors.js";
import { MediaToolError, causeText, runMediaTool } from "./run.js";
import type { MediaTools } from "./tools.js";
import { mediaInputOptions } from "./input-options.js";
import { cuttableStream } from "./keyframes.js";
import { mainVideoStream, parseMediaInfo, toNumber, type FfprobeJson, type FfprobeStream, type MediaInfo, type VideoStreamInfo } from "./ffprobe-json.js";

// How far the data may end before the index says it should; a few frames of
// slack covers B-frame reordering and rounding in the container's durations.
const TRUNCATION_SLACK_SEC = 0.5;

/**
 * What ffprobe says about a media file, or a MediaError saying in plain words
 * why it is not a usable video ("not a readable video: …").
 */
export async function probeMedia(
  tools: MediaTools, input: string, timeoutMs = 30_000, options: { checkTruncation?: boolean } = {},
): Promise<MediaInfo> {
  return probeParsed(tools, input, timeoutMs, options);
}

/** probeMedia, and its video stream checked to be one copy and smart cuts can work with. */
export async function probeMediaAndStream(
  tools: MediaTools, input: string, timeoutMs = 30_000,
): Promise<{ media: MediaInfo; stream: VideoStreamInfo }> {
  const media = await probeParsed(tools, input, timeoutMs, {});
  return { media, stream: cuttableStream(media, input) };
}

async function probeParsed(
  tools: MediaTools, input: string, timeoutMs: number, options: { checkTruncation?: boolean },
): Promise<MediaInfo> {
  const unreadable = (reason: string, cause?: unknown): MediaError =>
    new MediaError(`not a readable video: ${input}: ${reason}`, cause === undefined ? undefined : { cause });

  if (!input.includes("://")) {
    const size = await stat(input).then((s) => s.size, () => null);
    if (size === null) throw unreadable("the file does not exist");
    if (size === 0) throw unreadable("the file is empty (0 bytes)");
  }

  let parsed: FfprobeJson;
  try {
    const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...mediaInputOptions(input), input];
    const { stdout } = await runMediaTool(tools.ffprobe, args, { timeoutMs });
    parsed = JSON.parse(stdout) as FfprobeJson;
  } catch (error) {
    throw unreadable(explainProbeFailure(error), error);
  }

  const media = parseMediaInfo(parsed);
  if ("problem" in media) throw unreadable(media.problem);

  if (options.checkTruncation !== false && media.video && /\bmov\b|\bmp4\b/.test(parsed.format?.format_name ?? "")) {
    let problem: string | null;
    try {
      problem = await findTruncation(tools, input, mainVideoStream(parsed.streams ?? []), timeoutMs);
    } catch (error) {
      throw unreadable(`reading its last frames failed: ${explainProbeFailure(error)}`, error);
    }
    if (problem) throw unreadable(problem);
  }
  return media;
}

/**
 * MP4 with its index at the front (faststart) still probes fine after a cut-off
 * download, because ffprobe only reads the index. Reading the packets of the
 * last GOP shows whether the data really reaches the end.
 */
async function findTruncation(
  tools: MediaTools,
  input: string,
  stream: FfprobeStream | undefined,
  timeoutMs: number,
): Promise<string | null> {
  const start = toNumber(stream?.start_time);
  const length = toNumber(stream?.duration);
  if (start === null || length === null) return null;
  const expectedEnd = start + length;

  // "999999%" seeks to the last keyframe: at most one GOP is read.
  const args = ["-v", "error", "-select_streams", "v:0", "-read_intervals", "999999%", "-show_entries",
    "packet=pts_time,duration_time", "-print_format", "json", ...mediaInputOptions(input), input];
  const { stdout, stderr } = await runMediaTool(tools.ffprobe, args, { timeoutMs });
  const packets = (JSON.parse(stdout) as FfprobeJson).packets ?? [];
  const ends = packets.flatMap((p) => {
    const pts = toNumber(p.pts_time);
    return pts === null ? [] : [pts + (toNumber(p.duration_time) ?? 0)];
  });
  const lastEnd = ends.length > 0 ? Math.max(...ends) : null;
  const truncated = lastEnd === null || /partial file/i.test(stderr) || lastEnd < expectedEnd - TRUNCATION_SLACK_SEC;
  if (!truncated) return null;
  const reached = lastEnd === null ? "its last part has no data" : `its data stops at ${lastEnd.toFixed(2)} s`;
  return `the file is truncated: the index says the video runs to ${expectedEnd.toFixed(2)} s but ${reached}`;
}

function explainProbeFailure(error: unknown): string {
  if (!(error instanceof MediaToolError)) return causeText(error);
  const said = `ffprobe: ${error.stderrTail || `exit code ${error.exitCode ?? "none"}`}`;
  if (/moov atom not found/i.test(error.stderrTail)) {
    return `the MP4 index (moov atom) is missing, so the file is truncated or not an MP4 (${said})`;
  }
  if (/Invalid data found when processing input/i.test(error.stderrTail)) {
    return `it is not in an audio or video format ffprobe recognises (${said})`;
  }
  return said;
}

