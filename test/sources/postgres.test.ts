import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { inspect } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbCommand } from "../../src/cli/commands/db.js";
import { PlaySourceError } from "../../src/domain/errors.js";
import type { RawPlayRow } from "../../src/domain/types.js";
import { validatePlayRows } from "../../src/domain/validate-plays.js";
import { createEmbeddedPlaySource } from "../../src/sources/embedded.js";
import { PLAYS_SCHEMA_SQL } from "../../src/sources/plays-sql.js";
import { createPostgresPlaySource, redactSecrets } from "../../src/sources/postgres.js";
import { describePlaySourceContract } from "../contract/play-source.contract.js";
import { startTestPostgres, type TestPostgres } from "../helpers/postgres.js";

const PASSWORD = "s3cret-PASSWORD-xyz";
const G1 = "00000000-0000-4000-8000-000000000001";
const uuid = (n: number): string => `10000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

// The contract uses ids like "p1" and bad values like angle "UP", which the
// production UUID table cannot hold; TEXT ids test the reading, not the types.
const TEXT_TABLE = (table: string, extra: string[]): string =>
  `CREATE TABLE ${table} (id TEXT PRIMARY KEY, game_id TEXT NOT NULL, angle TEXT NOT NULL, ` +
  `start_timestamp FLOAT NOT NULL, end_timestamp FLOAT NOT NULL, play_type TEXT${extra.map((c) => `, ${c}`).join("")})`;
const KNOWN = ["id", "game_id", "angle", "start_timestamp", "end_timestamp", "play_type"];

let server: TestPostgres;
beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

async function sql<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.connectionString });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function insertRows(table: string, rows: RawPlayRow[]): Promise<void> {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  for (let at = 0; at < rows.length; at += 500) {
    const chunk = rows.slice(at, at + 500);
    const tuples = chunk.map((_, r) => `(${columns.map((_c, c) => `$${r * columns.length + c + 1}`).join(", ")})`);
    await sql(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, chunk.flatMap((row) => columns.map((c) => row[c] ?? null)));
  }
}

let tables = 0;
describePlaySourceContract("postgres", async (rows) => {
  const table = `plays_contract_${++tables}`;
  const extra = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter((c) => !KNOWN.includes(c));
  // Numeric extras become NUMERIC, which pg hands back as text: validation must cope.
  const typed = extra.map((c) => `${c} ${rows.every((row) => row[c] == null || typeof row[c] === "number") ? "NUMERIC" : "TEXT"}`);
  await sql(TEXT_TABLE(table, typed));
  await insertRows(table, rows);
  const source = createPostgresPlaySource({ connectionString: server.connectionString, table });
  return {
    source,
    cleanup: async () => {
      await source.close?.();
      await sql(`DROP TABLE ${table}`);
    },
  };
});

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "playclips-pg-"));
}

// The embedded source's own schema has UUID ids (tested below); for the
// contract the folder is seeded with the TEXT table, which CREATE TABLE IF
// NOT EXISTS then keeps, so the source runs unchanged.
describePlaySourceContract("embedded (PGlite)", async (rows) => {
  const dataDir = await tempDir();
  const seed = await PGlite.create(dataDir);
  await seed.exec(TEXT_TABLE("plays", []));
  await seed.close();
  const source = createEmbeddedPlaySource({ dataDir });
  const result = await source.importRows(rows);
  expect(result).toEqual({ inserted: rows.length, updated: 0, rejected: [] });
  return { source, cleanup: async () => (await source.close(), await rm(dataDir, { recursive: true, force: true })) };
});

async function failure(promise: Promise<unknown>): Promise<PlaySourceError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(PlaySourceError);
  const text = inspect(error, { depth: 5 });
  expect(text).not.toContain(PASSWORD);
  return error as PlaySourceError;
}

// Answers every connection with one ErrorResponse, as a server refusing a login does.
async function fakeServer(code: string, message: string): Promise<{ port: number; server: Server }> {
  const fields = Buffer.from(`SFATAL\0C${code}\0M${message}\0\0`);
  const reply = Buffer.concat([Buffer.from("E"), Buffer.alloc(4), fields]);
  reply.writeInt32BE(fields.length + 4, 1);
  const fake = createServer((socket) => socket.once("data", () => socket.end(reply)));
  await new Promise<void>((done) => fake.listen(0, "127.0.0.1", done));
  return { port: (fake.address() as AddressInfo).port, server: fake };
}

describe("createPostgresPlaySource", () => {
  it("names the host and database, never the user or password", () => {
    const source = createPostgresPlaySource({ connectionString: `postgres://alice:${PASSWORD}@db.example.com:6543/games` });
    expect(source.name).toBe("postgres:db.example.com:6543/games");
    for (const bad of [`alice:${PASSWORD}@host`, `${PASSWORD} host=x`, `mysql://alice:${PASSWORD}@h/db`]) {
      expect(() => createPostgresPlaySource({ connectionString: bad })).toThrow(/not a URL|does not start with postgres:\/\//);
      expect(() => createPostgresPlaySource({ connectionString: bad })).not.toThrow(PASSWORD);
    }
  });

  it("redacts the password, encoded or not, and the whole connection string", () => {
    const cs = `postgresql://alice:${encodeURIComponent(`${PASSWORD}/@`)}@h/db`;
    const text = redactSecrets(`failed ${cs} with ${PASSWORD}/@ and ${encodeURIComponent(`${PASSWORD}/@`)}; also redis://u:pw@x`, cs);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(":pw@");
    expect(text).toContain("failed ***");
  });

  it("reports a refused connection with the game, without the password", async () => {
    const closed = await fakeServer("", "");
    await new Promise((done) => closed.server.close(done));
    const source = createPostgresPlaySource({ connectionString: `postgres://alice:${PASSWORD}@127.0.0.1:${closed.port}/games` });
    const error = await failure(source.fetchPlays("g1"));
    expect(error.message).toBe(
      `[postgres:127.0.0.1:${closed.port}/games] cannot read plays for game "g1": connection to 127.0.0.1:${closed.port} ` +
        "was refused: check that Postgres is running and the host and port are right",
    );
    await failure(source.listGames());
    await source.close?.();
  });

  it("reports failed authentication, redacting a password the server echoed", async () => {
    const fake = await fakeServer("28P01", `password authentication failed (got ${PASSWORD})`);
    const source = createPostgresPlaySource({ connectionString: `postgres://alice:${PASSWORD}@127.0.0.1:${fake.port}/games` });
    const error = await failure(source.fetchPlays("g7"));
    expect(error.message).toMatch(/cannot read plays for game "g7": authentication failed: check the user and password/);
    expect(String((error.cause as Error).message)).toContain("got ***");
    await source.close?.();
    await new Promise((done) => fake.server.close(done));
  });

  it("says when the plays table does not exist", async () => {
    const source = createPostgresPlaySource({ connectionString: server.connectionString });
    const error = await failure(source.fetchPlays("g1"));
    const database = server.connectionString.split("/").pop() ?? "";
    expect(error.message).toContain(`cannot read plays for game "g1": the plays table does not exist in ${database}: create it`);
    await source.close?.();
    await expect(source.listGames()).rejects.toThrow(/the source was closed/);
  });

  it("reads the production schema: UUID ids, no plays for a non-UUID game, numeric and timestamps as text", async () => {
    await sql(PLAYS_SCHEMA_SQL.replace(/plays/g, "plays_uuid"));
    await sql("ALTER TABLE plays_uuid ADD COLUMN shot_clock NUMERIC, ADD COLUMN recorded_at TIMESTAMPTZ");
    await sql(
      "INSERT INTO plays_uuid VALUES ($1, $2, 'LEFT', 3.5, 9, 'drive', 12.50, '2024-03-01T19:30:00Z'), ($3, $2, 'RIGHT', 1, 2, NULL, NULL, NULL)",
      [uuid(1), G1, uuid(2)],
    );
    const source = createPostgresPlaySource({ connectionString: server.connectionString, table: "plays_uuid" });
    try {
      expect(await source.listGames()).toEqual([G1]);
      expect(await source.fetchPlays("not-a-uuid")).toEqual([]);
      const rows = await source.fetchPlays(G1);
      expect(rows.map((row) => row.id)).toEqual([uuid(2), uuid(1)]);
      expect(rows[1]).toMatchObject({ start_timestamp: 3.5, shot_clock: "12.50", recorded_at: "2024-03-01T19:30:00.000Z" });
      expect(validatePlayRows(G1, rows).rejected).toEqual([]);
    } finally {
      await source.close?.();
    }
  });
});

describe("createEmbeddedPlaySource", () => {
  const row = (n: number, extra: RawPlayRow = {}): RawPlayRow => ({
    id: uuid(n), game_id: G1, angle: "LEFT", start_timestamp: String(n), end_timestamp: String(n + 1), play_type: "drive", ...extra,
  });

  it("upserts by id, adds new columns as text, reports refused rows and persists", async () => {
    const dataDir = await tempDir();
    try {
      const db = createEmbeddedPlaySource({ dataDir });
      const first = await db.importRows([row(1, { quarter: "1" }), { ...row(2), id: "p2" }, row(3), { __error: "line 9 is not valid JSON" }, row(4, { start_timestamp: "soon" })]);
      expect(first.inserted).toBe(2);
      expect(first.updated).toBe(0);
      expect(first.rejected.map((r) => r.row)).toEqual([2, 4, 5]);
      expect(first.rejected[0]?.reason).toMatch(/the database refused it: invalid input syntax for type uuid: "p2"/);
      expect(first.rejected[1]?.reason).toBe("line 9 is not valid JSON");
      expect(await db.importRows([row(1, { quarter: "2", "Bad Name": 1 })]).catch((e: Error) => e.message)).toMatch(/"Bad Name" cannot become/);
      expect(await db.importRows([row(1, { quarter: "2" }), row(5)])).toEqual({ inserted: 1, updated: 1, rejected: [] });
      expect(await db.fetchPlays("nope")).toEqual([]);
      await db.close();

      const again = createEmbeddedPlaySource({ dataDir });
      const rows = await again.fetchPlays(G1);
      expect(rows.map((r) => [r.id, r.quarter])).toEqual([[uuid(1), "2"], [uuid(3), null], [uuid(5), null]]);
      expect(validatePlayRows(G1, rows).plays.map((p) => p.metadata)).toEqual([{ quarter: "2" }, { quarter: null }, { quarter: null }]);
      await again.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("playclips db import", () => {
  it("loads a CSV into the embedded database, keeping metadata and listing refused rows", async () => {
    const cwd = await tempDir();
    try {
      const header = "id,game_id,angle,start_timestamp,end_timestamp,play_type,quarter\n";
      await writeFile(join(cwd, "plays.csv"), `${header}${uuid(2)},${G1},RIGHT,20,25,,2\n${uuid(1)},${G1},left,5,9.5,drive,1\np3,${G1},LEFT,1,2,,1\n`);
      const run = async (): Promise<{ code: number; out: string; err: string }> => {
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        let out = "";
        let err = "";
        stdout.on("data", (d: Buffer) => (out += d.toString()));
        stderr.on("data", (d: Buffer) => (err += d.toString()));
        const io = { cwd, env: {}, stdout, stderr: stderr as unknown as NodeJS.WriteStream };
        return { code: await dbCommand(["import", "plays.csv", "--db", "db"], io), out, err };
      };
      const first = await run();
      expect(first.out).toContain("2 inserted, 0 updated, 1 rejected (3 rows read)");
      expect(first.err).toMatch(/rejected play "p3" of game "0{8}-0000-4000-8000-0{11}1": the database refused it: invalid input syntax for type uuid/);
      expect(first.code).toBe(1);
      expect((await run()).out).toContain("0 inserted, 2 updated, 1 rejected");

      const db = createEmbeddedPlaySource({ dataDir: join(cwd, "db") });
      const { plays, rejected } = validatePlayRows(G1, await db.fetchPlays(G1));
      await db.close();
      expect(rejected).toEqual([]);
      expect(plays.map((p) => [p.id, p.angle, p.start, p.end, p.playType, p.metadata])).toEqual([
        [uuid(1), "LEFT", 5, 9.5, "drive", { quarter: "1" }],
        [uuid(2), "RIGHT", 20, 25, null, { quarter: "2" }],
      ]);
      await expect(dbCommand(["export"], { cwd, env: {}, stdout: new PassThrough(), stderr: process.stderr })).rejects.toThrow(/unknown db subcommand/);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
