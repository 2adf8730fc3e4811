import type { ThumbnailProgress } from "../report/thumbnails.js";

export interface ReportProgress {
  update(gameId: string, progress: ThumbnailProgress): void;
  stop(): void;
}

const BAR_WIDTH = 28;

/**
 * On a terminal, one bar over every game's thumbnails, redrawn at most every
 * 100 ms; elsewhere one plain line per game when its thumbnails are done.
 */
export function createReportProgress(stream: NodeJS.WriteStream): ReportProgress {
  const games = new Map<string, ThumbnailProgress>();
  const tty = stream.isTTY === true;
  let timer: NodeJS.Timeout | null = null;
  let drawn = false;

  const render = (): void => {
    timer = null;
    let done = 0, total = 0, made = 0, cached = 0, failed = 0;
    for (const p of games.values()) {
      done += p.done;
      total += p.total;
      made += p.made;
      cached += p.cached;
      failed += p.failed;
    }
    const filled = total === 0 ? BAR_WIDTH : Math.round((done / total) * BAR_WIDTH);
    const bar = "█".repeat(filled) + "░".repeat(BAR_WIDTH - filled);
    const extra = failed > 0 ? `, ${failed} failed` : "";
    stream.write(`\r\x1b[2Kthumbnails ${bar} ${done}/${total} clips (${made} made, ${cached} cached${extra}) · ${games.size} games`);
    drawn = true;
  };

  return {
    update(gameId, progress) {
      games.set(gameId, progress);
      if (tty) {
        timer ??= setTimeout(render, 100);
      } else if (progress.done === progress.total) {
        const extra = progress.failed > 0 ? `, ${progress.failed} failed` : "";
        stream.write(`${new Date().toISOString()} game ${gameId}: thumbnails for ${progress.total} clips (${progress.made} made, ${progress.cached} cached${extra})\n`);
      }
    },
    stop() {
      if (timer) {
        clearTimeout(timer);
        render();
      }
      if (drawn) stream.write("\n");
    },
  };
}
