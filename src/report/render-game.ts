import type { GameManifest } from "../domain/types.js";
import { bytes, count, elapsed, seconds, utc } from "./format.js";
import type { GameView } from "./game-model.js";
import { html, type Html } from "./html.js";
import { renderPage } from "./page.js";
import { FILTER_SCRIPT } from "./page-script.js";
import { renderPlays } from "./render-plays.js";

function stat(value: string, label: string, tone: "" | "bad" | "warn" = ""): Html {
  return html`<div class="stat ${tone}"><b>${value}</b><span>${label}</span></div>`;
}

function stats(m: GameManifest): Html {
  const c = m.counts;
  return html`<div class="stats">
${stat(`${count(c.clipsOk)} / ${count(c.clipsPlanned)}`, "clips ok / planned")}
${stat(count(c.clipsFailed), "clips failed", c.clipsFailed > 0 ? "bad" : "")}
${stat(count(c.clipsReused), "clips reused")}
${stat(`${count(c.validPlays)} / ${count(c.rows)}`, "valid plays / rows")}
${stat(count(c.rejectedPlays), "rows rejected", c.rejectedPlays > 0 ? "warn" : "")}
${stat(`${count(c.trainingLines)} / ${count(c.validationLines)}`, "training / validation lines")}
${stat(elapsed(m.timings.totalMs), "total time")}
${stat(elapsed(m.timings.clipsMs), "cutting")}
${stat(elapsed(m.timings.fetchPlaysMs), "reading plays")}
</div>`;
}

function camerasTable(m: GameManifest): Html {
  if (m.cameras.length === 0) return html`<p class="note">No camera was opened.</p>`;
  return html`<div class="box"><table>
<thead><tr><th>camera</th><th>status</th><th class="num">duration</th><th class="num">size</th><th>read</th><th class="num">bytes read</th><th>source · reason</th></tr></thead>
<tbody>${m.cameras.map(
    (cam) => html`<tr><td class="mono">${cam.camera}</td><td><span class="pill ${cam.status}">${cam.status}</span></td>
<td class="num">${seconds(cam.duration)}</td><td class="num">${bytes(cam.bytes)}</td><td>${cam.fetch ?? "—"}</td>
<td class="num">${bytes(cam.bytesFetched)}</td><td><span class="mono" title="${cam.source}">${cam.source.split("/").pop()}</span>${cam.reason ? html`<div class="reason">${cam.reason}</div>` : ""}</td></tr>`,
  )}</tbody></table></div>`;
}

function runTable(m: GameManifest): Html {
  const modes = new Map<string, number>();
  for (const clip of m.clips) if (clip.status === "ok") modes.set(clip.cutMode, (modes.get(clip.cutMode) ?? 0) + 1);
  const fallbacks = m.clips.filter((clip) => clip.fallbackReason).length;
  const rows: Array<[string, Html | string]> = [
    ["started", utc(m.startedAt)],
    ["finished", utc(m.finishedAt)],
    ["split", `ratio ${m.split.ratio}, seed ${JSON.stringify(m.split.seed)}, format ${m.split.format}`],
    ["cut modes", [...modes].map(([mode, n]) => `${mode} ${n}`).join(", ") + (fallbacks > 0 ? ` (${fallbacks} fell back)` : "") || "—"],
    ["training", m.outputs ? html`<span class="mono">${m.outputs.training}</span>` : "none"],
    ["validation", m.outputs ? html`<span class="mono">${m.outputs.validation}</span>` : "none"],
  ];
  return html`<div class="box"><table><tbody>${rows.map(([k, v]) => html`<tr><th>${k}</th><td>${v}</td></tr>`)}</tbody></table></div>`;
}

function problems(m: GameManifest): Html {
  const failed = m.clips.filter((clip) => clip.status !== "ok");
  const rejected = m.rejectedPlays.length === 0
    ? ""
    : html`<details class="box" open><summary>Rejected rows (${m.rejectedPlays.length})</summary><table>
<thead><tr><th class="num">row</th><th>play id</th><th>reason</th></tr></thead>
<tbody>${m.rejectedPlays.map((r) => html`<tr><td class="num">${r.row}</td><td class="mono">${r.playId ?? "—"}</td><td class="reason">${r.reason}</td></tr>`)}</tbody></table></details>`;
  const failures = failed.length === 0
    ? ""
    : html`<details class="box" open><summary>Failed clips (${failed.length})</summary><table>
<thead><tr><th>play id</th><th>camera</th><th>reason</th></tr></thead>
<tbody>${failed.map((c) => html`<tr><td class="mono"><a href="#play-${c.playId}">${c.playId}</a></td><td class="mono">${c.camera}</td><td class="reason">${c.reason ?? "no reason recorded"}</td></tr>`)}</tbody></table></details>`;
  return html`${rejected}${failures}`;
}

/** The game's page: status and counts, cameras, problems, then every play with its clips. */
export function renderGamePage(view: GameView): string {
  const m = view.manifest;
  const header = html`<h1>Game <span class="mono">${m.gameId}</span></h1><span class="pill ${m.status}">${m.status}</span>
<span class="sub">finished ${utc(m.finishedAt)} · ${elapsed(m.timings.totalMs)}</span><span class="spacer"></span><span class="sub">playclips report</span>`;
  const body = html`${m.reason ? html`<div class="banner">${m.reason}</div>` : ""}
${stats(m)}
<div class="cols"><div><h2>Cameras</h2>${camerasTable(m)}</div><div><h2>Run</h2>${runTable(m)}</div></div>
${problems(m)}
<h2>Plays</h2>
${renderPlays(view)}`;
  return renderPage({ title: `Game ${m.gameId} · playclips report`, header, body, script: FILTER_SCRIPT });
}
