import type { PipelineEvent } from "../../pipeline/parts.js";
import type { LogFields, LogSink } from "./log-sink.js";

/**
 * Turns the pipeline's events into log lines: the one adapter serve, worker,
 * run, batch and the Function share, so a line means the same wherever it was
 * written. Every line names its game and run; clip lines their camera, play
 * and clip, and how far the game is (clips_done of clips_planned). A failed
 * clip, camera or game is an ERROR, a partial game a WARNING.
 */
export function pipelineEventLogger(log: LogSink, options: { skip?: ReadonlyArray<PipelineEvent["type"]> } = {}): (event: PipelineEvent) => void {
  const progress = new Map<string, { done: number; planned: number }>();
  const counts = (gameId: string): { done: number; planned: number } => {
    let found = progress.get(gameId);
    if (!found) progress.set(gameId, (found = { done: 0, planned: 0 }));
    return found;
  };

  return (event) => {
    const ids: LogFields = { event: event.type, game_id: event.gameId, ...(event.runId ? { run_id: event.runId } : {}) };
    const game = `game ${event.gameId}`;
    const skipped = options.skip?.includes(event.type) === true;
    switch (event.type) {
      case "game-start":
        progress.set(event.gameId, { done: 0, planned: 0 });
        if (!skipped) log.info(`${game}: started`, ids);
        return;
      case "game-planned":
        counts(event.gameId).planned = event.clips;
        if (!skipped) log.info(`${game}: ${event.clips} clips to cut, ${event.rejectedPlays} plays rejected`, { ...ids, clips_planned: event.clips, rejected_plays: event.rejectedPlays });
        return;
      case "camera-failed":
        if (!skipped) log.error(`${game}: camera ${event.camera} failed: ${event.reason}`, { ...ids, camera: event.camera, reason: event.reason });
        return;
      case "clip-done": {
        const count = counts(event.gameId);
        count.done += 1;
        if (skipped) return;
        const { clip } = event;
        const fields: LogFields = {
          ...ids, camera: clip.camera, play_id: clip.playId, clip: clip.key, status: clip.status,
          clips_done: count.done, clips_planned: count.planned, reused: clip.reused, elapsed_ms: clip.elapsedMs,
        };
        if (clip.status === "ok") log.info(`${game}: clip ${clip.key} ${clip.reused ? "kept" : "cut"} (${count.done}/${count.planned})`, fields);
        else log.error(`${game}: clip ${clip.key} failed: ${clip.reason}`, { ...fields, reason: clip.reason });
        return;
      }
      case "game-done": {
        progress.delete(event.gameId);
        if (skipped) return;
        const r = event.result;
        const message = `${game}: ${r.status}, ${r.successful_clips} clips ok, ${r.failed_clips} failed, in ${(r.elapsed_ms / 1000).toFixed(1)}s${r.reason ? `: ${r.reason}` : ""}`;
        const fields: LogFields = {
          ...ids, status: r.status, reason: r.reason, elapsed_ms: r.elapsed_ms, total_plays: r.total_plays, rejected_plays: r.rejected_plays,
          successful_clips: r.successful_clips, failed_clips: r.failed_clips, reused_clips: r.reused_clips,
        };
        if (r.status === "failed") log.error(message, fields);
        else if (r.status === "partial") log.warn(message, fields);
        else log.info(message, fields);
        return;
      }
      case "game-error":
        progress.delete(event.gameId);
        if (!skipped) log.error(`${game}: error: ${event.error}`, { ...ids, reason: event.error });
        return;
    }
  };
}
