import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { testToolDir } from "../tools/resolve.js";

export interface GcsEmulator {
  /** e.g. http://127.0.0.1:41234, for createGcsStore({ apiEndpoint }). */
  apiEndpoint: string;
  stop(): Promise<void>;
  /** Makes an (empty) bucket exist; the emulator has no bucket-create API. */
  createBucket(name: string): Promise<void>;
}

const READY = "PLAYCLIPS_GCS_EMULATOR_READY ";

// Runs in a child node so the emulator's in-memory copies of uploads do not
// count against the contract's memory checks, and a hung emulator can be killed.
// `firebase emulators:start` would first start the Java rules runtime; the
// gcloud JSON API itself uses an admin-only layer that never consults rules,
// so the express app is served directly. The registry entry is needed because
// the emulator builds bucket self-links and upload URLs from it.
const CHILD = `
const path = require("node:path");
const root = process.argv[1];
const { StorageEmulator } = require(path.join(root, "lib/emulator/storage/index.js"));
const { createApp } = require(path.join(root, "lib/emulator/storage/server.js"));
const { EmulatorRegistry } = require(path.join(root, "lib/emulator/registry.js"));
(async () => {
  const emulator = new StorageEmulator({ projectId: "demo-playclips", host: "127.0.0.1", port: 0, auto_download: false });
  const app = await createApp("demo-playclips", emulator);
  const server = app.listen(0, "127.0.0.1", () => {
    emulator.args.port = server.address().port;
    EmulatorRegistry.set("storage", emulator);
    process.stdout.write(${JSON.stringify(READY)} + JSON.stringify({ port: emulator.args.port }) + "\\n");
  });
  server.on("error", (error) => { console.error(error); process.exit(1); });
  // The parent closes stdin on stop or when it dies: never outlive it.
  process.stdin.on("end", () => process.exit(0));
  process.stdin.resume();
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** Starts Google's Cloud Storage emulator from the pinned firebase-tools, on a free port, offline. */
export async function startGcsEmulator(): Promise<GcsEmulator> {
  const root = testToolDir("firebase-tools");
  // The emulator keeps blobs under os.tmpdir()/firebase/storage: give it its own.
  const dir = await mkdtemp(path.join(tmpdir(), "playclips-gcs-emulator-"));
  const child = spawn(process.execPath, ["-e", CHILD, root], {
    env: { ...process.env, TMPDIR: dir, TMP: dir, TEMP: dir },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, "exit");

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`GCS emulator did not start in 20 s:\n${output}`)), 20_000);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split("\n").find((text) => text.startsWith(READY));
      if (!line) return;
      clearTimeout(timer);
      resolve((JSON.parse(line.slice(READY.length)) as { port: number }).port);
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`GCS emulator exited with ${String(code)}:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw error;
  });
  const apiEndpoint = `http://127.0.0.1:${port}`;

  return {
    apiEndpoint,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin.end();
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
    async createBucket(name) {
      // Any request under /b/<name>/ makes the emulator create the bucket.
      const touched = await fetch(`${apiEndpoint}/b/${encodeURIComponent(name)}/o`);
      const listed = await fetch(`${apiEndpoint}/b`);
      const { items } = (await listed.json()) as { items?: { name: string }[] };
      if (!touched.ok || !items?.some((bucket) => bucket.name === name)) {
        throw new Error(`the GCS emulator did not create bucket ${name} (HTTP ${touched.status})`);
      }
    },
  };
}
