import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, open, readdir, rename, stat, unlink, writeFile, type FileHandle } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { StoreError, ValidationError, errorMessage } from "../domain/errors.js";
import { assertValidKey, assertValidPrefix, isReservedSegment, isValidKey, resolveRange } from "./keys.js";
import { contentVersion, readVersionedFile, withFileLock } from "./local-versioned.js";
import type { ByteRange, ListingStore, ObjectInfo, ObjectStore, VersionedObject, WriteBody } from "./object-store.js";
import type { StoreScheme } from "./store-scheme.js";

export interface LocalStoreOptions {
  /** The folder that plays the bucket; created on the first write. */
  root: string;
}

/**
 * A folder mirroring a bucket's layout: key a/b/c.mp4 is <root>/a/b/c.mp4.
 * Unlike a bucket, a folder cannot hold both an object "a" and an object
 * "a/b"; writing the second fails with StoreError "io".
 */
export function createLocalStore(options: LocalStoreOptions): ListingStore & { localPath(key: string): string } {
  if (typeof options.root !== "string" || options.root === "") {
    throw new ValidationError("the local store needs a root folder");
  }
  return new LocalStore(path.resolve(options.root));
}

/** A folder, relative to the working directory; any other URL-like location is not one. */
export const localScheme: StoreScheme = {
  example: "a local folder",
  matches: (location) => location !== "" && !/^[a-z][a-z0-9+.-]*:\/\//i.test(location),
  open: async (location, context) => createLocalStore({ root: path.resolve(context.cwd, location) }),
};

const errnoCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;
// ENOTDIR: a parent "folder" is really a file, so nothing can exist below it.
const isAbsent = (error: unknown): boolean => ["ENOENT", "ENOTDIR"].includes(errnoCode(error) ?? "");
const ignore = (): void => undefined;

// The temp name must stay well under NAME_MAX (255 bytes) even for long names.
function tempName(basename: string): string {
  let kept = "";
  for (const char of basename) {
    if (Buffer.byteLength(kept + char, "utf8") > 160) break;
    kept += char;
  }
  return `.${kept}.${randomBytes(8).toString("hex")}.partial`;
}

// UTF-8 byte order is how GCS sorts, so both stores list in the same order.
function byKeyBytes(a: ObjectInfo, b: ObjectInfo): number {
  return Buffer.compare(Buffer.from(a.key, "utf8"), Buffer.from(b.key, "utf8"));
}

class LocalStore implements ObjectStore {
  readonly name: string;

  constructor(private readonly root: string) {
    this.name = `local:${root}`;
  }

  localPath(key: string): string {
    return path.join(this.root, ...assertValidKey(this.name, key).split("/"));
  }

  uri(key: string): string {
    return pathToFileURL(this.localPath(key)).href;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const file = this.localPath(key);
    try {
      const info = await stat(file);
      return info.isFile() ? { key, size: info.size } : null;
    } catch (error) {
      if (isAbsent(error)) return null;
      throw this.ioError(`cannot stat ${JSON.stringify(key)} at ${file}`, error);
    }
  }

  async identify(key: string): Promise<string | null> {
    const info = await stat(this.localPath(key)).catch((error: unknown) => {
      if (isAbsent(error)) return null;
      throw this.ioError(`cannot stat ${JSON.stringify(key)}`, error);
    });
    return info?.isFile() ? `size:${info.size},mtime:${info.mtime.toISOString()}` : null;
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const file = this.localPath(key);
    let handle: FileHandle;
    try {
      handle = await open(file, "r");
    } catch (error) {
      // EISDIR: Windows refuses to open folders, which are not objects either.
      if (isAbsent(error) || errnoCode(error) === "EISDIR") throw this.notFound(key, error);
      throw this.ioError(`cannot open ${JSON.stringify(key)} at ${file}`, error);
    }
    try {
      // Size and bytes come from the same open file, so a concurrent overwrite
      // (a rename) cannot mix the old object's size with the new one's bytes.
      const info = await handle.stat();
      if (!info.isFile()) throw this.notFound(key);
      const bounds = range ? resolveRange(this.name, key, range, info.size) : {};
      return handle.createReadStream(bounds);
    } catch (error) {
      await handle.close().catch(ignore);
      throw error instanceof StoreError ? error : this.ioError(`cannot read ${JSON.stringify(key)}`, error);
    }
  }

  // contentType is ignored: a file's extension is all a folder can record.
  async write(key: string, body: WriteBody, _options?: { contentType?: string }): Promise<ObjectInfo> {
    const target = this.localPath(key);
    const dir = path.dirname(target);
    const source = typeof body === "object" && !Buffer.isBuffer(body) ? await this.openSource(key, body.file) : null;
    const temp = path.join(dir, tempName(path.basename(target)));
    let handle: FileHandle | undefined;
    try {
      await mkdir(dir, { recursive: true });
      handle = await open(temp, "wx");
      // Streams a file's chunks (never loading it whole), retrying short writes; a
      // write stream via pipeline would close the handle before the fsync below.
      await writeFile(handle, source ? source.createReadStream() : (body as Buffer | string));
      // Without the fsync a crash soon after the rename can publish an empty file.
      await handle.sync();
      const { size } = await handle.stat();
      await handle.close();
      handle = undefined;
      await rename(temp, target);
      await this.syncDir(dir);
      return { key, size };
    } catch (error) {
      await source?.close().catch(ignore);
      await handle?.close().catch(ignore);
      await unlink(temp).catch(ignore);
      const hint = ["ENOTDIR", "EEXIST", "EISDIR", "ENOTEMPTY"].includes(errnoCode(error) ?? "")
        ? " (a folder here cannot hold both an object and other objects below its key)"
        : "";
      throw this.ioError(`cannot write ${JSON.stringify(key)} at ${target}${hint}`, error);
    }
  }

  async readVersioned(key: string): Promise<VersionedObject | null> {
    const file = this.localPath(key);
    return readVersionedFile(file).catch((error: unknown) => {
      throw this.ioError(`cannot read ${JSON.stringify(key)} at ${file}`, error);
    });
  }

  async writeIfVersion(key: string, body: string, expected: string | null): Promise<string | null> {
    const file = this.localPath(key);
    await mkdir(path.dirname(file), { recursive: true }).catch(ignore);
    const swap = async (): Promise<string | null> => {
      const current = await readVersionedFile(file);
      if ((current?.version ?? null) !== expected) return null;
      await this.write(key, body);
      return contentVersion(Buffer.from(body, "utf8"));
    };
    return withFileLock(file, swap).catch((error: unknown) => {
      throw this.ioError(`cannot write ${JSON.stringify(key)} at ${file}`, error);
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    assertValidPrefix(this.name, prefix);
    // Only the folder the prefix's complete segments name can hold matches.
    const pending = [prefix.slice(0, prefix.lastIndexOf("/") + 1)];
    const found: ObjectInfo[] = [];
    for (let dirKey = pending.pop(); dirKey !== undefined; dirKey = pending.pop()) {
      const folder = path.join(this.root, ...dirKey.split("/"));
      let entries: Dirent[];
      try {
        entries = await readdir(folder, { withFileTypes: true });
      } catch (error) {
        if (isAbsent(error)) continue;
        throw this.ioError(`cannot list ${JSON.stringify(prefix)} in ${folder}`, error);
      }
      const infos = await Promise.all(
        entries.map(async (entry): Promise<ObjectInfo | null> => {
          if (isReservedSegment(entry.name)) return null;
          const key = dirKey + entry.name;
          if (entry.isDirectory()) {
            if (`${key}/`.startsWith(prefix)) pending.push(`${key}/`);
            return null;
          }
          // Names no key could have (e.g. with '\\') were put there by other tools.
          if (!key.startsWith(prefix) || !isValidKey(key)) return null;
          // stat follows symlinks to files; a linked folder is not descended.
          const info = await stat(path.join(folder, entry.name)).catch(() => null);
          return info?.isFile() ? { key, size: info.size } : null;
        }),
      );
      for (const info of infos) if (info) found.push(info);
    }
    return found.sort(byKeyBytes);
  }

  async delete(key: string): Promise<void> {
    const file = this.localPath(key);
    try {
      await unlink(file);
    } catch (error) {
      if (isAbsent(error)) return;
      // A folder is not an object, so there was nothing to delete.
      if ((await stat(file).catch(() => null))?.isDirectory()) return;
      throw this.ioError(`cannot delete ${JSON.stringify(key)} at ${file}`, error);
    }
  }

  private async openSource(key: string, file: string): Promise<FileHandle> {
    try {
      return await open(file, "r");
    } catch (error) {
      throw this.ioError(`cannot read ${file} to write it as ${JSON.stringify(key)}`, error);
    }
  }

  // Makes the rename itself durable; some platforms cannot fsync a folder.
  private async syncDir(dir: string): Promise<void> {
    const handle = await open(dir, "r").catch(() => null);
    await handle?.sync().catch(ignore);
    await handle?.close().catch(ignore);
  }

  private notFound(key: string, cause?: unknown): StoreError {
    return new StoreError(this.name, "not_found", `no object ${JSON.stringify(key)} (looked at ${this.localPath(key)})`, {
      cause,
    });
  }

  private ioError(message: string, cause: unknown): StoreError {
    if (cause instanceof StoreError) return cause;
    return new StoreError(this.name, "io", `${message}: ${errorMessage(cause)}`, { cause });
  }
}
