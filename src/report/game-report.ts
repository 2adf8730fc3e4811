import { reportKey, reportThumbKey, reportThumbsPrefix } from "../domain/layout.js";
import type { MediaTools } from "../extraction/tools.js";
import { readManifest } from "../pipeline/manifest.js";
import type { Pool } from "../pipeline/pool.js";
import type { ObjectStore } from "../stores/object-store.js";
import { gameView } from "./game-model.js";
import { renderGamePage } from "./render-game.js";
import { makeThumbnails, type ThumbnailProgress } from "./thumbnails.js";

/** What writing reports needs, resolved by an entry point. */
export interface ReportContext {
  /** The output store: games/{id}/… are read from it and the reports written beside them. */
  store: ObjectStore;
  tools: MediaTools;
  /** The shared ffmpeg pool. */
  pool: Pool;
  tempDir: string;
  /** Per thumbnail run of ffmpeg. */
  timeoutMs: number;
  signal?: AbortSignal;
  onProgress?: (gameId: string, progress: ThumbnailProgress) => void;
}

export type GameReportResult =
  | { gameId: string; state: "written"; uri: string; clips: number; thumbnails: ThumbnailProgress }
  | { gameId: string; state: "no-outputs" | "unreadable"; reason: string };

/**
 * Writes games/{id}/report/index.html and its thumbnails. Thumbnails go first
 * and the page last, each published whole, so a crash leaves the previous
 * page with every image it names. Then the thumbnails that were there when
 * this run began and that its page does not name are removed: never one
 * another run made meanwhile for a page it is about to publish.
 */
export async function writeGameReport(gameId: string, ctx: ReportContext): Promise<GameReportResult> {
  const read = await readManifest(ctx.store, gameId);
  if (read.kind === "absent") return { gameId, state: "no-outputs", reason: `no manifest in ${ctx.store.name}: run the game first` };
  if (read.kind === "invalid") return { gameId, state: "unreadable", reason: read.reason };
  const manifest = read.manifest;
  const { list, delete: remove } = ctx.store;
  const before = list ? new Set((await list.call(ctx.store, reportThumbsPrefix(gameId))).map((info) => info.key)) : null;
  let last: ThumbnailProgress = { done: 0, total: 0, made: 0, cached: 0, failed: 0 };
  const thumbs = await makeThumbnails(gameId, manifest.clips, {
    store: ctx.store,
    existing: before,
    tools: ctx.tools,
    pool: ctx.pool,
    tempDir: ctx.tempDir,
    timeoutMs: ctx.timeoutMs,
    signal: ctx.signal,
    onProgress: (progress) => {
      last = progress;
      ctx.onProgress?.(gameId, progress);
    },
  });
  const page = renderGamePage(gameView(manifest, thumbs));
  const key = reportKey(gameId);
  await ctx.store.write(key, page, { contentType: "text/html; charset=utf-8" });

  const named = new Set<string>();
  for (const entry of thumbs.values()) if ("frames" in entry) for (const f of entry.frames) named.add(reportThumbKey(gameId, f.file.replace(/^thumbs\//, "")));
  if (before && remove) for (const old of before) if (!named.has(old)) await remove.call(ctx.store, old);
  return { gameId, state: "written", uri: ctx.store.uri(key), clips: manifest.clips.length, thumbnails: last };
}
