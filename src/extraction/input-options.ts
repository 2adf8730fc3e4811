/**
 * ffmpeg/ffprobe input options for a source `input`, to go right before its
 * `-i` (or, for ffprobe, before the input): [] for a file.
 *
 * For an http:// input (the loopback range server, docs/range-reads.md):
 * the server answers an open-ended `bytes=a-` with a bounded 206 (a block or
 * two, Content-Range saying where it stops), so the kernel's socket buffers
 * cannot take megabytes past what ffmpeg reads. ffmpeg 5.1 sees such a body
 * end before the file does ("Stream ends prematurely at X, should be SIZE")
 * and, WITHOUT `-reconnect 1`, treats it as an I/O error: the clip is cut
 * short or corrupt, sometimes with exit code 0. With `-reconnect 1` it asks
 * `bytes=X-` on a new connection at once (first retry has no delay) and reads
 * on; at the real end of the file (offset == size) it stops as usual.
 * `-reconnect_at_eof` is not used: it would reconnect at the real end too.
 * `-reconnect_delay_max 2` caps the back-off when the server really fails (a
 * store error: 502, or a cut connection): retries after 0 s and 1 s, then an
 * I/O error, instead of ffmpeg's default of retrying for up to 120 s.
 * Every ffmpeg/ffprobe run that reads a source must use this.
 */
export function mediaInputOptions(input: string): string[] {
  return /^http:\/\//i.test(input) ? ["-reconnect", "1", "-reconnect_delay_max", "2"] : [];
}
