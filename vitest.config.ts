import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The emulator and PostgREST live in their own package (see test/tools/install.ts).
    globalSetup: ["test/tools/install.ts"],
    // Every test by name, so a test skipped for want of credentials is named in CI's log.
    reporters: ["verbose"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // ffmpeg saturates both cores; more parallel files only add contention.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
