/** Inclusive byte span of one box, as in Content-Range. */
export interface BoxSpan {
  start: number;
  end: number;
}

/** Reads `length` bytes at `offset` (fewer only at the end of the object). */
export type ReadAt = (offset: number, length: number) => Promise<Buffer>;

// A camera mp4 has a handful of top-level boxes (ftyp, free, mdat, moov, maybe
// udta); a fragmented one has thousands of moof/mdat pairs and no whole index
// worth keeping, so the walk gives up long before that.
const MAX_BOXES = 32;

/**
 * Where an mp4's moov (the index every ffmpeg/ffprobe process parses on open)
 * lies, found by walking the top-level box headers from the start: 8 or 16
 * bytes each, one read per box (ftyp, mdat's header, then moov for a
 * non-faststart camera). Null when the object is not an mp4 starting with
 * ftyp, a header is malformed, or no moov comes within MAX_BOXES boxes.
 */
export async function findMoov(readAt: ReadAt, size: number): Promise<BoxSpan | null> {
  let offset = 0;
  for (let boxes = 0; boxes < MAX_BOXES && offset + 8 <= size; boxes++) {
    const header = await readAt(offset, 16);
    if (header.length < 8) return null;
    const type = header.toString("latin1", 4, 8);
    if (!/^[\x20-\x7e]{4}$/.test(type) || (boxes === 0 && type !== "ftyp")) return null;
    const size32 = header.readUInt32BE(0);
    let boxBytes: number;
    if (size32 === 1) {
      // 64-bit size after the type: mdat of any camera over 4 GiB.
      if (header.length < 16) return null;
      boxBytes = Number(header.readBigUInt64BE(8));
    } else {
      // 0: the box runs to the end of the object.
      boxBytes = size32 === 0 ? size - offset : size32;
    }
    if (!Number.isSafeInteger(boxBytes) || boxBytes < 8 || offset + boxBytes > size) return null;
    if (type === "moov") return { start: offset, end: offset + boxBytes - 1 };
    offset += boxBytes;
  }
  return null;
}
