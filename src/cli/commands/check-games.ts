import { ValidationError } from "../../domain/errors.js";
import { parseGameId } from "../../domain/ids.js";
import { gameLayout } from "../../domain/layout.js";
import { CAMERAS, type Camera } from "../../domain/types.js";
import { validatePlayRows } from "../../domain/validate-plays.js";
import { readGameStatus } from "../../pipeline/status.js";
import { gameIdsFlag, parseFlags, settingFlags } from "../args.js";
import { openSettingsStore } from "../../config/open-pipeline.js";
import { openPlaySource } from "../../config/plays-location.js";
import { loadSettings } from "../../config/settings.js";
import { settingsHelp } from "../../config/settings-table.js";
import { formatTable } from "../table.js";
import type { CommandIo } from "./io.js";

export const CHECK_GAMES_HELP = `playclips check-games [--games a,b,c | --all] [--json] [setting flags]

Before a run, per game: plays, LEFT/RIGHT counts, rows that would be
rejected, which camera videos exist and their sizes, and whether outputs
exist. Reads only; cuts nothing. (The original's check-supabase-games.)

${settingsHelp(["plays", "stores"])}`;

export interface GameCheck {
  game_id: string;
  plays: number;
  left: number;
  right: number;
  bad_rows: number;
  bad_reasons: string[];
  cameras: Record<Camera, number | null>;
  output: string;
}

export async function checkGamesCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, { ...settingFlags(), games: { type: "string" }, all: { type: "boolean" }, json: { type: "boolean" } });
  const { settings } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const source = await openPlaySource(settings.plays);
  try {
    const videos = await openSettingsStore(settings, "videos", io.cwd);
    const output = await openSettingsStore(settings, "out", io.cwd);
    const games = values.all ? (await source.listGames()).map(parseGameId) : gameIdsFlag(values.games);
    if (games.length === 0) throw new ValidationError(values.all ? `${source.name} has no games` : "no games: pass --games a,b,c or --all");
    const checks: GameCheck[] = [];
    for (const gameId of games) {
      const { plays, rejected } = validatePlayRows(gameId, await source.fetchPlays(gameId));
      const sizes = await Promise.all(CAMERAS.map(async (camera) => (await videos.stat(gameLayout(gameId).video(camera)))?.size ?? null));
      const status = await readGameStatus(output, gameId);
      checks.push({
        game_id: gameId,
        plays: plays.length + rejected.length,
        left: plays.filter((p) => p.angle === "LEFT").length,
        right: plays.filter((p) => p.angle === "RIGHT").length,
        bad_rows: rejected.length,
        bad_reasons: rejected.map((r) => `row ${r.row}${r.playId ? ` (${r.playId})` : ""}: ${r.reason}`),
        cameras: Object.fromEntries(CAMERAS.map((camera, i) => [camera, sizes[i] ?? null])) as Record<Camera, number | null>,
        output: status.state === "pending" && !status.manifest_status ? "none" : status.state,
      });
    }
    if (values.json) io.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
    else io.stdout.write(`${table(checks)}\n`);
    const problems = checks.some((c) => c.plays === 0 || Object.values(c.cameras).some((s) => s === null));
    return problems ? 1 : 0;
  } finally {
    await source.close?.();
  }
}

function table(checks: readonly GameCheck[]): string {
  const mb = (size: number | null): string => (size === null ? "missing" : `${(size / 1e6).toFixed(1)} MB`);
  const rows = checks.map((c) => [
    c.game_id,
    String(c.plays),
    String(c.left),
    String(c.right),
    String(c.bad_rows),
    ...CAMERAS.map((camera) => mb(c.cameras[camera])),
    c.output,
  ]);
  const bad = checks.flatMap((c) => c.bad_reasons.map((r) => `  ${c.game_id} ${r}`));
  return formatTable(["game", "plays", "LEFT", "RIGHT", "bad", ...CAMERAS, "output"], rows) + (bad.length ? `\n\nrejected rows:\n${bad.join("\n")}` : "");
}
