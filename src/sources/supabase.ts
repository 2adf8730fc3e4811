import { PostgrestClient } from "@supabase/postgrest-js";
import { PlaySourceError } from "../domain/errors.js";
import type { RawPlayRow } from "../domain/types.js";
import type { PlaySource } from "./play-source.js";
import { normalizeGameId } from "../domain/ids.js";

export interface SupabasePlaySourceOptions {
  /** Project URL, e.g. https://abc.supabase.co, or a plain PostgREST server. */
  url: string;
  /** Service role key (or any JWT PostgREST accepts); never shown in messages. */
  serviceKey: string;
  table?: string;
  /** Rows asked for per request; Supabase's default max-rows is 1000. */
  pageSize?: number;
  /** Where PostgREST is mounted: "/rest/v1" on Supabase, "/" for plain PostgREST. */
  restPath?: string;
  fetch?: typeof fetch;
}

/** The parts of a postgrest-js response this source reads. */
interface Response {
  data: unknown;
  error: { message?: string; code?: string; details?: string | null; hint?: string | null } | null;
  count: number | null;
  status: number;
}

type PageQuery = (from: number, to: number, withCount: boolean) => PromiseLike<Response>;

function joinUrl(url: string, restPath: string): string {
  const path = restPath.replace(/^\/+|\/+$/g, "");
  return path === "" ? url.replace(/\/+$/, "") : `${url.replace(/\/+$/, "")}/${path}`;
}

/**
 * Plays from a Supabase table (or any PostgREST server), read page by page so
 * a game larger than the server's max-rows still arrives whole.
 */
export function createSupabasePlaySource(options: SupabasePlaySourceOptions): PlaySource {
  const { serviceKey, table = "plays", pageSize = 1000, restPath = "/rest/v1" } = options;
  // Anything echoed back (a URL, a server message) could hold the key if it was pasted in the wrong place.
  const scrub = (text: string): string => (serviceKey === "" ? text : text.split(serviceKey).join("[service key]"));
  let host: string;
  try {
    host = new URL(options.url).host;
  } catch {
    throw new PlaySourceError("supabase", scrub(`url "${options.url}" is not a valid URL: give e.g. https://<project>.supabase.co`));
  }
  const name = `supabase:${host}`;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new PlaySourceError(name, `pageSize ${pageSize} is not a positive whole number`);
  }

  // supabase-js sends the key both ways: the gateway checks apikey, PostgREST the bearer token.
  const client = new PostgrestClient(joinUrl(options.url, restPath), {
    headers: { apikey: serviceKey, Authorization: `Bearer ${serviceKey}` },
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });

  function cause(response: Response): string {
    const error = response.error ?? {};
    const code = error.code ?? "";
    const said = scrub([error.message, error.details, error.hint].filter((part) => part).join("; "));
    if (response.status === 0) {
      // postgrest-js turns a failed fetch into status 0; the useful line is the
      // "Caused by" one (e.g. ECONNREFUSED), not the stack that follows it.
      let reason = /Caused by: (?:\w*Error: )?([^\n]*)/.exec(error.details ?? "")?.[1] ?? error.message ?? "network error";
      // Node appends the code the message already holds: "connect ECONNREFUSED 1.2.3.4:80 (ECONNREFUSED)".
      reason = reason.replace(/ \((\w+)\)$/, (all, code: string) => (reason.slice(0, -all.length).includes(code) ? "" : all));
      return `cannot reach ${host} (${scrub(reason)}): check the URL and that the server is running`;
    }
    const answer = `HTTP ${response.status}${code ? ` ${code}` : ""}: ${said || "no details"}`;
    if (response.status === 401 || code === "PGRST301" || code === "PGRST302") {
      return `the server refused the service key (${answer}): check the key`;
    }
    if (response.status === 403 || code === "42501") {
      return `the key's role may not read table "${table}" (${answer}): use the service role key or grant SELECT`;
    }
    if (code === "PGRST205" || code === "42P01") {
      return `table "${table}" was not found (${answer}): check the table name and that its schema is exposed`;
    }
    if (response.status === 404) {
      // No Postgres code means PostgREST never saw the request: the path is wrong, not the table.
      return `nothing answered at ${restPath} (${answer}): check the URL and restPath ("/rest/v1" on Supabase, "/" for plain PostgREST)`;
    }
    return `the server answered ${answer}`;
  }

  // A server whose max-rows is below pageSize returns short pages that are not
  // the end, so the end is the exact count from the first page (or, if a proxy
  // drops it, the first empty page), never merely a short page.
  async function readAll(what: string, query: PageQuery): Promise<RawPlayRow[]> {
    const rows: RawPlayRow[] = [];
    let total: number | null = null;
    for (;;) {
      const first = rows.length === 0;
      let response: Response;
      try {
        response = await query(rows.length, rows.length + pageSize - 1, first);
      } catch (error) {
        throw new PlaySourceError(name, scrub(`cannot ${what}: ${error instanceof Error ? error.message : String(error)}`));
      }
      if (response.error !== null || !Array.isArray(response.data)) {
        const detail = response.error === null ? `the server answered HTTP ${response.status} without a list of rows` : cause(response);
        throw new PlaySourceError(name, `cannot ${what}: ${detail}`, {
          cause: new Error(scrub(JSON.stringify(response.error))),
        });
      }
      if (first) total = response.count;
      for (const row of response.data as RawPlayRow[]) rows.push(row);
      if (response.data.length === 0 || (total !== null && rows.length >= total)) return rows;
    }
  }

  return {
    name,
    async fetchPlays(gameId) {
      return readAll(`read plays for game "${gameId}" from table "${table}"`, (from, to, withCount) =>
        client
          .from(table)
          .select("*", withCount ? { count: "exact" } : {})
          .eq("game_id", gameId)
          .order("start_timestamp")
          .order("id")
          .range(from, to),
      );
    },
    async listGames() {
      const rows = await readAll(`list games in table "${table}"`, (from, to, withCount) =>
        client
          .from(table)
          .select("game_id", withCount ? { count: "exact" } : {})
          .order("game_id")
          .range(from, to),
      );
      const games = new Set<string>();
      for (const row of rows) {
        const key = row.game_id === null || row.game_id === undefined ? "" : normalizeGameId(String(row.game_id).trim());
        if (key !== "") games.add(key);
      }
      return [...games].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    },
  };
}
