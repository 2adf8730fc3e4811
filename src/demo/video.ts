import { randomUUID } from "node:crypto";
import { rename, rm } from "node:fs/promises";
import { MediaError, ValidationError } from "../domain/errors.js";
import type { Camera } from "../domain/types.js";
import { FFMPEG_QUIET, runMediaTool } from "../extraction/run.js";
import type { MediaTools } from "../extraction/tools.js";

export interface CameraVideoOptions {
  camera: Camera;
  durationSec: number;
  width: number;
  height: number;
  fps: number;
  keyframeIntervalSec: number;
  /** Burned in under the camera name, e.g. "game 1 1b4e28ba". */
  label: string;
  signal?: AbortSignal;
}

/**
 * Changes whenever the look or encoding below changes, so callers that cache
 * generated videos know an old file no longer matches what would be made now.
 */
export const CAMERA_VIDEO_RECIPE = 1;

interface CameraLook {
  /** A lavfi source (without size/rate) that is cheap to render. */
  source: string;
  /** Extra filters that make the picture unmistakably this camera's. */
  tint: string;
  ball: string;
  /** Each camera hums its own note, so a clip's audio also tells which camera it came from. */
  toneHz: number;
}

// x264 at ultrafast dominates the cost (about 0.3 ms a frame at 640x360), so
// the sources are ones that need no colour conversion and little entropy;
// testsrc2 is the richest of those and is kept for the two far cameras.
const LOOKS: Record<Camera, CameraLook> = {
  FAR_LEFT: { source: "testsrc2", tint: "", ball: "orange", toneHz: 440 },
  NEAR_LEFT: { source: "smptehdbars", tint: "", ball: "white", toneHz: 554.37 },
  FAR_RIGHT: { source: "testsrc2", tint: "hue=h=150:s=0.7,negate", ball: "yellow", toneHz: 659.25 },
  // A plain court from thin filled boxes: drawbox visits every pixel inside
  // its box, so a hollow full-court outline would cost as much as encoding.
  NEAR_RIGHT: {
    source: "color=c=0x1d5c8c",
    tint: [
      "iw*0.04:ih*0.08:iw*0.92:3:white",
      "iw*0.04:ih*0.92-3:iw*0.92:3:white",
      "iw*0.04:ih*0.08:3:ih*0.84:white",
      "iw*0.96-3:ih*0.08:3:ih*0.84:white",
      "iw/2-1:ih*0.08:3:ih*0.84:white",
      "iw*0.04+3:ih*0.36:iw*0.14:ih*0.28:0xb5542e",
      "iw*0.82-3:ih*0.36:iw*0.14:ih*0.28:0xb5542e",
    ]
      .map((box) => `drawbox=${box}:t=fill`)
      .join(","),
    ball: "yellow",
    toneHz: 880,
  },
};

/**
 * Renders one synthetic camera recording: H.264 + AAC with a keyframe every
 * keyframeIntervalSec (rounded to whole frames, never at scene cuts), and the
 * camera, label, timecode and frame number burned in so a person can check by
 * eye which moment a clip holds.
 * The file appears at outPath only once it is complete.
 */
export async function makeCameraVideo(tools: MediaTools, outPath: string, options: CameraVideoOptions): Promise<void> {
  const { camera, durationSec, width, height, fps, keyframeIntervalSec } = options;
  checkOptions(options);
  const gop = Math.max(1, Math.round(fps * keyframeIntervalSec));
  const look = LOOKS[camera];
  const sourceArgs = look.source.includes("=") ? `${look.source}:` : `${look.source}=`;

  // The temp name keeps the directory (so rename is atomic) and is unique per
  // call, so two generators racing on one folder never write the same file.
  const partial = `${outPath}.${randomUUID()}.partial`;
  const args: string[] = [...FFMPEG_QUIET];
  args.push("-f", "lavfi", "-i", `${sourceArgs}size=${width}x${height}:rate=${fps}`);
  args.push("-f", "lavfi", "-i", `sine=frequency=${look.toneHz}:sample_rate=48000`);
  args.push("-map", "0:v:0", "-map", "1:a:0", "-t", String(durationSec));
  args.push("-vf", videoFilter(look, options));
  args.push("-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-pix_fmt", "yuv420p");
  args.push("-g", String(gop), "-keyint_min", String(gop), "-sc_threshold", "0");
  // The "fast" AAC coder is about twice as quick as the default and a sine tone needs nothing better.
  args.push("-c:a", "aac", "-aac_coder", "fast", "-ac", "1", "-b:a", "64k");
  args.push("-movflags", "+faststart", "-f", "mp4", partial);

  // Generous: rendering runs at many times real time, so hitting this means ffmpeg is stuck.
  const timeoutMs = 60_000 + durationSec * 1000 * Math.max(1, (width * height) / (640 * 360));
  try {
    await runMediaTool(tools.ffmpeg, args, { timeoutMs, signal: options.signal });
    await rename(partial, outPath);
  } catch (error) {
    await rm(partial, { force: true });
    if (error instanceof MediaError) throw error;
    throw new MediaError(`could not write demo video ${outPath}`, { cause: error });
  }
}

function videoFilter(look: CameraLook, options: CameraVideoOptions): string {
  const { camera, height } = options;
  const size = Math.max(10, Math.round(height / 13));
  const margin = Math.round(size / 2);
  const box = `fontcolor=white:box=1:boxcolor=black@0.65:boxborderw=${Math.max(2, Math.round(size / 5))}`;
  const line = (n: number): number => margin + n * Math.round(size * 1.5);
  const ballSize = Math.round(height / 9);
  const filters = ["format=yuv420p"];
  if (look.tint) filters.push(look.tint);
  // A ball crossing the picture gives every frame motion, also on the static patterns.
  filters.push(
    `drawbox=x='mod(t*iw/6,iw-${ballSize})':y='ih*0.62+ih*0.2*sin(t*2)':w=${ballSize}:h=${ballSize}:color=${look.ball}:t=fill`,
  );
  filters.push(`drawtext=text='${camera}':fontsize=${Math.round(size * 1.3)}:x=${margin}:y=${line(0)}:${box}`);
  filters.push(`drawtext=text='${drawtextSafe(options.label)}':fontsize=${size}:x=${margin}:y=${line(1) + Math.round(size * 0.3)}:${box}`);
  filters.push(
    `drawtext=text='%{pts\\:hms}  frame %{frame_num}':fontsize=${size}:x=${margin}:y=${line(2) + Math.round(size * 0.3)}:${box}`,
  );
  return filters.join(",");
}

/**
 * drawtext has three layers of escaping (filtergraph, option, text expansion);
 * a label is only a caption, so anything outside a plain set is replaced rather
 * than escaped, and a long one is cut to stay on screen.
 */
function drawtextSafe(label: string): string {
  const plain = label.replace(/[^A-Za-z0-9 ._#-]/g, "_").trim();
  return plain.length > 32 ? `${plain.slice(0, 31)}_` : plain;
}

function checkOptions(options: CameraVideoOptions): void {
  const { durationSec, width, height, fps, keyframeIntervalSec } = options;
  const problems: string[] = [];
  if (!(durationSec > 0) || !Number.isFinite(durationSec)) problems.push(`durationSec ${durationSec} must be > 0`);
  if (!Number.isInteger(width) || width < 16 || width % 2 !== 0) problems.push(`width ${width} must be an even integer >= 16`);
  if (!Number.isInteger(height) || height < 16 || height % 2 !== 0) problems.push(`height ${height} must be an even integer >= 16`);
  if (!(fps >= 1 && fps <= 120)) problems.push(`fps ${fps} must be between 1 and 120`);
  if (!(keyframeIntervalSec > 0)) problems.push(`keyframeIntervalSec ${keyframeIntervalSec} must be > 0`);
  if (problems.length > 0) {
    throw new ValidationError(`cannot make the ${options.camera} demo video: ${problems.join("; ")}`);
  }
}
