import { describe, expect, it } from "vitest";
import type { ClipRecord, GameManifest } from "../src/domain/types.js";
import { bytes, clock, elapsed } from "../src/report/format.js";
import { planFrames } from "../src/report/frames.js";
import { gameView } from "../src/report/game-model.js";
import { escapeHtml, html } from "../src/report/html.js";
import { renderGamePage } from "../src/report/render-game.js";

export const EVIL = "<img src=x onerror=alert(1)>";

function clip(playId: string, camera: ClipRecord["camera"], fields: Partial<ClipRecord> = {}): ClipRecord {
  return {
    playId,
    camera,
    key: `games/g1/clips/${playId}_${camera}.mp4`,
    source: `Games/g1/${camera}.mp4`,
    requestedStart: 1,
    requestedDuration: 2,
    actualStart: 1,
    actualDuration: 2,
    bytes: 1000,
    cutMode: "exact",
    offset: 0,
    fallbackReason: null,
    status: "ok",
    reason: null,
    reused: false,
    elapsedMs: 10,
    ...fields,
  };
}

/** A manifest whose every free-text field carries markup, as a hostile plays table could. */
export function hostileManifest(): GameManifest {
  return {
    version: 1,
    gameId: "g1",
    status: "partial",
    reason: null,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    timings: { fetchPlaysMs: 5, clipsMs: 50_000, totalMs: 60_000 },
    counts: { rows: 3, validPlays: 2, rejectedPlays: 1, clipsPlanned: 4, clipsOk: 3, clipsFailed: 1, clipsReused: 0, uploadRetries: 0, trainingLines: 2, validationLines: 1 },
    split: { ratio: 0.8, seed: EVIL, format: "gemini" },
    cameras: [],
    rejectedPlays: [{ row: 3, playId: "bad", reason: `play_type ${EVIL} is fine but end_timestamp is not` }],
    plays: [
      { id: "p1", angle: "LEFT", start: 1, end: 3, playType: EVIL, label: `{"play_type":"${EVIL}"}</script><script>alert(2)</script>` },
      { id: "p2", angle: "RIGHT", start: 0.5, end: 2, playType: "iso", label: "iso" },
    ],
    clips: [
      clip("p1", "FAR_LEFT"),
      clip("p1", "NEAR_RIGHT", { status: "failed", reason: `ffmpeg said ${EVIL}`, actualDuration: null, bytes: null }),
      clip("p2", "FAR_RIGHT", { requestedStart: 0.5 }),
      clip("p2", "NEAR_LEFT", { requestedStart: 0.5 }),
    ],
    assignments: { p1: "training", p2: "validation" },
    outputs: null,
  };
}

describe("report rendering", () => {
  it("escapes every interpolated value and keeps Html as is", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
    const inner = html`<b>${EVIL}</b>`;
    expect(html`<p>${inner}${[EVIL, inner]}${null}${false}</p>`.text).toBe(
      "<p><b>&lt;img src=x onerror=alert(1)&gt;</b>&lt;img src=x onerror=alert(1)&gt;<b>&lt;img src=x onerror=alert(1)&gt;</b></p>",
    );
  });

  it("renders hostile plays-table values as text, never as markup", () => {
    const page = renderGamePage(gameView(hostileManifest(), new Map()));
    expect(page).not.toContain("<img src=x");
    expect(page).not.toContain("<script>alert");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // Only the page's own script element, and a policy that runs nothing else.
    expect(page.match(/<script/g)).toHaveLength(1);
    expect(page).toMatch(/script-src &#39;sha256-[A-Za-z0-9+/]+=*&#39;;/);
  });

  it("lists plays by start time with their side, and a failed clip with its reason", () => {
    const view = gameView(hostileManifest(), new Map());
    expect(view.plays.map((p) => [p.id, p.side])).toEqual([["p2", "validation"], ["p1", "training"]]);
    expect(view.plays[1]?.clips.map((c) => c.record.camera)).toEqual(["FAR_LEFT", "NEAR_RIGHT"]);
    expect(view.plays[1]?.clips[0]?.href).toBe("../clips/p1_FAR_LEFT.mp4");
    const page = renderGamePage(view);
    expect(page).toContain("ffmpeg said &lt;img");
    expect(page.match(/class="clip /g)).toHaveLength(4);
  });

  it("still shows a row per play from a manifest without a play list", () => {
    const { plays: _dropped, ...old } = hostileManifest();
    const view = gameView(old, new Map());
    expect(view.plays.map((p) => [p.id, p.start, p.playType])).toEqual([["p2", 0.5, null], ["p1", 1, null]]);
  });

  it("plans first, middle and last frames, plus the start when a clip begins before its play", () => {
    expect(planFrames({ actualDuration: 4, requestedDuration: 4, offset: 0 })).toEqual([
      { kind: "first", time: 0 },
      { kind: "middle", time: 2 },
      { kind: "last", time: 4 },
    ]);
    expect(planFrames({ actualDuration: 5, requestedDuration: 4, offset: 1 })).toEqual([
      { kind: "first", time: 0 },
      { kind: "start", time: 1 },
      { kind: "middle", time: 3 },
      { kind: "last", time: 5 },
    ]);
  });

  it("formats times, durations and sizes for reading", () => {
    expect(clock(62.46)).toBe("1:02.5");
    expect(clock(3725)).toBe("1:02:05.0");
    expect(elapsed(850)).toBe("850 ms");
    expect(elapsed(125_000)).toBe("2 min 05 s");
    expect(bytes(1536)).toBe("1.50 KB");
    expect(bytes(3 * 1024 ** 3)).toBe("3.00 GB");
  });
});
