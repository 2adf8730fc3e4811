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
 * On a terminal, one live line per game (clips done / total, failures),
 * redrawn at most every 100 ms; elsewhere (CI, logs), plain lines per event.
 */
export function createProgressReporter(stream: NodeJS.WriteStream, gameIds: readonly string[]): ProgressReporter {
  const lines = new Map<string, GameLine>(gameIds.map((id) => [id, { done: 0, total: null, failed: 0, state: "waiting" }]));
  const tty = stream.isTTY === true;
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
    if (tty && !timer) timer = setTimeout(render, 100);
  };
  const log = (message: string): void => {
    if (!tty) stream.write(`${new Date().toISOString()} ${message}\n`);
  };

  return {
    onEvent(event) {
      const line = lines.get(event.gameId) ?? { done: 0, total: null, failed: 0, state: "waiting" };
      lines.set(event.gameId, line);
      switch (event.type) {
        case "game-start":
          line.state = "running";
          log(`game ${event.gameId}: started`);
          break;
        case "game-planned":
          line.total = event.clips;
          log(`game ${event.gameId}: ${event.clips} clips to cut, ${event.rejectedPlays} plays rejected`);
          break;
        case "camera-failed":
          log(`game ${event.gameId}: camera ${event.camera} failed: ${event.reason}`);
          break;
        case "clip-done":
          line.done += 1;
          if (event.clip.status === "failed") {
            line.failed += 1;
            log(`game ${event.gameId}: clip ${event.clip.key} failed: ${event.clip.reason}`);
          }
          break;
        case "game-done":
          line.state = event.result.status;
          log(`game ${event.gameId}: ${event.result.status}, ${event.result.successful_clips} clips ok, ${event.result.failed_clips} failed`);
          break;
        case "game-error":
          line.state = "error";
          log(`game ${event.gameId}: error: ${event.error}`);
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
