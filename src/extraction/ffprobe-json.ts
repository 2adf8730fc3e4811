/**
 * ffprobe's -print_format json output, as far as playclips reads it: one
 * shape for every probe (probe.ts, keyframes.ts, smart-check.ts).
 */
export interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  profile?: string;
  level?: number;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  color_range?: string;
  color_space?: string;
  color_primaries?: string;
  color_transfer?: string;
  has_b_frames?: number;
  start_time?: string;
  duration?: string;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
}

export interface FfprobeJson {
  streams?: FfprobeStream[];
  format?: { format_name?: string; start_time?: string; duration?: string };
}

/** "30000/1001" or "25" as frames per second; null when absent, zero or malformed. */
export function parseRate(rate: string | undefined): number | null {
  const match = /^(\d+)(?:\/(\d+))?$/.exec(rate ?? "");
  if (!match) return null;
  const value = Number(match[1]) / Number(match[2] ?? "1");
  return Number.isFinite(value) && value > 0 ? value : null;
}
