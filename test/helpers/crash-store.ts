import type { ObjectStore } from "../../src/stores/object-store.js";

/**
 * Crash injection for the commit protocol: a store whose writer "dies" right
 * after its n-th mutating operation (write, delete, conditional write)
 * completes. Mutations run one at a time, so "after the n-th" is one exact
 * point of the sequence; once dead, every operation fails, as for a process
 * that was SIGKILLed there.
 */
export interface CrashingStore {
  store: ObjectStore;
  /** Mutating operations completed so far. */
  count(): number;
  dead(): boolean;
  /** Keys the completed mutations touched, in order. */
  log(): string[];
}

export function crashAfter(inner: ObjectStore, limit: number): CrashingStore {
  let done = 0;
  let queue: Promise<unknown> = Promise.resolve();
  const touched: string[] = [];
  const dead = (): boolean => done >= limit;
  const killed = (): Error => new Error(`writer killed after operation ${limit}`);
  const mutate = <T>(label: string, op: () => Promise<T>): Promise<T> => {
    const run = queue.then(async () => {
      if (dead()) throw killed();
      const result = await op();
      done += 1;
      touched.push(label);
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  };
  const read = <T>(op: () => Promise<T>): Promise<T> => (dead() ? Promise.reject(killed()) : op());
  const store: ObjectStore = {
    name: inner.name,
    uri: (key) => inner.uri(key),
    stat: (key) => read(() => inner.stat(key)),
    read: (key, range) => read(() => inner.read(key, range)),
    list: (prefix) => read(async () => (await inner.list?.(prefix)) ?? []),
    write: (key, body, options) => mutate(`write ${key}`, () => inner.write(key, body, options)),
    delete: (key) => mutate(`delete ${key}`, async () => inner.delete?.(key)),
    readVersioned: (key) => read(() => inner.readVersioned?.(key) ?? Promise.resolve(null)),
    writeIfVersion: (key, body, expected, options) =>
      mutate(`cas ${key}`, async () => (await inner.writeIfVersion?.(key, body, expected, options)) ?? null),
  };
  if (inner.localPath) store.localPath = (key) => inner.localPath?.(key) ?? key;
  return { store, count: () => done, dead, log: () => [...touched] };
}
