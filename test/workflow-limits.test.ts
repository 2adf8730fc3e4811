/**
 * The workflow against Cloud Workflows' documented limits for a 100-game
 * batch (https://cloud.google.com/workflows/quotas, "Limits"): 512 KB of
 * variable memory, 100,000 steps per execution, 400-character expressions,
 * 50 assignments per assign step, 50 conditions per switch, 20 concurrent
 * branches or iterations, parallel nesting depth 2. Cloud Workflows itself
 * cannot run here; these are static checks of the YAML, and each one is
 * shown to fail on a workflow that breaks it.
 */
import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { statusKey } from "../src/domain/layout.js";
import { acquireLease } from "../src/pipeline/lease.js";
import { MAX_REASON_CHARS } from "../src/pipeline/status-object.js";
import { createLocalStore } from "../src/stores/local.js";

type Obj = Record<string, unknown>;
const WORKFLOW = join(import.meta.dirname, "..", "deploy", "workflows", "basketball-training-pipeline.yaml");
const LIMITS = { steps: 100_000, expressionChars: 400, assignments: 50, conditions: 50, memoryBytes: 512 * 1024 };
const GAMES = 100;
// The workflow's default retry_limit: each game may be triggered again this many times.
const RETRY_LIMIT = 3;
// What the workflow budgets a pending game a poll (widen_poll_interval); the test counts the real figure.
const STEPS_PER_GAME = 24;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

const workflow = (): Obj => parse(readFileSync(WORKFLOW, "utf8")) as Obj;
const bodyOf = (step: unknown): Obj => (isObj(step) ? (Object.values(step)[0] as Obj) : {});

/** Every step body below `steps`, depth first, with nested steps of for/try/parallel/switch. */
function walk(steps: unknown, visit: (name: string, body: Obj, depth: number) => void, depth = 0): void {
  if (!Array.isArray(steps)) return;
  for (const step of steps) {
    if (!isObj(step)) continue;
    const [name, body] = Object.entries(step)[0] as [string, Obj];
    visit(name, body, depth);
    const nested = [body.steps, (body.for as Obj | undefined)?.steps, (body.try as Obj | undefined)?.steps,
      ((body.except as Obj | undefined)?.steps), ((body.parallel as Obj | undefined)?.for as Obj | undefined)?.steps];
    for (const n of nested) walk(n, visit, depth + (body.for || body.parallel ? 1 : 0));
    for (const c of Array.isArray(body.switch) ? body.switch : []) if (isObj(c)) walk(c.steps, visit, depth);
  }
}

/** Steps one game costs in one poll at most: every step of the per-game loop body once, an inner loop's body once per item. */
function stepsPerGamePerPoll(wf: Obj): number {
  const poll = wf.poll_games_completion as Obj;
  const loop = (poll.steps as unknown[]).map(bodyOf).find((b) => isObj(b.for) && String((b.for as Obj).in).includes("pending_games"));
  // A game's top-level objects: 2 JSONL, manifest, status, rejections, clips/, runs/, report/.
  const itemsPerGame = 8;
  const count = (steps: unknown): number => {
    let n = 0;
    walk(steps, (_name, body, depth) => {
      n += depth > 0 ? itemsPerGame : 1;
    });
    return n;
  };
  return count((loop?.for as Obj | undefined)?.steps);
}

/** Steps one re-trigger of a dead game costs (retrigger_games' branch), counted from the YAML. */
function stepsPerRetrigger(wf: Obj): number {
  const branch = (poll: Obj): unknown => (((poll.steps as unknown[]).map(bodyOf).find((b) => isObj(b.parallel))?.parallel as Obj | undefined)?.for as Obj | undefined)?.steps;
  let n = 0;
  walk(branch(wf.poll_games_completion as Obj), () => (n += 1));
  return n;
}

function expressions(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") for (const m of value.matchAll(/\$\{(.*)\}/gs)) out.push(m[1] ?? "");
  else if (Array.isArray(value)) for (const v of value) expressions(v, out);
  else if (isObj(value))
    for (const [k, v] of Object.entries(value)) {
      expressions(k, out);
      expressions(v, out);
    }
  return out;
}

function checkLimits(wf: Obj, maxWaitMinutes = 120, pollSeconds = 30): string[] {
  const problems: string[] = [];
  const perGame = stepsPerGamePerPoll(wf);
  if (perGame > STEPS_PER_GAME) problems.push(`${perGame} steps a game a poll, more than the ${STEPS_PER_GAME} budgeted`);
  // The workflow widens its interval to this when the budget needs it (widen_poll_interval).
  const interval = Math.max(pollSeconds, Math.floor((maxWaitMinutes * 60 * (STEPS_PER_GAME * GAMES + 10)) / 90_000) + 1);
  const usesWidening = JSON.stringify(wf.poll_games_completion).includes("step_budget_interval");
  const polls = (maxWaitMinutes * 60) / (usesWidening ? interval : pollSeconds);
  const steps = polls * (perGame * GAMES + 10) + 50 * GAMES + RETRY_LIMIT * GAMES * stepsPerRetrigger(wf);
  if (steps > LIMITS.steps) problems.push(`about ${Math.round(steps)} steps for ${GAMES} games over ${maxWaitMinutes} min`);
  for (const e of expressions(wf)) if (e.length > LIMITS.expressionChars) problems.push(`expression of ${e.length} chars`);
  for (const sub of Object.values(wf)) {
    walk((sub as Obj).steps, (name, body, depth) => {
      if (Array.isArray(body.assign) && body.assign.length > LIMITS.assignments) problems.push(`${name}: ${body.assign.length} assignments`);
      if (Array.isArray(body.switch) && body.switch.length > LIMITS.conditions) problems.push(`${name}: ${body.switch.length} conditions`);
      if (body.parallel && depth >= 2) problems.push(`${name}: parallel nested too deep`);
      if (JSON.stringify(body).includes("manifest.json")) problems.push(`${name} reads manifest.json`);
    });
  }
  // Variables that grow with the batch: the id lists, the re-trigger counts and times, and per game at
  // most one failure reason and one dead-run reason (each a status reason cut at MAX_REASON_CHARS, plus
  // ~150 characters of run id, heartbeat and wording).
  const reason = 36 + (MAX_REASON_CHARS + 150) * 3;
  const memory = GAMES * (36 + 8) * 4 + GAMES * (36 + 16) * 2 + GAMES * reason * 2 + 64 * 1024;
  if (memory > LIMITS.memoryBytes) problems.push(`about ${memory} bytes of variables`);
  return problems;
}

describe("the workflow within Cloud Workflows' limits for a 100-game batch", () => {
  it("stays within steps, expression, assign, switch, nesting and memory limits, and never reads a manifest", () => {
    expect(checkLimits(workflow())).toEqual([]);
  });

  it("the checks can fail: a fixed 30 s poll, a long expression, a manifest read", () => {
    const wf = workflow();
    const poll = wf.poll_games_completion as Obj;
    poll.steps = (poll.steps as unknown[]).filter((s) => !(isObj(s) && "widen_poll_interval" in s));
    const text = JSON.stringify(wf).replace(/step_budget_interval/g, "unused");
    const broken = JSON.parse(text) as Obj;
    const first = ((broken.main as Obj).steps as unknown[])[0] as Obj;
    (first as Obj).extra = { assign: [{ x: `\${${"1 + ".repeat(120)}1}` }] };
    (broken.poll_games_completion as Obj).steps = [...((broken.poll_games_completion as Obj).steps as unknown[]), { m: { call: "x", args: { object: "manifest.json" } } }];
    const problems = checkLimits(broken).join("\n");
    expect(problems).toMatch(/steps for 100 games/);
    expect(problems).toMatch(/expression of \d+ chars/);
    expect(problems).toMatch(/reads manifest.json/);
  });

  it("reads only fields the pipeline writes into status.json, the run's attempt included", async () => {
    const text = JSON.stringify(workflow().poll_games_completion);
    const read = [...text.matchAll(/map\.get\(status_object, \\"(\w+)\\"\)/g)].map((m) => m[1]);
    expect(read.sort()).toEqual(["reason", "state"]);
    const readOfAttempt = [...text.matchAll(/map\.get\(status_object, \[\\"attempt\\", \\"(\w+)\\"\]\)/g)].map((m) => m[1]);
    expect(readOfAttempt.sort()).toEqual(["heartbeat_at", "reason", "run_id", "started_at", "state"]);
    // What a run really writes when it takes a game (src/pipeline/lease.ts).
    const dir = await mkdtemp(join(tmpdir(), "playclips-wf-status-"));
    try {
      const game = "0b6a2a4e-5a43-4c55-9f0e-3f1f1c1b2a11";
      const store = createLocalStore({ root: dir });
      await (await acquireLease(store, game, "20261129T200000Z-abc123", { staleAfterMs: 120_000 })).end();
      const written = JSON.parse(await readFile(store.localPath(statusKey(game)), "utf8")) as Obj & { attempt: Obj };
      for (const field of read) expect(Object.keys(written)).toContain(field);
      for (const field of readOfAttempt) expect(Object.keys(written.attempt)).toContain(field);
      expect(typeof written.attempt.heartbeat_at).toBe("string");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    // "failed" is a state the pipeline writes; so are the attempt states the workflow acts on.
    expect(text).toContain('game_status == \\"failed\\"');
    for (const state of ["cancelled", "error", "running", "publishing"]) expect(text).toContain(`attempt_state == \\"${state}\\"`);
  });
});
