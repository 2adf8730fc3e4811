import type { Readable } from "node:stream";
import { StoreError, errorMessage } from "../../domain/errors.js";
import type { ByteRange, ObjectStore } from "../../stores/object-store.js";

export interface ReadExactlyOptions {
  /** Names the bytes in messages, e.g. `block 3 (bytes …) of "key"`. */
  what: string;
  /** The whole attempt (open + all bytes) longer than this is abandoned. */
  timeoutMs: number;
  /** Each chunk's length as it arrives, including an answer that is then thrown away. */
  onBytes(bytes: number): void;
}

/**
 * One store read of an inclusive range, whole or not at all: a short or long
 * answer, a stall past the deadline or a broken stream is a StoreError "io"
 * (which the block cache retries), never a partial buffer.
 */
export async function readExactly(store: ObjectStore, key: string, range: Required<ByteRange>, options: ReadExactlyOptions): Promise<Buffer> {
  const { what, timeoutMs } = options;
  const expected = range.end - range.start + 1;
  const timedOut = (): StoreError => new StoreError(store.name, "io", `reading ${what} took over ${timeoutMs} ms`);
  let timer: NodeJS.Timeout | undefined;
  let stream: Readable | undefined;
  let late = false;
  try {
    const opening = store.read(key, range);
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        late = true;
        stream?.destroy(timedOut());
        reject(timedOut());
      }, timeoutMs);
    });
    expired.catch(() => undefined);
    // A stream that opens after the deadline is closed, never read.
    opening.then((s) => late && s.destroy(), () => undefined);
    stream = await Promise.race([opening, expired]);
    const chunks: Buffer[] = [];
    let got = 0;
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      got += buffer.length;
      options.onBytes(buffer.length);
      if (got > expected) break;
      chunks.push(buffer);
    }
    if (late) throw timedOut();
    // A short or long answer is never cached nor served: it would shift every later byte.
    if (got !== expected) {
      throw new StoreError(store.name, "io", `reading ${what} returned ${got > expected ? "more" : got} bytes instead of ${expected}`);
    }
    return Buffer.concat(chunks, expected);
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(store.name, "io", `reading ${what} failed: ${errorMessage(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    stream?.destroy();
  }
}
