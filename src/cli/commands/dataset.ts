import { ValidationError } from "../../domain/errors.js";
import { buildDatasetFromGames } from "../../dataset/build.js";
import { SPLIT_BYS, type SplitBy } from "../../dataset/model.js";
import { datasetKeys } from "../../dataset/publish.js";
import { tuningJobCall } from "../../dataset/tuning-call.js";
import { DEFAULT_PRICE } from "../../domain/vertex-limits.js";
import { playclipsVersion } from "../../version.js";
import { openSettingsStore } from "../../config/open-pipeline.js";
import { loadSettings } from "../../config/settings.js";
import { settingsHelp } from "../../config/settings-table.js";
import { positiveNumber } from "../../config/validate.js";
import { gameIdsFlag, parseFlags, settingFlags } from "../args.js";
import type { CommandIo } from "./io.js";
import { datasetName, PREDICT_HELP, predictRequestsCommand, SCORE_HELP, scoreCommand } from "./dataset-score.js";

const BUILD_HELP = `playclips dataset build NAME (--games a,b,c | --all) [options]

Merges the games' published clips and labels (nothing is cut) into one
Vertex AI tuning dataset under OUT/datasets/NAME/: training_data.jsonl,
validation_data.jsonl, dataset.json (every example) and README.md (the card).
Every example is checked against Vertex AI's limits first; a violation
stops the build and writes nothing.

  --games LIST            game ids; --all takes every game with a manifest in OUT
  --split-by game|play    game (default): whole games per side, so validation
                          measures unseen games; play: by play, cameras together
  --split-ratio R         share of examples in training (default 0.8)
  --split-seed S          seed of the split (default "playclips")
  --media-resolution low|medium|high  written on every line (default: the
                          games' own, else low)
  --allow-local           accept file:// clip URIs (for trying things out;
                          Vertex AI reads only gs://)
  --drop-invalid          leave out examples over a limit (listed in the card);
                          refused when more than 10% would go
  --price-per-million USD --price-date YYYY-MM-DD  tuning price for the cost
                          estimate (default ${DEFAULT_PRICE.usdPerMillionTokens} as of ${DEFAULT_PRICE.asOf})
  --force                 replace a dataset of the same name built from other inputs
  --out DIR|gs://…        where games are read and the dataset written
  --json                  print dataset.json's summary as JSON

${settingsHelp(["stores"])}`;

export const DATASET_HELP = `playclips dataset <build|predict-requests|score> NAME …

${BUILD_HELP}

${PREDICT_HELP}

${SCORE_HELP}`;

export async function datasetCommand(args: string[], io: CommandIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "build") return buildCommand(rest, io);
  if (sub === "predict-requests") return predictRequestsCommand(rest, io);
  if (sub === "score") return scoreCommand(rest, io);
  throw new ValidationError(`unknown dataset command ${JSON.stringify(sub ?? "")}: use build, predict-requests or score (playclips dataset --help)`);
}

async function buildCommand(args: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(args, {
    ...settingFlags(),
    games: { type: "string" },
    all: { type: "boolean" },
    "split-by": { type: "string" },
    "allow-local": { type: "boolean" },
    "drop-invalid": { type: "boolean" },
    "price-per-million": { type: "string" },
    "price-date": { type: "string" },
    force: { type: "boolean" },
    json: { type: "boolean" },
  });
  const name = datasetName(positionals, "build");
  const games = gameIdsFlag(values.games);
  if (values.all && games.length > 0) throw new ValidationError("give either --games or --all, not both");
  if (!values.all && games.length === 0) throw new ValidationError("no games: pass --games a,b,c or --all");
  const { settings, config } = await loadSettings(values, io.env, { cwd: io.cwd, configFile: values.config as string | undefined });
  const store = await openSettingsStore(settings, "out", io.cwd);
  const { doc, changed, skipped } = await buildDatasetFromGames(store, {
    name,
    games: values.all ? "all" : games,
    settings: {
      splitBy: oneOf("split-by", values["split-by"] ?? "game", SPLIT_BYS) as SplitBy,
      splitRatio: settings.dataset.split.ratio,
      splitSeed: settings.dataset.split.seed,
      // Only a resolution the user chose overrides the games' own; the table's default does not.
      mediaResolution: config.origins.mediaResolution === "default" ? null : settings.dataset.mediaResolution ?? null,
      allowLocal: values["allow-local"] === true,
      dropInvalid: values["drop-invalid"] === true,
      price: {
        usdPerMillionTokens: values["price-per-million"] === undefined ? DEFAULT_PRICE.usdPerMillionTokens : positiveNumber("price-per-million", values["price-per-million"]),
        asOf: values["price-date"] === undefined ? DEFAULT_PRICE.asOf : isoDate(values["price-date"]),
        source: DEFAULT_PRICE.source,
      },
    },
    force: values.force === true,
    playclipsVersion: playclipsVersion(),
  });
  const keys = datasetKeys(name);
  if (skipped.length > 0) io.stderr.write(`left out ${skipped.length} games without a dataset: ${skipped.map((s) => `${s.game} (${s.state})`).join(", ")}\n`);
  if (values.json) {
    const { examples: _examples, ...summary } = doc;
    io.stdout.write(`${JSON.stringify({ ...summary, changed, skipped }, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(
    `dataset ${name}: ${doc.counts.training} training + ${doc.counts.validation} validation examples from ${doc.counts.games} games` +
      `${doc.counts.dropped ? `, ${doc.counts.dropped} left out (see README.md)` : ""}; ` +
      `about ${doc.tokens.training} training tokens ≈ USD ${doc.tokens.estimatedEpochUsd.toFixed(2)} per epoch` +
      `${changed ? "" : " (unchanged: already built from the same inputs)"}\n` +
      `  ${store.uri(keys.card)}\n\nStart the tuning job:\n${tuningJobCall(name, doc.files.training.uri, doc.files.validation.uri)}\n`,
  );
  return 0;
}


function oneOf(flag: string, value: unknown, allowed: readonly string[]): string {
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new ValidationError(`--${flag} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isoDate(value: unknown): string {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new ValidationError(`--price-date must be a date like 2025-07-01, got ${JSON.stringify(value)}`);
  }
  return value;
}
