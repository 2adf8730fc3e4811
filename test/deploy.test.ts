/**
 * Structural checks of the deployment files in deploy/. Nothing here talks to
 * Google Cloud: the workflow is parsed and walked, the scripts are
 * syntax-checked with `bash -n`, the Dockerfile is read. The checker below is
 * a best-effort model of Cloud Workflows syntax, and a negative test proves
 * each of its rules can fail.
 */
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { resolveConfig } from "../src/config/resolve.js";
import { SETTINGS } from "../src/config/settings-table.js";

const run = promisify(execFile);
const root = join(import.meta.dirname, "..");
const deploy = (...parts: string[]): string => join(root, "deploy", ...parts);
const WORKFLOW_PATH = deploy("workflows", "basketball-training-pipeline.yaml");
const SCRIPTS = ["deploy.sh", "trigger-workflow.sh", "check-workflow-status.sh"];

// ---------------------------------------------------------------------------
// A small Cloud Workflows checker.
// ---------------------------------------------------------------------------

type Json = unknown;
type Obj = Record<string, Json>;
interface Param {
  name: string;
  hasDefault: boolean;
  default?: Json;
}
interface Subworkflow {
  params: Param[];
  steps: Json[];
}

/** Calls a `call:` step may make besides this file's subworkflows. */
const KNOWN_CALLS = new Set([
  "http.get",
  "http.post",
  "http.request",
  "sys.log",
  "sys.sleep",
  "googleapis.storage.v1.objects.get",
  "googleapis.storage.v1.objects.list",
]);
/** Functions an expression may use, by dotted name. */
const KNOWN_EXPR_FUNCTIONS = new Set([
  "sys.now",
  "sys.get_env",
  "http.default_retry",
  "http.default_retry_predicate",
  "json.decode",
  "json.encode_to_string",
  "text.url_encode",
  "text.match_regex",
  "text.replace_all_regex",
  "text.decode",
  "text.encode",
  "map.get",
  "map.merge",
  "list.concat",
  "time.parse",
  "time.format",
]);
const NAMESPACES = new Set(["sys", "http", "json", "text", "map", "list", "time", "math", "base64", "hash", "retry", "uuid", "events"]);
const BUILTINS = new Set(["default", "len", "get_type", "not", "string", "int", "double", "keys", "bool"]);
const KEYWORDS = new Set(["and", "or", "in", "true", "false", "null", "True", "False", "TRUE", "FALSE"]);
const STEP_KEYS = new Set(["assign", "call", "args", "result", "next", "switch", "for", "parallel", "try", "retry", "except", "raise", "return", "steps"]);
const ACTIONS = ["assign", "call", "switch", "for", "parallel", "try", "raise", "return", "steps"];
const CONDITION_KEYS = new Set(["condition", "next", "steps", "assign", "return", "raise", "call", "args", "result"]);
const JUMPS = new Set(["end"]);
const LOOP_JUMPS = new Set(["break", "continue"]);

const isObj = (v: Json): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** The single `{name: body}` of a step, or null. */
function stepEntry(step: Json): [string, Obj] | null {
  if (!isObj(step)) return null;
  const keys = Object.keys(step);
  if (keys.length !== 1) return null;
  const name = keys[0] as string;
  const body = step[name];
  return isObj(body) ? [name, body] : null;
}

function readSubworkflows(doc: Json, issues: string[]): Map<string, Subworkflow> {
  const subs = new Map<string, Subworkflow>();
  if (Array.isArray(doc)) {
    subs.set("main", { params: [], steps: doc });
    return subs;
  }
  if (!isObj(doc)) {
    issues.push("the workflow is neither a list of steps nor a map of subworkflows");
    return subs;
  }
  for (const [name, def] of Object.entries(doc)) {
    if (!isObj(def) || !Array.isArray(def.steps)) {
      issues.push(`subworkflow ${name}: has no steps list`);
      continue;
    }
    const params: Param[] = [];
    for (const p of (def.params as Json[] | undefined) ?? []) {
      if (typeof p === "string") params.push({ name: p, hasDefault: false });
      else if (isObj(p) && Object.keys(p).length === 1) {
        const [pname, value] = Object.entries(p)[0] as [string, Json];
        params.push({ name: pname, hasDefault: true, default: value });
      } else issues.push(`subworkflow ${name}: malformed param ${JSON.stringify(p)}`);
    }
    const extra = Object.keys(def).filter((k) => k !== "params" && k !== "steps");
    if (extra.length > 0) issues.push(`subworkflow ${name}: unknown keys ${extra.join(", ")}`);
    subs.set(name, { params, steps: def.steps });
  }
  return subs;
}

/** Every `${…}` expression's inside, from any string nested in `value`. */
function expressionsIn(value: Json, where: string, issues: string[]): string[] {
  if (typeof value === "string") {
    if (!value.includes("${")) return [];
    const whole = /^\$\{([\s\S]*)\}$/.exec(value.trim());
    if (!whole) {
      issues.push(`${where}: '${value}' must be one whole \${…} expression (Workflows does not interpolate inside strings)`);
      return [];
    }
    return [whole[1] as string];
  }
  if (Array.isArray(value)) return value.flatMap((v) => expressionsIn(v, where, issues));
  if (isObj(value)) return Object.values(value).flatMap((v) => expressionsIn(v, where, issues));
  return [];
}

/** Root identifiers an expression reads, after checking the functions it calls. */
function identifiersIn(expr: string, where: string, issues: string[]): string[] {
  const withoutStrings = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""');
  const names: string[] = [];
  const token = /(?<![.\w])([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*)*)\s*(\()?/g;
  for (const m of withoutStrings.matchAll(token)) {
    const [, head, rest, call] = m as unknown as [string, string, string, string | undefined];
    if (KEYWORDS.has(head)) continue;
    if (NAMESPACES.has(head)) {
      const dotted = head + rest;
      if (!KNOWN_EXPR_FUNCTIONS.has(dotted)) issues.push(`${where}: unknown function ${dotted} in \${${expr}}`);
      continue;
    }
    if (call && !rest) {
      if (!BUILTINS.has(head)) issues.push(`${where}: unknown function ${head}() in \${${expr}}`);
      continue;
    }
    names.push(head);
  }
  return names;
}

class Scope {
  private readonly levels: Set<string>[] = [new Set()];
  has(name: string): boolean {
    return this.levels.some((l) => l.has(name));
  }
  define(name: string): void {
    if (!this.has(name)) (this.levels[this.levels.length - 1] as Set<string>).add(name);
  }
  push(names: string[]): void {
    this.levels.push(new Set(names));
  }
  pop(): void {
    this.levels.pop();
  }
}

/** Checks a workflow's text; returns every problem found (empty = sound). */
function checkWorkflow(text: string): string[] {
  const issues: string[] = [];
  let doc: Json;
  try {
    doc = parse(text);
  } catch (error) {
    return [`YAML does not parse: ${(error as Error).message}`];
  }
  const subs = readSubworkflows(doc, issues);
  if (!subs.has("main")) issues.push("no main workflow");
  const main = subs.get("main");
  if (main && main.params.length > 1) issues.push("main takes at most one parameter (the runtime arguments)");

  for (const [subName, sub] of subs) {
    const scope = new Scope();
    for (const p of sub.params) scope.define(p.name);
    const stepNames = new Set<string>();

    const reads = (value: Json, where: string): void => {
      for (const expr of expressionsIn(value, where, issues)) {
        for (const name of identifiersIn(expr, where, issues)) {
          if (!scope.has(name)) issues.push(`${where}: variable ${name} is used before it is assigned`);
        }
      }
    };

    const checkCall = (body: Obj, where: string): void => {
      const target = body.call;
      if (typeof target !== "string") return void issues.push(`${where}: call must name a function`);
      const args = body.args;
      if (args !== undefined && !isObj(args)) issues.push(`${where}: args must be a map`);
      reads(args ?? {}, where);
      const callee = subs.get(target);
      if (callee) {
        const given = new Set(Object.keys(isObj(args) ? args : {}));
        for (const p of callee.params) {
          if (!p.hasDefault && !given.has(p.name)) issues.push(`${where}: call ${target} lacks required param ${p.name}`);
        }
        for (const g of given) {
          if (!callee.params.some((p) => p.name === g)) issues.push(`${where}: call ${target} passes unknown param ${g}`);
        }
      } else if (!KNOWN_CALLS.has(target)) {
        issues.push(`${where}: call ${target} is neither a subworkflow of this file nor a known function`);
      }
      if (body.result !== undefined) {
        if (typeof body.result !== "string") issues.push(`${where}: result must be a variable name`);
        else scope.define(body.result);
      }
    };

    const checkAssign = (list: Json, where: string): void => {
      if (!Array.isArray(list)) return void issues.push(`${where}: assign must be a list`);
      for (const item of list) {
        if (!isObj(item) || Object.keys(item).length !== 1) {
          issues.push(`${where}: each assignment must be a single 'name: value'`);
          continue;
        }
        const [target, value] = Object.entries(item)[0] as [string, Json];
        reads(value, where);
        const m = /^([A-Za-z_]\w*)(.*)$/.exec(target);
        if (!m) {
          issues.push(`${where}: cannot assign to '${target}'`);
          continue;
        }
        const [, rootName, path] = m as unknown as [string, string, string];
        if (path) {
          if (!scope.has(rootName)) issues.push(`${where}: ${target} modifies ${rootName} before it is assigned`);
          for (const key of path.matchAll(/\[([^\]]+)\]/g)) reads(`\${${key[1]}}`, where);
        } else scope.define(rootName);
      }
    };

    const checkNext = (target: Json, names: Set<string>, inLoop: boolean, where: string): void => {
      if (typeof target !== "string") return void issues.push(`${where}: next must name a step`);
      if (JUMPS.has(target) || names.has(target)) return;
      if (LOOP_JUMPS.has(target)) {
        if (!inLoop) issues.push(`${where}: next: ${target} outside a for loop`);
        return;
      }
      issues.push(`${where}: next: ${target} names no step of its block`);
    };

    const checkLoop = (loop: Json, where: string): void => {
      if (!isObj(loop) || typeof loop.value !== "string" || !Array.isArray(loop.steps)) {
        return void issues.push(`${where}: for needs value, in (or range) and steps`);
      }
      if (loop.in === undefined && loop.range === undefined) issues.push(`${where}: for needs in or range`);
      reads(loop.in ?? loop.range, where);
      scope.push([loop.value, ...(typeof loop.index === "string" ? [loop.index] : [])]);
      walk(loop.steps, true, `${where}/for`);
      scope.pop();
    };

    const walk = (steps: Json[], inLoop: boolean, path: string): void => {
      const names = new Set<string>();
      for (const step of steps) {
        const entry = stepEntry(step);
        if (entry) names.add(entry[0]);
      }
      for (const step of steps) {
        const entry = stepEntry(step);
        if (!entry) {
          issues.push(`${path}: a step must be a single 'name: {…}' map, got ${JSON.stringify(step).slice(0, 80)}`);
          continue;
        }
        const [name, body] = entry;
        const where = `${subName}/${name}`;
        if (stepNames.has(name)) issues.push(`${where}: step name used twice in ${subName}`);
        stepNames.add(name);
        for (const key of Object.keys(body)) if (!STEP_KEYS.has(key)) issues.push(`${where}: unknown key '${key}'`);
        const actions = ACTIONS.filter((a) => a in body);
        if (actions.length > 1) issues.push(`${where}: one step cannot both ${actions.join(" and ")}`);
        if ((body.args !== undefined || body.result !== undefined) && body.call === undefined) {
          issues.push(`${where}: args/result without call`);
        }
        if ((body.retry !== undefined || body.except !== undefined) && body.try === undefined) {
          issues.push(`${where}: retry/except without try`);
        }

        if (body.try !== undefined) {
          const t = body.try;
          if (!isObj(t)) issues.push(`${where}: try must be a map`);
          else if (Array.isArray(t.steps)) walk(t.steps, inLoop, `${where}/try`);
          else if (t.call !== undefined) checkCall(t, `${where}/try`);
          else issues.push(`${where}: try needs a call or steps`);
          if (body.retry === undefined && body.except === undefined) issues.push(`${where}: try without retry or except`);
        }
        if (body.retry !== undefined) {
          const r = body.retry;
          const predicate = isObj(r) ? r.predicate : r;
          const sub = typeof predicate === "string" ? /^\$\{\s*([A-Za-z_]\w*)\s*\}$/.exec(predicate) : null;
          if (sub) {
            const callee = subs.get(sub[1] as string);
            if (!callee) issues.push(`${where}: retry predicate ${sub[1]} is not a subworkflow of this file`);
            else if (callee.params.filter((p) => !p.hasDefault).length !== 1) issues.push(`${where}: retry predicate ${sub[1]} must take exactly one param`);
          } else reads(r, where);
        }
        if (body.except !== undefined) {
          const e = body.except;
          if (!isObj(e) || !Array.isArray(e.steps)) issues.push(`${where}: except needs steps`);
          else {
            scope.push(typeof e.as === "string" ? [e.as] : []);
            walk(e.steps, inLoop, `${where}/except`);
            scope.pop();
          }
        }
        if (body.call !== undefined) checkCall(body, where);
        if (body.assign !== undefined) checkAssign(body.assign, where);
        if (body.switch !== undefined) {
          if (!Array.isArray(body.switch) || body.switch.length === 0) issues.push(`${where}: switch must be a non-empty list`);
          else {
            for (const [i, cond] of body.switch.entries()) {
              const cw = `${where}/switch[${i}]`;
              if (!isObj(cond) || !("condition" in cond)) {
                issues.push(`${cw}: each switch entry needs a condition`);
                continue;
              }
              for (const key of Object.keys(cond)) if (!CONDITION_KEYS.has(key)) issues.push(`${cw}: unknown key '${key}'`);
              reads(cond.condition, cw);
              if (cond.call !== undefined) checkCall(cond, cw);
              if (cond.assign !== undefined) checkAssign(cond.assign, cw);
              if (Array.isArray(cond.steps)) walk(cond.steps, inLoop, cw);
              if (cond.return !== undefined) reads(cond.return, cw);
              if (cond.raise !== undefined) reads(cond.raise, cw);
              if (cond.next !== undefined) checkNext(cond.next, names, inLoop, cw);
              const does = ["next", "steps", "assign", "return", "raise", "call"].filter((k) => k in cond);
              if (does.length === 0) issues.push(`${cw}: a condition that does nothing`);
            }
          }
        }
        if (body.for !== undefined) checkLoop(body.for, where);
        if (body.parallel !== undefined) {
          const p = body.parallel;
          if (!isObj(p)) issues.push(`${where}: parallel must be a map`);
          else {
            for (const shared of (p.shared as Json[] | undefined) ?? []) {
              if (typeof shared !== "string" || !scope.has(shared)) issues.push(`${where}: shared variable ${String(shared)} must be assigned before the parallel step`);
            }
            if (p.for !== undefined) checkLoop(p.for, where);
            else if (Array.isArray(p.branches)) {
              for (const branch of p.branches) {
                const b = stepEntry(branch);
                if (!b || !Array.isArray(b[1].steps)) issues.push(`${where}: each branch needs steps`);
                else {
                  scope.push([]);
                  walk(b[1].steps, false, `${where}/${b[0]}`);
                  scope.pop();
                }
              }
            } else issues.push(`${where}: parallel needs for or branches`);
          }
        }
        if (body.steps !== undefined) {
          if (!Array.isArray(body.steps)) issues.push(`${where}: steps must be a list`);
          else walk(body.steps, inLoop, where);
        }
        if (body.return !== undefined) reads(body.return, where);
        if (body.raise !== undefined) reads(body.raise, where);
        if (body.next !== undefined) checkNext(body.next, names, inLoop, where);
      }
    };
    walk(sub.steps, false, subName);
  }
  return issues;
}

// ---------------------------------------------------------------------------
// Helpers to look inside the parsed workflow.
// ---------------------------------------------------------------------------

/** Every step, at any depth, as [name, body]. */
function allSteps(value: Json): [string, Obj][] {
  const out: [string, Obj][] = [];
  const visit = (v: Json): void => {
    if (Array.isArray(v)) {
      for (const item of v) {
        const entry = stepEntry(item);
        if (entry && Object.keys(entry[1]).some((k) => STEP_KEYS.has(k))) out.push(entry);
        visit(item);
      }
    } else if (isObj(v)) for (const child of Object.values(v)) visit(child);
  };
  visit(value);
  return out;
}

const workflowText = readFileSync(WORKFLOW_PATH, "utf8");
const workflow = parse(workflowText) as Obj;
const sub = (name: string): Obj => workflow[name] as Obj;
const stepNamed = (within: Json, name: string): Obj | undefined => allSteps(within).find(([n]) => n === name)?.[1];

// ---------------------------------------------------------------------------

describe("the workflow checker", () => {
  it("finds every kind of problem in a deliberately broken workflow", () => {
    const broken = `
main:
  params: [args]
  steps:
    - start:
        assign:
          - ids: \${args.game_ids}
        next: nowhere
    - poll:
        call: poll_gamez
        args:
          game_ids: \${ids}
    - poll_again:
        call: poll_games
        args:
          max_wait_minutes: 5
          colour: red
    - decide:
        switch:
          - condition: \${undefined_thing > 1}
            next: also_nowhere
          - condition: true
            next: break
    - fetch:
        call: http.delete_everything
        nxt: start
    - log:
        call: sys.log
        args:
          text: "game \${ids}"
    - count:
        assign:
          - n: \${lenn(ids)}
          - m: \${text.shout(n)}
poll_games:
  params: [game_ids, training_bucket, max_wait_minutes: 120]
  steps:
    - done:
        return: \${game_ids}
    - done:
        return: \${training_bucket}
`;
    const issues = checkWorkflow(broken).join("\n");
    expect(issues).toContain("next: nowhere names no step");
    expect(issues).toContain("next: also_nowhere names no step");
    expect(issues).toContain("next: break outside a for loop");
    expect(issues).toContain("call poll_gamez is neither a subworkflow");
    expect(issues).toContain("call http.delete_everything is neither a subworkflow");
    expect(issues).toContain("call poll_games lacks required param game_ids");
    expect(issues).toContain("call poll_games lacks required param training_bucket");
    expect(issues).toContain("call poll_games passes unknown param colour");
    expect(issues).toContain("variable undefined_thing is used before it is assigned");
    expect(issues).toContain("unknown key 'nxt'");
    expect(issues).toContain("must be one whole ${…} expression");
    expect(issues).toContain("unknown function lenn()");
    expect(issues).toContain("unknown function text.shout");
    expect(issues).toContain("step name used twice");
    expect(checkWorkflow("main: [unclosed")).toEqual([expect.stringContaining("YAML does not parse")]);
  });

  it("tracks loop variables, except variables and scopes", () => {
    const scoped = `
main:
  params: [args]
  steps:
    - loop:
        for:
          value: g
          in: \${args.ids}
          steps:
            - inner:
                assign:
                  - only_inside: \${g}
                next: continue
    - after:
        return: \${[g, only_inside]}
`;
    const issues = checkWorkflow(scoped).join("\n");
    expect(issues).toContain("variable g is used before it is assigned");
    expect(issues).toContain("variable only_inside is used before it is assigned");
    expect(issues).not.toContain("continue outside");
  });
});

describe("deploy/workflows/basketball-training-pipeline.yaml", () => {
  it("is structurally sound", () => {
    expect(checkWorkflow(workflowText)).toEqual([]);
  });

  it("fails once the real file is broken in any of several ways", () => {
    const mutations: [string, string, string][] = [
      ["next: mark_pending", "next: mark_pendng", "next: mark_pendng names no step"],
      ["call: poll_games_completion", "call: poll_game_completion", "call poll_game_completion is neither"],
      ["          training_bucket: ${training_bucket}\n          max_wait_minutes", "          max_wait_minutes", "lacks required param training_bucket"],
      ["          - polls: 0\n", "", "variable polls is used before it is assigned"],
      ["call: sys.sleep", "call: sys.snooze", "call sys.snooze is neither"],
      ["next: continue", "next: break_out", "next: break_out names no step"],
    ];
    for (const [from, to, expected] of mutations) {
      expect(workflowText, from).toContain(from);
      expect(checkWorkflow(workflowText.replace(from, to)).join("\n"), from).toContain(expected);
    }
  });

  it("declares main(args) and poll_games_completion with the original's params and defaults", () => {
    expect(sub("main").params).toEqual(["args"]);
    const subs = readSubworkflows(workflow, []);
    const poll = subs.get("poll_games_completion");
    expect(poll).toBeDefined();
    const params = Object.fromEntries((poll as Subworkflow).params.map((p) => [p.name, p]));
    expect(params.game_ids?.hasDefault).toBe(false);
    expect(params.training_bucket?.hasDefault).toBe(false);
    expect(params.max_wait_minutes?.default).toBe(120);
    expect(params.poll_interval_seconds?.default).toBe(30);
  });

  it("keeps the original's step names", () => {
    const mainSteps = (sub("main").steps as Json[]).map((s) => stepEntry(s)?.[0]);
    expect(mainSteps).toEqual(expect.arrayContaining(["validate_input", "init_tracking", "parallel_trigger", "wait_for_all_games", "return_results"]));
    const order = ["validate_input", "init_tracking", "parallel_trigger", "wait_for_all_games", "return_results"].map((n) => mainSteps.indexOf(n));
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    for (const name of ["trigger_function", "log_trigger"]) expect(stepNamed(sub("main"), name), name).toBeDefined();
    for (const name of ["init_polling", "polling_loop", "check_game_files", "return_status"]) {
      expect(stepNamed(sub("poll_games_completion"), name), name).toBeDefined();
    }
  });

  it("validates game_ids as a non-empty list with a clear error", () => {
    const validate = JSON.stringify(stepNamed(sub("main"), "validate_input"));
    expect(validate).toContain('get_type(game_ids) != \\"list\\"');
    expect(validate).toContain("len(game_ids) == 0");
    expect(validate).toMatch(/game_ids must be a non-empty list/);
  });

  it("triggers every game in parallel with an OIDC POST, a 10 s timeout, and exceptions caught", () => {
    const parallel = stepNamed(sub("main"), "parallel_trigger") as Obj;
    const loop = (parallel.parallel as Obj).for as Obj;
    expect(loop.in).toBe("${game_ids}");
    const trigger = stepNamed(loop.steps, "trigger_function") as Obj;
    expect(trigger.try).toBeDefined();
    expect(isObj(trigger.except) && Array.isArray(trigger.except.steps)).toBe(true);
    expect(stepNamed((trigger.except as Obj).steps, "log_trigger")).toBeDefined();
    const posts = allSteps(trigger.try).filter(([, b]) => b.call === "http.post");
    expect(posts).toHaveLength(1);
    const args = (posts[0] as [string, Obj])[1].args as Obj;
    expect(args.url).toBe("${function_url}");
    expect((args.auth as Obj).type).toBe("OIDC");
    expect(args.timeout).toBe(10);
    expect(args.body).toEqual({ game_id: "${game_id}" });
    // A timeout must never be retried: that would start the game twice.
    const predicate = sub("trigger_retry_predicate");
    expect(JSON.stringify(predicate)).not.toContain("TimeoutError");
  });

  it("waits via poll_games_completion and returns the four results", () => {
    const wait = stepNamed(sub("main"), "wait_for_all_games") as Obj;
    expect(wait.call).toBe("poll_games_completion");
    const ret = (stepNamed(sub("main"), "return_results") as Obj).return as Obj;
    expect(Object.keys(ret)).toEqual(expect.arrayContaining(["completed_games", "failed_games", "pending_games", "total_time"]));
  });

  it("polls the bucket for both JSONL files, reads status.json for failure, sleeps, and stops at the limit", () => {
    const poll = sub("poll_games_completion");
    const text = JSON.stringify(poll);
    expect(text).toContain('prefix + \\"training_data.jsonl\\"');
    expect(text).toContain('prefix + \\"validation_data.jsonl\\"');
    expect(text).toContain("has_training and has_validation");
    const get = allSteps(poll).find(([, b]) => b.call === "googleapis.storage.v1.objects.get");
    expect(get).toBeDefined();
    const getArgs = (get as [string, Obj])[1].args as Obj;
    expect(getArgs.alt).toBe("media");
    expect(getArgs.object).toContain("status.json");
    expect(getArgs.object).toContain("text.url_encode(");
    expect(text).toContain('game_status == \\"failed\\"');
    const sleep = allSteps(poll).find(([, b]) => b.call === "sys.sleep");
    expect(((sleep as [string, Obj])[1].args as Obj).seconds).toBe("${poll_interval_seconds}");
    expect(text).toContain("deadline");
    expect(text).toContain("max_wait_minutes * 60");
  });
});

describe("deploy scripts", () => {
  for (const script of SCRIPTS) {
    it(`${script} is executable, strict, and passes bash -n`, async () => {
      const path = deploy(script);
      expect(statSync(path).mode & 0o111).not.toBe(0);
      const text = readFileSync(path, "utf8");
      expect(text.startsWith("#!/usr/bin/env bash")).toBe(true);
      expect(text).toContain("set -euo pipefail");
      await expect(run("bash", ["-n", path])).resolves.toBeDefined();
    });
  }

  it("bash -n does reject a broken script (the check can fail)", async () => {
    await expect(run("bash", ["-n", "-c", "if true; then echo"])).rejects.toThrow();
  });

  it("deploy.sh deploys a private Cloud Run service with the secret from Secret Manager and the workflow", () => {
    const text = readFileSync(deploy("deploy.sh"), "utf8");
    for (const flag of [
      "--no-allow-unauthenticated",
      "--memory",
      "--timeout",
      "--concurrency",
      "--max-instances",
      "--no-cpu-throttling",
      "--service-account",
      "--env-vars-file",
      "--set-secrets",
      "roles/run.invoker",
      "builds submit",
      "run deploy",
      "workflows deploy",
      "--source deploy/workflows/basketball-training-pipeline.yaml",
    ]) {
      expect(text, flag).toContain(flag);
    }
    expect(text).toMatch(/SUPABASE_SERVICE_KEY=\$\{?[A-Z_]*\}?:latest|SUPABASE_SERVICE_KEY=supabase-service-key:latest/);
  });

  it("the env file example holds only string values and no secret", () => {
    const env = parse(readFileSync(deploy(".env.yaml.example"), "utf8")) as Obj;
    expect(isObj(env)).toBe(true);
    for (const [key, value] of Object.entries(env)) expect(typeof value, key).toBe("string");
    expect(env.GCS_VIDEO_BUCKET).toBe("uball-videos-production");
    expect(env.GCS_TRAINING_BUCKET).toBe("uball-training-data");
    expect(Object.keys(env)).not.toContain("SUPABASE_SERVICE_KEY");
  });

  it("the env file example's settings resolve, and its memory budget fits the instance deploy.sh asks for", async () => {
    const env = parse(readFileSync(deploy(".env.yaml.example"), "utf8")) as Record<string, string>;
    const known = new Set<string>(SETTINGS.flatMap((spec) => spec.env ?? []));
    for (const key of Object.keys(env)) expect(known.has(key), `${key} is a setting's variable`).toBe(true);
    const settings = await resolveConfig({}, env, { cwd: root });
    expect(settings.origins.memoryMb).toBe("env");
    expect(settings.values.memoryMb, "a laptop's 500 MiB would cut one 4 h clip at a time").toBeGreaterThan(500);
    const instanceGi = Number(/MEMORY="\$\{MEMORY:-(\d+)Gi\}"/.exec(readFileSync(deploy("deploy.sh"), "utf8"))?.[1]);
    expect(Number(settings.values.memoryMb)).toBeLessThanOrEqual(instanceGi * 1024 * 0.8);
    // /tmp is memory on Cloud Run: the memory and temp budgets together fit the instance.
    expect(settings.origins.tempMb).toBe("env");
    expect(Number(settings.values.memoryMb) + Number(settings.values.tempMb)).toBeLessThanOrEqual(instanceGi * 1024 * 0.9);
  });
});

describe("deploy/Dockerfile", () => {
  const text = readFileSync(deploy("Dockerfile"), "utf8");
  const instructions = text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const last = (keyword: string): string | undefined => instructions.filter((l) => l.toUpperCase().startsWith(`${keyword} `)).pop();

  it("builds on node:24 and ends on node:24-bookworm-slim (an LTS Cloud Run functions also offers)", () => {
    const froms = instructions.filter((l) => l.startsWith("FROM "));
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toMatch(/^FROM node:24[-\w.]*( AS \w+)?$/i);
    expect(froms.at(-1)).toMatch(/^FROM node:24-bookworm-slim/);
  });

  it("installs the locked tree with npm ci, builds, prunes dev dependencies", () => {
    const runs = instructions.filter((l) => l.startsWith("RUN ")).join("\n");
    expect(runs).toMatch(/npm ci\b/);
    expect(runs).not.toMatch(/npm install\b/);
    expect(runs).toContain("npm run build");
    expect(runs).toContain("npm prune --omit=dev");
  });

  it("installs Debian's ffmpeg in the runtime image", () => {
    const runtime = instructions.slice(instructions.findLastIndex((l) => l.startsWith("FROM "))).join("\n");
    expect(runtime).toMatch(/apt-get install -y --no-install-recommends ffmpeg/);
  });

  it("runs as a non-root user and serves", () => {
    const user = last("USER");
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(last("CMD")).toBe('CMD ["node", "bin/playclips.js", "serve"]');
  });
});
