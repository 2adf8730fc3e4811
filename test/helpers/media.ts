import { execFile } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { promisify } from "node:util";

// Fixtures use plain execFile rather than the code under test, so a bug in
// runMediaTool cannot make a broken fixture look right.
const execFileAsync = promisify(execFile);
export const FFMPEG = process.env.FFMPEG_PATH || "ffmpeg";
export const FFPROBE = process.env.FFPROBE_PATH || "ffprobe";
const MAX_BUFFER = 64 * 1024 * 1024;

export interface TestVideoOptions {
  seconds: number;
  fps?: number;
  width?: number;
  height?: number;
  /** Keyframe interval in frames, fixed (no scene-cut keyframes). */
  gop?: number;
  audio?: boolean;
  /** Shifts every timestamp, so the first frame is not at 0 (like a camera offset). */
  startOffsetSec?: number;
  bframes?: boolean;
  /** Index at the front; a truncated copy then still probes as whole. */
  faststart?: boolean;
  /** HEVC (libx265) instead of H.264. */
  hevc?: boolean;
  /** Variable frame rate: every 7th frame is dropped, leaving a double-length gap. */
  vfr?: boolean;
}

/**
 * testsrc2 draws a moving pattern plus its own time and frame counter, so any
 * two neighbouring frames differ clearly and a wrong frame cannot pass.
 */
export async function makeTestVideo(path: string, options: TestVideoOptions): Promise<void> {
  const { seconds, fps = 25, width = 320, height = 180, gop = 50, audio = true } = options;
  const { startOffsetSec = 0, bframes = false, faststart = false, hevc = false, vfr = false } = options;
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-y"];
  args.push("-f", "lavfi", "-i", `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`);
  if (audio) args.push("-f", "lavfi", "-i", `sine=frequency=440:sample_rate=48000:duration=${seconds}`);
  args.push("-map", "0:v:0", ...(audio ? ["-map", "1:a:0", "-c:a", "aac"] : []));
  if (vfr) args.push("-vf", "select='not(eq(mod(n\\,7)\\,3))'", "-fps_mode", "vfr");
  args.push("-c:v", hevc ? "libx265" : "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p");
  if (hevc) args.push("-tag:v", "hvc1", "-x265-params", `keyint=${gop}:min-keyint=${gop}:scenecut=0:bframes=${bframes ? 2 : 0}:log-level=error`);
  else args.push("-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0", "-bf", bframes ? "2" : "0");
  if (startOffsetSec > 0) args.push("-output_ts_offset", String(startOffsetSec));
  if (faststart) args.push("-movflags", "+faststart");
  args.push(path);
  await execFileAsync(FFMPEG, args, { maxBuffer: MAX_BUFFER });
}

export interface ProbeJson {
  format: { start_time?: string; duration?: string };
  streams: Array<{
    codec_type?: string;
    start_time?: string;
    duration?: string;
    has_b_frames?: number;
    nb_read_frames?: string;
  }>;
}

/** Raw ffprobe output, independent of probeMedia. */
export async function ffprobeJson(path: string, extra: string[] = []): Promise<ProbeJson> {
  const args = ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", ...extra, path];
  const { stdout } = await execFileAsync(FFPROBE, args, { maxBuffer: MAX_BUFFER });
  return JSON.parse(stdout) as ProbeJson;
}

/** Frames in the first video stream, counted by decoding all of them. */
export async function countFrames(path: string): Promise<number> {
  const json = await ffprobeJson(path, ["-count_frames", "-select_streams", "v:0"]);
  return Number(json.streams[0]?.nb_read_frames);
}

/**
 * Luma of frame `n` (0-based, in presentation order), found by decoding the
 * file from its start and selecting by index. No seeking: a reference fetched
 * with `-ss` would share any seek error with the cut it is meant to check.
 */
export async function decodeFrame(path: string, n: number): Promise<Buffer> {
  const args = ["-hide_banner", "-nostdin", "-v", "error", "-i", path, "-map", "0:v:0"];
  args.push("-vf", `select=eq(n\\,${n})`, "-fps_mode", "passthrough", "-frames:v", "1");
  args.push("-f", "rawvideo", "-pix_fmt", "gray", "-");
  const { stdout } = await execFileAsync(FFMPEG, args, { encoding: "buffer", maxBuffer: MAX_BUFFER });
  if (stdout.length === 0) throw new Error(`${path} has no frame ${n}`);
  return stdout;
}

/** Peak signal-to-noise ratio of two 8-bit images in dB; Infinity when identical. */
export function psnr(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length} vs ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    sum += d * d;
  }
  const mse = sum / a.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** Writes the first `fraction` of a file elsewhere, like a cut-off download. */
export async function truncateCopy(from: string, to: string, fraction: number): Promise<void> {
  const bytes = await readFile(from);
  await writeFile(to, bytes.subarray(0, Math.floor(bytes.length * fraction)));
}
