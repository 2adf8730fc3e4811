/** Paths of the ffmpeg binaries, resolved once by an entry point. */
export interface MediaTools {
  ffmpeg: string;
  ffprobe: string;
}
