import { html, type Html } from "./html.js";

// Charts are SVG drawn here, at build time: no charting library, no script.

const SIDE_COLORS = { training: "#1d5fd6", validation: "#7e3bd0" } as const;

export interface TypeSplitCount {
  playType: string;
  training: number;
  validation: number;
}

// About what fits left of the bars at 11 px; a longer play_type is cut, whole in its tooltip.
const MAX_LABEL_CHARS = 22;
const shortLabel = (label: string): string => ([...label].length > MAX_LABEL_CHARS ? `${[...label].slice(0, MAX_LABEL_CHARS - 1).join("")}…` : label);

/** Horizontal stacked bars: one per play_type, training and validation side by side in one bar. */
export function typeSplitChart(rows: readonly TypeSplitCount[]): Html {
  const width = 560;
  const labelWidth = 150;
  const barHeight = 18;
  const max = Math.max(1, ...rows.map((r) => r.training + r.validation));
  const scale = (width - labelWidth - 50) / max;
  const height = rows.length * (barHeight + 6) + 24;
  const bars = rows.map((r, i) => {
    const y = i * (barHeight + 6);
    const t = r.training * scale;
    const v = r.validation * scale;
    return html`<g transform="translate(0,${y})"><text x="${labelWidth - 6}" y="13" text-anchor="end">${shortLabel(r.playType)}<title>${r.playType}</title></text>
<rect x="${labelWidth}" width="${t.toFixed(1)}" height="${barHeight}" fill="${SIDE_COLORS.training}"><title>${r.playType}: ${r.training} training</title></rect>
<rect x="${(labelWidth + t).toFixed(1)}" width="${v.toFixed(1)}" height="${barHeight}" fill="${SIDE_COLORS.validation}"><title>${r.playType}: ${r.validation} validation</title></rect>
<text x="${(labelWidth + t + v + 4).toFixed(1)}" y="13">${r.training} / ${r.validation}</text></g>`;
  });
  const legendY = rows.length * (barHeight + 6) + 14;
  return html`<svg class="chart" role="img" aria-label="examples per play_type and split" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
${bars}<g transform="translate(${labelWidth},${legendY})"><rect width="10" height="10" y="-9" fill="${SIDE_COLORS.training}"/><text x="14">training</text>
<rect x="90" width="10" height="10" y="-9" fill="${SIDE_COLORS.validation}"/><text x="104">validation</text></g></svg>`;
}

/** A histogram of durations in seconds, in whole-second bins (wider bins past 30 bins). */
export function durationHistogram(durations: readonly number[]): Html {
  const width = 560;
  const height = 170;
  if (durations.length === 0) return html`<p class="note">No clips.</p>`;
  const top = Math.ceil(Math.max(...durations));
  const binSize = Math.max(1, Math.ceil(top / 30));
  const bins = new Array<number>(Math.max(1, Math.ceil((top + 1e-9) / binSize))).fill(0);
  for (const d of durations) bins[Math.min(bins.length - 1, Math.floor(d / binSize))] = (bins[Math.min(bins.length - 1, Math.floor(d / binSize))] ?? 0) + 1;
  const most = Math.max(1, ...bins);
  const plot = { left: 34, bottom: 24, top: 8 };
  const barWidth = (width - plot.left - 8) / bins.length;
  const scale = (height - plot.bottom - plot.top) / most;
  const bars = bins.map((n, i) => {
    const h = n * scale;
    const x = plot.left + i * barWidth;
    return html`<rect x="${x.toFixed(1)}" y="${(height - plot.bottom - h).toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#3b82f6"><title>${i * binSize}–${(i + 1) * binSize} s: ${n} clips</title></rect>
${i % Math.ceil(bins.length / 10) === 0 ? html`<text x="${x.toFixed(1)}" y="${height - 8}">${i * binSize}s</text>` : ""}`;
  });
  return html`<svg class="chart" role="img" aria-label="clip durations" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<text x="0" y="${plot.top + 8}">${most}</text><line x1="${plot.left}" x2="${width - 8}" y1="${height - plot.bottom}" y2="${height - plot.bottom}" stroke="#9aa4b8"/>
${bars}</svg>`;
}
