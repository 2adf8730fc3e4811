import { bytes, clock, seconds } from "./format.js";
import type { ClipView, GameView, PlayView } from "./game-model.js";
import { html, type Html } from "./html.js";

const FRAME_CAPTION = { first: "0.00", start: "start", middle: "mid", last: "end" } as const;

/** One clip: camera, mode and sizes over its strip of frames; a failed clip shows its reason instead. */
function clipCard(clip: ClipView): Html {
  const r = clip.record;
  const head = html`<h3><a href="${clip.href}" title="open the clip">${r.camera}</a>
    <span class="pill ${r.status}">${r.status}</span>${r.reused ? html`<span class="pill plain" title="kept from an earlier run">reused</span>` : ""}</h3>`;
  if (r.status !== "ok") {
    return html`<div class="clip failed" data-camera="${r.camera}" data-status="${r.status}">${head}<div class="reason">${r.reason ?? "no reason recorded"}</div></div>`;
  }
  const thumbs = clip.thumbs;
  const strip =
    thumbs && "frames" in thumbs
      ? html`<div class="strip">${thumbs.frames.map((f) => {
          const caption = f.kind === "first" ? FRAME_CAPTION.first : `${FRAME_CAPTION[f.kind]} ${f.time.toFixed(2)}`;
          return html`<figure class="${f.kind}"><img src="${f.file}" alt="${r.camera} ${f.kind} frame at ${f.time.toFixed(2)} s" loading="lazy" decoding="async"><figcaption>${caption}</figcaption></figure>`;
        })}</div>`
      : html`<div class="reason">no thumbnails: ${thumbs && "error" in thumbs ? thumbs.error : "not made"}</div>`;
  const offset = r.offset !== null && r.offset > 0 ? html` · <span class="off" title="the clip starts this long before the play">offset ${r.offset.toFixed(3)} s</span>` : "";
  const fallback = r.fallbackReason ? html` · <span class="off" title="${r.fallbackReason}">fell back</span>` : "";
  const meta = html`<div class="meta">${r.cutMode}${fallback}${offset} · ${seconds(r.actualDuration)} of ${seconds(r.requestedDuration)} · ${bytes(r.bytes)}</div>`;
  return html`<div class="clip ok" data-camera="${r.camera}" data-status="ok">${head}<a href="${clip.href}">${strip}</a>${meta}</div>`;
}

function playRow(play: PlayView): Html {
  const type = play.playType ?? "";
  const tags = html`<div class="tags"><span class="pill type">${play.playType ?? "no play_type"}</span>
    ${play.side ? html`<span class="pill ${play.side}">${play.side}</span>` : html`<span class="pill plain">no split</span>`}
    ${play.angle ? html`<span class="pill plain">${play.angle}</span>` : ""}</div>`;
  const label = play.label === null ? "" : html`<div class="label" title="the answer the dataset teaches">${play.label}</div>`;
  const clips = play.clips.length > 0 ? play.clips.map(clipCard) : html`<div class="note">no clips were cut for this play</div>`;
  return html`<section class="play" id="play-${play.id}" data-type="${type}" data-split="${play.side ?? ""}">
<div class="when"><b>${clock(play.start)}</b><span>→ ${clock(play.end)}</span><span>${seconds(play.end - play.start)}</span></div>
<div class="what">${tags}<div class="id mono">${play.id}</div>${label}</div>
<div class="clips">${clips}</div>
</section>`;
}

function chip(filter: string, value: string, text: string, n: number | null): Html {
  return html`<button type="button" class="chip" data-filter="${filter}" data-value="${value}" aria-pressed="false">${text}${n === null ? "" : html`<small>${n}</small>`}</button>`;
}

/** The sticky bar: one chip per play_type, split side, clip status and camera, each with its count. */
function filterBar(view: GameView): Html {
  const clips = view.plays.flatMap((p) => p.clips.map((c) => c.record));
  const count = <T>(items: readonly T[], test: (item: T) => boolean): number => items.filter(test).length;
  const sides = (["training", "validation"] as const).filter((s) => view.plays.some((p) => p.side === s));
  const statuses = (["ok", "failed"] as const).filter((s) => clips.some((c) => c.status === s));
  return html`<nav class="filters" aria-label="filters">
<div class="group"><span>play_type</span>${view.playTypes.map((t) => chip("type", t.value, t.value === "" ? "none" : t.value, t.plays))}</div>
<div class="group"><span>split</span>${sides.map((s) => chip("split", s, s, count(view.plays, (p) => p.side === s)))}</div>
<div class="group"><span>status</span>${statuses.map((s) => chip("status", s, s, count(clips, (c) => c.status === s)))}</div>
<div class="group"><span>camera</span>${view.cameras.map((c) => chip("camera", c, c, count(clips, (r) => r.camera === c)))}</div>
<input type="search" id="search" placeholder="play id, type or label" aria-label="search plays">
<button type="button" class="chip" id="reset">reset</button>
<span id="shown" data-clips="${clips.length}">${clips.length} clips · ${view.plays.length} plays</span>
</nav>`;
}

/** The filter bar and every play in time order, each with its cameras side by side. */
export function renderPlays(view: GameView): Html {
  return html`${filterBar(view)}
<div id="plays">${view.plays.map(playRow)}</div>
<div id="empty" class="empty hidden">No clip matches these filters.</div>`;
}
