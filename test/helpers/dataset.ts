import { DEFAULT_PRICE } from "../../src/domain/vertex-limits.js";
import type { BuildRequest } from "../../src/dataset/build.js";

/** A build request with the CLI's defaults, local clips allowed; override what a test is about. */
export function buildRequest(name: string, games: BuildRequest["games"], overrides: Partial<BuildRequest["settings"]> = {}, force = false): BuildRequest {
  return {
    name,
    games,
    settings: {
      splitBy: "game",
      splitRatio: 0.8,
      splitSeed: "test",
      mediaResolution: null,
      allowLocal: true,
      dropInvalid: false,
      price: DEFAULT_PRICE,
      ...overrides,
    },
    force,
    playclipsVersion: "test",
  };
}

/** Four plays per game, two play types, so every game can sit on either side. */
export function gameRows(game: string, types: readonly string[] = ["iso", "pnr"]) {
  return [0, 1, 2, 3].map((i) => ({
    id: `${game}-p${i}`,
    game_id: game,
    angle: i % 2 === 0 ? "LEFT" : "RIGHT",
    start_timestamp: 1 + i * 1.5,
    end_timestamp: 2 + i * 1.5,
    play_type: types[i % types.length] ?? "iso",
    quarter: 1,
  }));
}
