import type { PipelineEvent } from "../pipeline/parts.js";

interface GameLine {
  done: number;
  total: number | null;
  failed: number;
  state: string;
}

export interface ProgressReporter {
  onEvent(event: PipelineEvent): void;
  /** Leaves the terminal clean before the summary is printed. */
  stop(): void;
}

/**
 * The human display on a terminal: one live line per game (clips done /
 * total, failures), redrawn at most every 100 ms. Off a terminal, log lines
 * (interfaces/logging/event-log.ts) say the same.
 */
export function createProgressReporter(stream: NodeJS.WriteStream, gameIds: readonly string[]): ProgressReporter {
  const lines = new Map<string, GameLine>(gameIds.map((id) => [id, { done: 0, total: null, failed: 0, state: "waiting" }]));
  let drawn = 0;
  let timer: NodeJS.Timeout | null = null;

  const render = (): void => {
    timer = null;
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const [id, line] of lines) {
      const total = line.total === null ? "?" : String(line.total);
      const failed = line.failed > 0 ? `, ${line.failed} failed` : "";
      out += `\x1b[2K${id}  ${line.state.padEnd(9)} ${line.done}/${total} clips${failed}\n`;
    }
    drawn = lines.size;
    stream.write(out);
  };
  const schedule = (): void => {
    if (!timer) timer = setTimeout(render, 100);
  };

  return {
    onEvent(event) {
      const line = lines.get(event.gameId) ?? { done: 0, total: null, failed: 0, state: "waiting" };
      lines.set(event.gameId, line);
      switch (event.type) {
        case "game-start":
          line.state = "running";
          break;
        case "game-planned":
          line.total = event.clips;
          break;
        case "clip-done":
          line.done += 1;
          if (event.clip.status === "failed") line.failed += 1;
          break;
        case "game-done":
          line.state = event.result.status;
          break;
        case "game-error":
          line.state = "error";
          break;
      }
      schedule();
    },
    stop() {
      if (timer) {
        clearTimeout(timer);
        render();
      }
    },
  };
}
