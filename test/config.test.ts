import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { playsLocation } from "../src/config/plays-location.js";
import { resolveConfig } from "../src/config/resolve.js";
import { redactedConfig, scrubSecrets } from "../src/config/secrets.js";
import { main } from "../src/cli/main.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "playclips-config-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Collects what a stream is given, to check what a command prints. */
function sink(): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    write: (chunk: string | Uint8Array) => chunks.push(String(chunk)) > 0,
    isTTY: false,
    text: () => chunks.join(""),
  } as unknown as NodeJS.WriteStream & { text: () => string };
}

describe("resolveConfig", () => {
  it("takes the original's variable names and turns bucket names into gs:// locations", async () => {
    const config = await resolveConfig({}, { GCS_VIDEO_BUCKET: "uball-videos-production", GCS_TRAINING_BUCKET: "gs://uball-training-data" }, { cwd: dir });
    expect(config.values.videos).toBe("gs://uball-videos-production");
    expect(config.values.out).toBe("gs://uball-training-data");
    const local = await resolveConfig({}, { PLAYCLIPS_VIDEOS: "some/folder", GCS_VIDEO_BUCKET: "b" }, { cwd: dir });
    expect(local.values.videos).toBe("some/folder");
  });

  it("refuses secrets in the config file, unknown settings and bad numbers", async () => {
    await writeFile(join(dir, "secret.json"), JSON.stringify({ supabaseServiceKey: "k" }));
    await expect(resolveConfig({}, {}, { cwd: dir, configFile: "secret.json" })).rejects.toThrow(/environment instead/);
    await writeFile(join(dir, "unknown.json"), JSON.stringify({ outt: "x" }));
    await expect(resolveConfig({}, {}, { cwd: dir, configFile: "unknown.json" })).rejects.toThrow(/unknown settings: outt/);
    await expect(resolveConfig({ concurrency: "two" }, {}, { cwd: dir })).rejects.toThrow(/--concurrency: concurrency must be a number/);
    await expect(resolveConfig({}, {}, { cwd: dir, configFile: "missing.json" })).rejects.toThrow(/cannot be read/);
  });

  it("chooses the plays source: flag, then Supabase, then DATABASE_URL, then the embedded database", async () => {
    const pick = async (flags: Record<string, unknown>, env: NodeJS.ProcessEnv) =>
      playsLocation((await resolveConfig(flags, env, { cwd: dir })).values, dir).kind;
    const supabase = { SUPABASE_URL: "https://x.supabase.co", SUPABASE_SERVICE_KEY: "k" };
    expect(await pick({}, {})).toBe("embedded");
    expect(await pick({}, { DATABASE_URL: "postgres://h/db" })).toBe("postgres");
    expect(await pick({}, { ...supabase, DATABASE_URL: "postgres://h/db" })).toBe("supabase");
    expect(await pick({ plays: "plays.csv" }, supabase)).toBe("file");
    expect(await pick({ plays: "postgres://h/db" }, supabase)).toBe("postgres");
    await expect(pick({}, { SUPABASE_URL: "https://x.supabase.co" })).rejects.toThrow(/both SUPABASE_URL and SUPABASE_SERVICE_KEY/);
  });
});

describe("secrets", () => {
  const key = "sb-service-key-DO-NOT-LEAK-7f3a";
  const password = "pg-pass-DO-NOT-LEAK-91c2";
  const env = { SUPABASE_URL: "http://127.0.0.1:9", SUPABASE_SERVICE_KEY: key, DATABASE_URL: `postgres://app:${password}@127.0.0.1:9/plays` };

  it("are redacted from the printed configuration", async () => {
    const shown = JSON.stringify(redactedConfig(await resolveConfig({}, env, { cwd: dir })));
    expect(shown).not.toContain(key);
    expect(shown).not.toContain(password);
    expect(shown).toContain("127.0.0.1:9");
    const out = sink();
    expect(await main(["config"], { cwd: dir, env: { ...process.env, ...env }, stdout: out, stderr: sink() })).toBe(0);
    expect(out.text()).not.toContain(key);
    expect(out.text()).not.toContain(password);
  });

  it("are scrubbed from any message", () => {
    expect(scrubSecrets(`failed with ${key} and ${password}`, env)).toBe("failed with [redacted] and [redacted]");
  });

  it("never appear when a source fails", async () => {
    for (const plays of ["supabase", "postgres"]) {
      const out = sink();
      const err = sink();
      const code = await main(["run", "--games", "g1", "--plays", plays, "--out", join(dir, "out")], {
        cwd: dir,
        env: { ...process.env, ...env },
        stdout: out,
        stderr: err,
      });
      expect(code).toBe(1);
      const printed = out.text() + err.text();
      expect(printed).toMatch(/g1/);
      expect(printed).not.toContain(key);
      expect(printed).not.toContain(password);
    }
  });
});
