import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import pg from "pg";

export interface TestPostgres {
  /** Points at a database of its own, empty, reachable with pg. */
  connectionString: string;
  /** "server" or "pglite", so a test can skip what PGlite's socket cannot do. */
  kind: "server" | "pglite";
  stop(): Promise<void>;
}

// Trust auth on a developer machine or CI service container; no password to leak.
const LOCAL_SERVER = "postgres://postgres@127.0.0.1:5432/postgres";

async function serverAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: LOCAL_SERVER, connectionTimeoutMillis: 2_000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function onServer(): Promise<TestPostgres> {
  // A database per call keeps parallel test files from seeing each other's tables.
  const database = `playclips_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: LOCAL_SERVER });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  return {
    kind: "server",
    connectionString: `postgres://postgres@127.0.0.1:5432/${database}`,
    async stop() {
      const client = new pg.Client({ connectionString: LOCAL_SERVER });
      await client.connect();
      try {
        // FORCE ends connections a failed test left open (Postgres 13+).
        await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

async function onPglite(): Promise<TestPostgres> {
  const db = await PGlite.create();
  // Port 0 lets the OS pick a free port; the server reports the one it got.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 16 });
  await server.start();
  return {
    kind: "pglite",
    // PGlite accepts any user and password and has the one database "postgres".
    connectionString: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}

/**
 * A Postgres for tests: the local server when one answers, otherwise PGlite
 * served over a socket, so the tests run on a laptop without Postgres.
 * PLAYCLIPS_TEST_FORCE_PGLITE=1 takes the PGlite path even when a server answers.
 */
export async function startTestPostgres(): Promise<TestPostgres> {
  const forcePglite = process.env.PLAYCLIPS_TEST_FORCE_PGLITE === "1";
  const useServer = !forcePglite && (await serverAnswers());
  const started = useServer ? await onServer() : await onPglite();
  const why = forcePglite ? " (PLAYCLIPS_TEST_FORCE_PGLITE=1)" : useServer ? "" : " (no server at 127.0.0.1:5432)";
  console.log(`test postgres: ${started.kind === "server" ? "local server" : "PGlite over a socket"}${why}: ${started.connectionString}`);
  return started;
}
