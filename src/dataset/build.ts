import { ValidationError } from "../domain/errors.js";
import { geminiTuningLine, type MediaResolution } from "../domain/gemini.js";
import { readGameStatus } from "../pipeline/status.js";
import type { ObjectStore } from "../stores/object-store.js";
import { renderCard } from "./card.js";
import { collectGames, DatasetInputError, listGamesInStore, type CollectedExample, type CollectedGame } from "./collect.js";
import type { DatasetDocument, DatasetExample, DatasetBuildSettings, DroppedExample } from "./model.js";
import { dropWithinLimit, preflight } from "./preflight.js";
import { datasetKeys, describeFile, publishDataset, readDataset } from "./publish.js";
import { assignSides } from "./split-examples.js";
import { epochCostUsd, estimateTokens } from "../domain/vertex-limits.js";

export interface BuildRequest {
  name: string;
  /** Game ids, or "all" for every game with a manifest in the store. */
  games: readonly string[] | "all";
  /** mediaResolution null: the one the games were run with, else "low". */
  settings: Omit<DatasetBuildSettings, "mediaResolution"> & { mediaResolution: MediaResolution | null };
  force: boolean;
  playclipsVersion: string;
}

export interface BuildResult {
  doc: DatasetDocument;
  /** False when the same inputs had already produced these exact files. */
  changed: boolean;
  /** With --all: games in the store without a dataset (pending or failed), left out. */
  skipped: Array<{ game: string; state: string }>;
}

/** Used when neither the flag nor the games name one: 4× fewer tokens, and the clips are far below LOW's 20 min. */
export const DEFAULT_MEDIA_RESOLUTION: MediaResolution = "low";

/**
 * Builds datasets/{NAME}/ from the games' published outputs: merges, splits,
 * checks every Vertex AI limit, and publishes the four files. Any bad input
 * or limit violation throws before anything is written.
 */
export async function buildDatasetFromGames(store: ObjectStore, request: BuildRequest): Promise<BuildResult> {
  const keys = datasetKeys(request.name);
  const skipped: BuildResult["skipped"] = [];
  let gameIds = [...new Set(request.games === "all" ? [] : request.games)].sort();
  if (request.games === "all") {
    // --all means every game that has a dataset; the others are named, not fatal.
    const states = await Promise.all((await listGamesInStore(store)).map(async (game) => ({ game, state: (await readGameStatus(store, game)).state })));
    gameIds = states.filter((s) => s.state === "complete").map((s) => s.game);
    skipped.push(...states.filter((s) => s.state !== "complete"));
  }
  if (gameIds.length === 0) throw new ValidationError(`no games: ${store.name} has no complete game under games/ yet`);
  const games = await collectGames(store, gameIds).catch((error: unknown) => {
    if (error instanceof DatasetInputError) throw new ValidationError(`cannot build dataset ${request.name}: ${error.message}`);
    throw error;
  });
  const settings: DatasetBuildSettings = { ...request.settings, mediaResolution: request.settings.mediaResolution ?? gamesResolution(games) };
  const collected = games.flatMap((g) => g.examples).sort(exampleOrder);
  let examples = withSides(collected, settings);

  const lineOf = (e: DatasetExample): string =>
    geminiTuningLine({ uri: e.uri, prompt: e.prompt, label: e.label, offsets: e.offsets, mediaResolution: settings.mediaResolution });
  const check = (list: readonly DatasetExample[]): ReturnType<typeof preflight> =>
    preflight({
      examples: list,
      mediaResolution: settings.mediaResolution,
      lineResolutions: list.map((e) => JSON.parse(lineOf(e)).generationConfig?.mediaResolution ?? "none"),
      trainingJsonlBytes: Buffer.byteLength(list.filter((e) => e.side === "training").map((e) => `${lineOf(e)}\n`).join("")),
      allowLocal: settings.allowLocal,
    });
  let result = check(examples);
  const dropped: DroppedExample[] = [...result.invalid].map(([e, reasons]) => ({ game: e.game, play: e.play, camera: e.camera, reasons }));
  if (dropped.length > 0) {
    const list = dropped.map((d) => `${d.game}/${d.play} ${d.camera}: ${d.reasons.join("; ")}`);
    const shown = `\n  ${list.slice(0, 50).join("\n  ")}${list.length > 50 ? `\n  … and ${list.length - 50} more` : ""}`;
    if (!settings.dropInvalid) {
      throw new ValidationError(`${dropped.length} of ${examples.length} examples break Vertex AI limits; nothing written (--drop-invalid leaves them out):${shown}`);
    }
    if (!dropWithinLimit(dropped.length, examples.length)) {
      throw new ValidationError(`--drop-invalid would leave out ${dropped.length} of ${examples.length} examples, over Vertex AI's 10% limit; nothing written:${shown}`);
    }
    examples = withSides(collected.filter((c) => !dropped.some((d) => d.game === c.game && d.play === c.play && d.camera === c.camera)), settings);
    result = check(examples);
  }
  if (result.datasetProblems.length > 0) {
    throw new ValidationError(`dataset ${request.name} breaks Vertex AI limits; nothing written:\n  ${result.datasetProblems.join("\n  ")}`);
  }

  const side = (s: string): DatasetExample[] => examples.filter((e) => e.side === s);
  const bodies = { training: side("training").map((e) => `${lineOf(e)}\n`).join(""), validation: side("validation").map((e) => `${lineOf(e)}\n`).join("") };
  const tokens = (list: readonly DatasetExample[]): number => list.reduce((n, e) => n + e.tokens, 0);
  const draft: Omit<DatasetDocument, "files"> = {
    kind: "playclips-dataset",
    version: 1,
    name: request.name,
    playclips: request.playclipsVersion,
    settings,
    games: games.map((g) => ({ game: g.game, finishedAt: g.finishedAt, examples: examples.filter((e) => e.game === g.game).length })),
    counts: {
      training: side("training").length,
      validation: side("validation").length,
      dropped: dropped.length,
      games: games.length,
      plays: new Set(examples.map((e) => `${e.game}/${e.play}`)).size,
    },
    tokens: {
      perExampleMax: Math.max(0, ...examples.map((e) => e.tokens)),
      training: tokens(side("training")),
      validation: tokens(side("validation")),
      estimatedEpochUsd: epochCostUsd(tokens(side("training")), settings.price),
    },
    checks: result.checks,
    dropped,
    examples,
  };
  const card = renderCard(draft, { training: store.uri(keys.training), validation: store.uri(keys.validation) });
  const doc: DatasetDocument = {
    ...draft,
    files: {
      training: describeFile(store, keys.training, bodies.training),
      validation: describeFile(store, keys.validation, bodies.validation),
      card: describeFile(store, keys.card, card),
    },
  };
  const changed = await refuseOtherInputs(store, doc, request.force);
  if (changed) await publishDataset(store, doc, { ...bodies, card });
  return { doc, changed, skipped };
}

/** The games agree on a media resolution, or the user must choose one. */
function gamesResolution(games: readonly CollectedGame[]): MediaResolution {
  const by = new Map<string, string[]>();
  for (const g of games) by.set(g.mediaResolution ?? "none", [...(by.get(g.mediaResolution ?? "none") ?? []), g.game]);
  const named = [...by.keys()].filter((r) => r !== "none");
  if (named.length > 1) {
    const list = [...by].map(([r, ids]) => `${r}: ${ids.join(", ")}`).join("; ");
    throw new ValidationError(`the games were made with different media resolutions (${list}); pass --media-resolution low|medium|high to choose one for every line`);
  }
  return (named[0] as MediaResolution | undefined) ?? DEFAULT_MEDIA_RESOLUTION;
}

function withSides(collected: readonly CollectedExample[], settings: DatasetBuildSettings): DatasetExample[] {
  const sides = assignSides(collected, { by: settings.splitBy, ratio: settings.splitRatio, seed: settings.splitSeed });
  return collected.map((c) => {
    const seconds = c.offsets ? c.offsets.end - c.offsets.start : c.duration;
    return { ...c, side: sides.get(c) ?? "training", tokens: estimateTokens(seconds, settings.mediaResolution, c.prompt + c.label) };
  });
}

function exampleOrder(a: CollectedExample, b: CollectedExample): number {
  const ka = `${a.game}\u0000${a.key}`;
  const kb = `${b.game}\u0000${b.key}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * A name already holding a dataset of other inputs (games, their runs, or
 * settings) is kept unless --force. Returns false when the committed dataset
 * is already exactly this one, so a rerun writes nothing.
 */
async function refuseOtherInputs(store: ObjectStore, doc: DatasetDocument, force: boolean): Promise<boolean> {
  const existing = await readDataset(store, doc.name);
  if (existing.kind !== "ok") return true;
  const inputs = (d: DatasetDocument): string => JSON.stringify({ games: d.games.map((g) => [g.game, g.finishedAt]), settings: d.settings });
  if (inputs(existing.doc) === inputs(doc)) return JSON.stringify(existing.doc) !== JSON.stringify(doc);
  if (force) return true;
  const before = existing.doc;
  const diffs: string[] = [];
  const gamesText = (d: DatasetDocument): string => d.games.map((g) => `${g.game}@${g.finishedAt}`).join(", ");
  if (gamesText(before) !== gamesText(doc)) diffs.push(`games were ${gamesText(before)}, now ${gamesText(doc)}`);
  for (const key of Object.keys(doc.settings) as Array<keyof DatasetBuildSettings>) {
    if (JSON.stringify(before.settings[key]) !== JSON.stringify(doc.settings[key])) {
      diffs.push(`${key} was ${JSON.stringify(before.settings[key])}, now ${JSON.stringify(doc.settings[key])}`);
    }
  }
  throw new ValidationError(`dataset ${doc.name} already exists with other inputs (${diffs.join("; ")}); pass --force to replace it, or choose another name`);
}
