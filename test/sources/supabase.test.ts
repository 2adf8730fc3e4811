import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlaySourceError } from "../../src/domain/errors.js";
import type { RawPlayRow } from "../../src/domain/types.js";
import { createSupabasePlaySource } from "../../src/sources/supabase.js";
import { describePlaySourceContract } from "../contract/play-source.contract.js";
import { freePort, SERVICE_ROLE, startPostgrest, type RunningPostgrest } from "../helpers/postgrest.js";

// PostgREST needs a real Postgres server (it switches roles per request and
// listens for schema reloads), so this suite does not fall back to PGlite: with
// no server on 127.0.0.1:5432 it fails in beforeAll rather than passing empty.
const SERVER = "postgres://postgres@127.0.0.1:5432";
// Below the source's default page size of 1000, so every big read must page.
const MAX_ROWS = 100;
const SECRET_KEY = "test-service-key-SECRET-123";

const database = `playclips_supabase_${randomBytes(6).toString("hex")}`;
let server: RunningPostgrest;
let db: pg.Client;
let tables = 0;

function columnType(values: unknown[]): string {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length > 0 && present.every((v) => typeof v === "number")) return "numeric";
  if (present.length > 0 && present.every((v) => typeof v === "boolean")) return "boolean";
  return "text";
}

/** A table shaped by the rows; ids stay text because the contract uses ids like "p1". */
async function createTable(name: string, rows: RawPlayRow[]): Promise<void> {
  const keys = [...new Set(["id", "game_id", "angle", "start_timestamp", "end_timestamp", "play_type", ...rows.flatMap(Object.keys)])];
  const columns = keys.map((key) => {
    const type = key === "id" || key === "game_id" ? "text" : columnType(rows.map((row) => row[key]));
    return `${db.escapeIdentifier(key)} ${type}`;
  });
  await db.query(`CREATE TABLE ${db.escapeIdentifier(name)} (${columns.join(", ")})`);
  await db.query(`CREATE INDEX ON ${db.escapeIdentifier(name)} (game_id, start_timestamp)`);
  await db.query(`INSERT INTO ${db.escapeIdentifier(name)} SELECT * FROM json_populate_recordset(null::${db.escapeIdentifier(name)}, $1)`, [
    JSON.stringify(rows),
  ]);
  // Newer PostgREST versions answer 404 for tables missing from their schema cache.
  await db.query("NOTIFY pgrst, 'reload schema'");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const res = await fetch(`${server.url}/${name}?limit=0`, { headers: { Authorization: `Bearer ${server.jwt}` } });
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`PostgREST never served table ${name}: HTTP ${res.status} ${await res.text()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const sourceFor = (table: string, extra: { fetch?: typeof fetch; serviceKey?: string } = {}) =>
  createSupabasePlaySource({ url: server.url, serviceKey: extra.serviceKey ?? server.jwt, restPath: "/", table, ...extra });

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${database}`);
  } finally {
    await admin.end();
  }
  db = new pg.Client({ connectionString: `${SERVER}/${database}` });
  await db.connect();
  server = await startPostgrest({ connectionString: `${SERVER}/${database}`, maxRows: MAX_ROWS });
});

afterAll(async () => {
  await server?.stop();
  await db?.end();
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describePlaySourceContract(`supabase (PostgREST, max-rows ${MAX_ROWS})`, async (rows) => {
  const table = `plays_${++tables}`;
  await createTable(table, rows);
  return { source: sourceFor(table), cleanup: async () => void (await db.query(`DROP TABLE ${table}`)) };
});

describe("createSupabasePlaySource", () => {
  const rows = Array.from({ length: 250 }, (_, i) => ({
    id: `p${i}`,
    game_id: i < 240 ? "big" : `g${i}`,
    angle: "LEFT",
    start_timestamp: i,
    end_timestamp: i + 1,
    play_type: null,
  }));
  beforeAll(() => createTable("plays", rows));

  it("sends the key like supabase-js and pages past a server max-rows below the page size", async () => {
    const requests: { url: string; headers: Headers }[] = [];
    const spy: typeof fetch = (input, init) => {
      requests.push({ url: String(input), headers: new Headers(init?.headers) });
      return fetch(input, init);
    };
    const source = createSupabasePlaySource({ url: `${server.url}/`, serviceKey: server.jwt, restPath: "/", fetch: spy });
    expect(source.name).toBe(`supabase:${new URL(server.url).host}`);

    const fetched = await source.fetchPlays("big");
    expect(fetched.map((row) => row.id)).toEqual(Array.from({ length: 240 }, (_, i) => `p${i}`));
    expect(requests.map((r) => new URL(r.url).searchParams.get("offset") ?? "0")).toEqual(["0", "100", "200"]);
    expect(requests[0]?.url).toMatch(new RegExp(`^${server.url}/plays\\?`));
    expect(requests[0]?.headers.get("apikey")).toBe(server.jwt);
    expect(requests[0]?.headers.get("authorization")).toBe(`Bearer ${server.jwt}`);

    const games = await source.listGames();
    expect(games).toEqual(["big", ...Array.from({ length: 10 }, (_, i) => `g${240 + i}`)]);
  });

  it("pages with a page size smaller than max-rows, ending on the count rather than a short page", async () => {
    const source = createSupabasePlaySource({ url: server.url, serviceKey: server.jwt, restPath: "/", pageSize: 40 });
    expect(await source.fetchPlays("big")).toHaveLength(240);
    expect(() => createSupabasePlaySource({ url: server.url, serviceKey: "k", pageSize: 0 })).toThrow(/pageSize 0/);
  });

  it("keeps paging until an empty page when a proxy drops the count", async () => {
    let requests = 0;
    const noCount: typeof fetch = async (input, init) => {
      requests++;
      const res = await fetch(input, init);
      const headers = new Headers(res.headers);
      headers.delete("content-range");
      return new Response(await res.text(), { status: res.status, headers });
    };
    const source = createSupabasePlaySource({ url: server.url, serviceKey: server.jwt, restPath: "/", fetch: noCount });
    expect(await source.fetchPlays("big")).toHaveLength(240);
    expect(requests).toBe(4);
  });

  async function failure(run: () => Promise<unknown>): Promise<PlaySourceError> {
    const error = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlaySourceError);
    const message = (error as PlaySourceError).message;
    expect(message).not.toContain(SECRET_KEY);
    expect(JSON.stringify((error as PlaySourceError).cause ?? null)).not.toContain(SECRET_KEY);
    return error as PlaySourceError;
  }

  it("says the key was refused, naming the game, without showing the key", async () => {
    const source = sourceFor("plays", { serviceKey: SECRET_KEY });
    expect(source.name).not.toContain(SECRET_KEY);
    const error = await failure(() => source.fetchPlays("big"));
    expect(error.message).toMatch(/cannot read plays for game "big" from table "plays"/);
    expect(error.message).toMatch(/refused the service key \(HTTP 401 PGRST301: .*\): check the key$/);
    expect((await failure(() => source.listGames())).message).toMatch(/cannot list games .*HTTP 401/);
  });

  it("says the table is missing", async () => {
    const error = await failure(() => sourceFor("no_such_table").fetchPlays("g1"));
    expect(error.message).toMatch(/table "no_such_table" was not found \(HTTP 404 (42P01|PGRST205)/);
  });

  it("tells a wrong restPath and a role without SELECT apart from a missing table", async () => {
    const wrongPath = createSupabasePlaySource({ url: server.url, serviceKey: server.jwt });
    expect((await failure(() => wrongPath.listGames())).message).toMatch(/nothing answered at \/rest\/v1 \(HTTP 404/);
    await createTable("locked", rows.slice(0, 1));
    await db.query(`REVOKE SELECT ON locked FROM ${SERVICE_ROLE}`);
    const error = await failure(() => sourceFor("locked").fetchPlays("big"));
    expect(error.message).toMatch(/role may not read table "locked" \(HTTP 403 42501: permission denied/);
  });

  it("keeps a key pasted into the URL out of the message", async () => {
    const error = await failure(async () => createSupabasePlaySource({ url: SECRET_KEY, serviceKey: SECRET_KEY }));
    expect(error.message).toContain('url "[service key]" is not a valid URL');
  });

  it("says the server cannot be reached, naming the game and the host", async () => {
    // Nothing listens on a port just released; postgrest-js retries 3 times (1+2+4 s) before giving up.
    const url = `http://127.0.0.1:${await freePort()}`;
    const source = createSupabasePlaySource({ url, serviceKey: SECRET_KEY });
    const error = await failure(() => source.fetchPlays("g7"));
    expect(error.message).toContain(`[supabase:${new URL(url).host}] cannot read plays for game "g7" from table "plays": cannot reach`);
    expect(error.message).toMatch(/cannot reach [\d.:]+ \(connect ECONNREFUSED [\d.:]+\): check the URL and that the server is running/);
  }, 30_000);
});

// Against a real Supabase project: read-only, runs only when its credentials are given.
const real = {
  url: process.env.PLAYCLIPS_TEST_SUPABASE_URL,
  key: process.env.PLAYCLIPS_TEST_SUPABASE_SERVICE_KEY,
};
describe("real Supabase", () => {
  it.runIf(Boolean(real.url && real.key))(
    "real Supabase (set PLAYCLIPS_TEST_SUPABASE_URL and PLAYCLIPS_TEST_SUPABASE_SERVICE_KEY): lists games and reads one whole, in order",
    async () => {
      const source = createSupabasePlaySource({ url: real.url ?? "", serviceKey: real.key ?? "" });
      const games = await source.listGames();
      expect(games.length).toBeGreaterThan(0);
      const rows = await source.fetchPlays(games[0] ?? "");
      expect(rows.length).toBeGreaterThan(0);
      const starts = rows.map((r) => Number(r.start_timestamp));
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
      expect(rows.every((r) => r.game_id === games[0])).toBe(true);
    },
  );
});
