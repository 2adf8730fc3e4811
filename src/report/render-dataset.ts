import type { DatasetDocument } from "../dataset/model.js";
import { durationHistogram, typeSplitChart, type TypeSplitCount } from "./charts.js";
import { count } from "./format.js";
import { html, type Html } from "./html.js";
import { renderPage } from "./page.js";

function stat(value: string, label: string): Html {
  return html`<div class="stat"><b>${value}</b><span>${label}</span></div>`;
}

function typeSplitCounts(doc: DatasetDocument): TypeSplitCount[] {
  const rows = new Map<string, TypeSplitCount>();
  for (const ex of doc.examples) {
    const playType = ex.playType ?? "none";
    const row = rows.get(playType) ?? { playType, training: 0, validation: 0 };
    row[ex.side] += 1;
    rows.set(playType, row);
  }
  return [...rows.values()].sort((a, b) => b.training + b.validation - (a.training + a.validation) || (a.playType < b.playType ? -1 : 1));
}

/** datasets/{NAME}/report/index.html: the card's numbers, the limits checked, charts, and a link to each game's report. */
export function renderDatasetPage(doc: DatasetDocument, card: string | null): string {
  const c = doc.counts;
  const header = html`<h1>Dataset <span class="mono">${doc.name}</span></h1><span class="pill ${doc.checks.every((x) => x.ok) ? "ok" : "failed"}">${doc.checks.every((x) => x.ok) ? "limits ok" : "limits failed"}</span>
<span class="sub">playclips ${doc.playclips} · split by ${doc.settings.splitBy}, ratio ${doc.settings.splitRatio}</span><span class="spacer"></span><span class="sub">playclips report</span>`;
  const usd = `$${doc.tokens.estimatedEpochUsd.toFixed(2)}`;
  const stats = html`<div class="stats">
${stat(count(c.training), "training examples")}${stat(count(c.validation), "validation examples")}${stat(count(c.dropped), "dropped")}
${stat(count(c.games), "games")}${stat(count(c.plays), "plays")}${stat(count(doc.tokens.training), "training tokens")}
${stat(count(doc.tokens.validation), "validation tokens")}${stat(count(doc.tokens.perExampleMax), "max tokens / example")}
${stat(usd, `per epoch at $${doc.settings.price.usdPerMillionTokens}/M (${doc.settings.price.asOf})`)}
</div>`;
  const checks = html`<div class="box"><table><thead><tr><th>limit</th><th>value</th><th>ok</th><th>source</th></tr></thead><tbody>
${doc.checks.map((x) => html`<tr><td>${x.limit}</td><td class="mono">${x.value}</td><td><span class="pill ${x.ok ? "ok" : "failed"}">${x.ok ? "ok" : "over"}</span></td><td class="note">${x.source}</td></tr>`)}
</tbody></table></div>`;
  const games = html`<div class="box"><table><thead><tr><th>game</th><th>run finished</th><th class="num">examples</th></tr></thead><tbody>
${doc.games.map((g) => html`<tr><td class="mono"><a href="../../../games/${g.game}/report/index.html">${g.game}</a></td><td>${g.finishedAt}</td><td class="num">${g.examples}</td></tr>`)}
</tbody></table></div>`;
  const dropped = doc.dropped.length === 0 ? "" : html`<details class="box" open><summary>Dropped examples (${doc.dropped.length})</summary><table>
<thead><tr><th>game</th><th>play</th><th>camera</th><th>reasons</th></tr></thead><tbody>
${doc.dropped.map((d) => html`<tr><td class="mono">${d.game}</td><td class="mono">${d.play}</td><td class="mono">${d.camera}</td><td class="reason">${d.reasons.join("; ")}</td></tr>`)}
</tbody></table></details>`;
  const body = html`${stats}
<div class="cols"><div><h2>Examples per play_type and split</h2><div class="box pad">${typeSplitChart(typeSplitCounts(doc))}</div></div>
<div><h2>Clip durations</h2><div class="box pad">${durationHistogram(doc.examples.map((e) => e.duration))}</div></div></div>
<h2>Limits checked</h2>${checks}
${dropped}
<h2>Games</h2>${games}
${card === null ? "" : html`<details class="box"><summary>Dataset card (README.md)</summary><pre class="label card">${card}</pre></details>`}`;
  return renderPage({ title: `Dataset ${doc.name} · playclips report`, header, body });
}
