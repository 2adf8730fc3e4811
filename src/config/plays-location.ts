import { resolve } from "node:path";
import { ValidationError } from "../domain/errors.js";
import { DEFAULT_LOCK_WAIT_MS, type LockOwner } from "../sources/folder-lock.js";
import type { PlaySource } from "../sources/play-source.js";
import type { RawConfig } from "./resolve.js";

const POSTGRES_URL = /^postgres(ql)?:\/\//;

/** Which plays source a configuration names; resolved once, described without secrets. */
export type PlaysLocation =
  | { kind: "file"; path: string }
  | { kind: "postgres"; connectionString: string }
  | { kind: "supabase"; url: string; serviceKey: string }
  | { kind: "embedded"; dataDir: string };

/**
 * --plays wins when given; otherwise the original's Supabase variables, then
 * DATABASE_URL, then the embedded database, so a laptop needs no server.
 */
export function playsLocation(values: RawConfig, cwd: string): PlaysLocation {
  const plays = typeof values.plays === "string" ? values.plays : "";
  const supabase = (): PlaysLocation => {
    if (typeof values.supabaseUrl !== "string" || typeof values.supabaseServiceKey !== "string") {
      throw new ValidationError("Supabase needs both SUPABASE_URL and SUPABASE_SERVICE_KEY");
    }
    return { kind: "supabase", url: values.supabaseUrl, serviceKey: values.supabaseServiceKey };
  };
  const embedded = (): PlaysLocation => ({ kind: "embedded", dataDir: resolve(cwd, String(values.db ?? ".playclips/db")) });
  if (plays === "supabase") return supabase();
  if (plays === "embedded") return embedded();
  if (plays === "postgres" || POSTGRES_URL.test(plays)) {
    const connectionString = plays === "postgres" ? values.databaseUrl : plays;
    if (typeof connectionString !== "string") throw new ValidationError("--plays postgres needs DATABASE_URL or --database-url");
    return { kind: "postgres", connectionString };
  }
  if (plays !== "") return { kind: "file", path: resolve(cwd, plays) };
  if (typeof values.supabaseUrl === "string" || typeof values.supabaseServiceKey === "string") return supabase();
  if (typeof values.databaseUrl === "string") return { kind: "postgres", connectionString: values.databaseUrl };
  return embedded();
}

/** Opens the plays source; backend modules load only when used, so a file user never loads pg or PGlite. */
export async function openPlaySource(location: PlaysLocation, notices?: Notices): Promise<PlaySource> {
  switch (location.kind) {
    case "file":
      return (await import("../sources/file.js")).createFilePlaySource({ path: location.path });
    case "postgres":
      return (await import("../sources/postgres.js")).createPostgresPlaySource({ connectionString: location.connectionString });
    case "supabase":
      return (await import("../sources/supabase.js")).createSupabasePlaySource({ url: location.url, serviceKey: location.serviceKey });
    case "embedded":
      return (await import("../sources/embedded.js")).createEmbeddedPlaySource({
        dataDir: location.dataDir,
        onLockWait: notices ? lockWaitNotice(location.dataDir, notices) : undefined,
      });
  }
}

/** Where a command says it is waiting: its stderr. */
export interface Notices {
  write(text: string): unknown;
}

/** Says once that the embedded database is busy and this command waits for it. */
export function lockWaitNotice(dataDir: string, notices: Notices): (owner: LockOwner | null) => void {
  return (owner) => {
    const who = owner === null ? "another process" : `process ${owner.pid} on ${owner.host}`;
    notices.write(`playclips: ${dataDir} is in use by ${who}: waiting up to ${DEFAULT_LOCK_WAIT_MS / 1000} s for it\n`);
  };
}
