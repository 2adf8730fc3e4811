/**
 * The workflow's re-trigger of a game whose run died, exercised on status
 * objects the pipeline really writes. Cloud Workflows cannot run here, so the
 * per-game steps that judge a run (read_status_fields, check_game_status,
 * judge_run, handle_dead_run) are interpreted from the YAML itself: their
 * assignments and switch conditions are evaluated as written, with the few
 * functions they use (sys.now, time.parse, map.get, default, string), and
 * the test follows their `next` jumps to where the game ends this poll.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { statusKey } from "../src/domain/layout.js";
import { acquireLease } from "../src/pipeline/lease.js";
import { createLocalStore } from "../src/stores/local.js";

type Obj = Record<string, unknown>;
const WORKFLOW = join(import.meta.dirname, "..", "deploy", "workflows", "basketball-training-pipeline.yaml");
const GAME = "0b6a2a4e-5a43-4c55-9f0e-3f1f1c1b2a11";
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Every named step of the poller, nested ones included. */
function stepsByName(): Map<string, Obj> {
  const found = new Map<string, Obj>();
  const visit = (steps: unknown): void => {
    for (const step of Array.isArray(steps) ? steps : []) {
      if (!isObj(step)) continue;
      const [name, body] = Object.entries(step)[0] as [string, Obj];
      found.set(name, body);
      for (const inner of [body.steps, (body.for as Obj | undefined)?.steps, (body.try as Obj | undefined)?.steps]) visit(inner);
    }
  };
  visit(((parse(readFileSync(WORKFLOW, "utf8")) as Obj).poll_games_completion as Obj).steps);
  return found;
}

/** A Workflows expression as JavaScript: the operators and functions these steps use. */
function evaluate(value: unknown, vars: Obj, nowSeconds: number): unknown {
  if (typeof value !== "string" || !value.startsWith("${")) return value;
  const js = value.slice(2, -1)
    .replace(/\band\b/g, "&&").replace(/\bor\b/g, "||")
    .replace(/sys\.now\(\)/g, "__now").replace(/time\.parse\(/g, "__parse(").replace(/map\.get\(/g, "__get(")
    .replace(/\bdefault\(/g, "__default(").replace(/\bstring\(/g, "String(");
  const helpers = {
    __now: nowSeconds,
    __parse: (text: string): number => Date.parse(text) / 1000,
    __get: (map: unknown, keys: string | string[]): unknown =>
      ([] as string[]).concat(keys).reduce<unknown>((at, key) => (isObj(at) ? at[key] ?? null : null), map),
    __default: (v: unknown, fallback: unknown): unknown => v ?? fallback,
  };
  const scope = { ...vars, ...helpers };
  return new Function(...Object.keys(scope), `return (${js});`)(...Object.values(scope)) as unknown;
}

function assign(list: unknown, vars: Obj, now: number): void {
  for (const item of Array.isArray(list) ? list : []) {
    const [target, expr] = Object.entries(item as Obj)[0] as [string, unknown];
    const value = evaluate(expr, vars, now);
    const indexed = /^(\w+)\[(\w+)\]$/.exec(target);
    if (indexed) (vars[indexed[1] ?? ""] as Obj)[String(vars[indexed[2] ?? ""])] = value;
    else vars[target] = value;
  }
}

/** Runs one game's judgement from the status object read to where it ends this poll. */
function judge(status: Obj | null, state: { since: number; now: number; retriggers?: Obj; retryLimit?: number }) {
  const steps = stepsByName();
  const vars: Obj = {
    game_id: GAME, start_time: state.since, stale_after_seconds: 120, retry_limit: state.retryLimit ?? 3, function_url: "https://svc.run.app",
    retriggers: { ...state.retriggers }, last_trigger: { [GAME]: state.since }, dead_runs: {}, status_object: status,
  };
  assign(steps.get("init_game_check")?.assign, vars, state.now);
  let next = "judge_run";
  if (status) {
    assign(steps.get("read_status_fields")?.assign, vars, state.now);
    next = "check_game_status";
  }
  for (let hops = 0; hops < 10 && !next.startsWith("mark_"); hops++) {
    const body = steps.get(next) as Obj;
    const taken = (body.switch as Obj[]).find((c) => evaluate(c.condition, vars, state.now) === true);
    if (taken) assign(taken.assign, vars, state.now);
    next = String(taken?.next ?? body.next);
  }
  return { ends: next, reason: next === "mark_failed" ? vars.game_reason : (vars.dead_runs as Obj)[GAME] ?? null, retriggers: (vars.retriggers as Obj)[GAME] ?? 0 };
}

let root: string;
/** status.json as the pipeline writes it when a run takes the game `ageSeconds` ago (and beat last then). */
async function writtenStatus(ageSeconds: number, change: (s: Obj) => void = () => {}): Promise<Obj> {
  const store = createLocalStore({ root: await mkdtemp(join(root, "s-")) });
  const lease = await acquireLease(store, GAME, "20261129T200000Z-abc123", { staleAfterMs: 120_000, now: () => Date.now() - ageSeconds * 1000 });
  await lease.end();
  const status = JSON.parse(await readFile(store.localPath(statusKey(GAME)), "utf8")) as Obj;
  change(status);
  return status;
}
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "playclips-wf-stale-"));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("the workflow re-triggers a game whose run died", () => {
  const now = Date.now() / 1000;

  it("leaves a run that beats alone", async () => {
    expect(judge(await writtenStatus(5), { since: now - 30, now })).toEqual({ ends: "mark_pending", reason: null, retriggers: 0 });
  });

  it("triggers again a run whose heartbeat is older than stale_after_seconds, naming the run and its last beat", async () => {
    const result = judge(await writtenStatus(200), { since: now - 300, now });
    expect(result).toMatchObject({ ends: "mark_pending", retriggers: 1 });
    expect(result.reason).toMatch(/^run 20261129T200000Z-abc123 stopped beating \(last heartbeat \d{4}-.*Z\) - its instance died$/);
  });

  it("fails the game with the reason once the retry limit is used", async () => {
    const result = judge(await writtenStatus(200), { since: now - 300, now, retriggers: { [GAME]: 3 } });
    expect(result.ends).toBe("mark_failed");
    expect(result.reason).toMatch(/^gave up after 4 trigger\(s\) - run \S+ stopped beating/);
  });

  it("triggers again a cancelled or errored run at once", async () => {
    const cancelled = await writtenStatus(5, (s) => Object.assign(s.attempt as Obj, { state: "cancelled", reason: "server shut down" }));
    expect(judge(cancelled, { since: now - 30, now })).toMatchObject({ ends: "mark_pending", retriggers: 1, reason: "run 20261129T200000Z-abc123 cancelled - server shut down" });
  });

  it("waits stale_after_seconds for a run to start after a trigger, then triggers again", async () => {
    expect(judge(null, { since: now - 60, now })).toMatchObject({ ends: "mark_pending", retriggers: 0 });
    expect(judge(null, { since: now - 130, now })).toMatchObject({ ends: "mark_pending", retriggers: 1, reason: "no run started after the trigger" });
    // An attempt from before the trigger is an earlier run's: it does not count as this one.
    const earlier = await writtenStatus(1000, (s) => Object.assign(s.attempt as Obj, { state: "done" }));
    expect(judge(earlier, { since: now - 60, now })).toMatchObject({ ends: "mark_pending", retriggers: 0 });
    expect(judge(earlier, { since: now - 130, now })).toMatchObject({ retriggers: 1, reason: "no run started after the trigger" });
  });

  it("never re-triggers a game whose status says failed", async () => {
    const failed = await writtenStatus(200, (s) => Object.assign(s, { state: "failed", reason: "no plays found" }));
    expect(judge(failed, { since: now - 300, now })).toMatchObject({ ends: "mark_failed", retriggers: 0, reason: "no plays found" });
  });
});
