import type { RawPlayRow } from "../domain/types.js";

/**
 * Where plays come from (a file, Postgres, Supabase). Sources only read rows;
 * validation happens once, in domain/validate-plays.ts, for every source alike.
 */
export interface PlaySource {
  /** Short name used in messages, e.g. "file:plays.csv" (never a secret). */
  readonly name: string;
  /** Every row for the game, ordered by start_timestamp; [] when the game has none. */
  fetchPlays(gameId: string): Promise<RawPlayRow[]>;
  /** Ids of all games that have at least one row, sorted. */
  listGames(): Promise<string[]>;
  /** Releases connections; optional for sources that hold none. */
  close?(): Promise<void>;
}
