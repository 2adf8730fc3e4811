import type { DatasetDocument, DatasetExample, Side } from "./model.js";
import { countBy, markdownTable, summarize } from "./stats.js";
import { tuningJobCall } from "./tuning-call.js";

const SIDES: readonly Side[] = ["training", "validation"];
const sec = (s: number): string => `${s.toFixed(1)} s`;

/**
 * The dataset card (README.md): what is in the dataset, what it will cost to
 * tune on, and every Vertex AI limit it was checked against. Built only from
 * the dataset document, so it is byte-identical whenever the document is.
 */
export function renderCard(doc: Omit<DatasetDocument, "files">, uris: { training: string; validation: string }): string {
  const { examples, settings } = doc;
  const parts = [
    `# Dataset ${doc.name}`,
    `Built by playclips ${doc.playclips} from ${doc.counts.games} games: ${doc.counts.training} training and ` +
      `${doc.counts.validation} validation examples (${doc.counts.plays} plays), split by ${settings.splitBy} ` +
      `(ratio ${settings.splitRatio}, seed ${JSON.stringify(settings.splitSeed)}), media resolution ${settings.mediaResolution}.`,
    ...splitShareNote(doc),
    "## Files",
    `- training: \`${uris.training}\`\n- validation: \`${uris.validation}\`\n- every example with its clip, hash and source: \`dataset.json\``,
    "Start a tuning job (Vertex AI `tuningJobs.create`):",
    "```sh\n" + tuningJobCall(doc.name, uris.training, uris.validation) + "\n```",
    "## Examples per split, play type and camera",
    countsTable(examples),
    "## Clip durations",
    durationTable(examples),
    "## Games",
    gamesTable(doc),
    "## Tokens and cost",
    tokensSection(doc),
    "## Vertex AI limits checked",
    markdownTable(["limit", "value", "result", "source"], doc.checks.map((c) => [c.limit, c.value, c.ok ? "ok" : "FAILED", c.source])),
  ];
  if (doc.dropped.length > 0) {
    parts.push(
      "## Left out (--drop-invalid)",
      markdownTable(["game", "play", "camera", "why"], doc.dropped.map((d) => [d.game, d.play, d.camera, d.reasons.join("; ")])),
    );
  }
  return `${parts.join("\n\n")}\n`;
}

function countsTable(examples: readonly DatasetExample[]): string {
  const key = (e: DatasetExample): string => `${e.playType ?? "(none)"}\u0000${e.camera}`;
  const all = countBy(examples, key);
  const bySide = new Map(SIDES.map((side) => [side, countBy(examples.filter((e) => e.side === side), key)]));
  const rows = [...all.keys()].map((k) => {
    const [type = "", camera = ""] = k.split("\u0000");
    return [type, camera, ...SIDES.map((s) => String(bySide.get(s)?.get(k) ?? 0)), String(all.get(k) ?? 0)];
  });
  rows.push(["all", "all", ...SIDES.map((s) => String(examples.filter((e) => e.side === s).length)), String(examples.length)]);
  return markdownTable(["play_type", "camera", ...SIDES, "total"], rows);
}

function durationTable(examples: readonly DatasetExample[]): string {
  const seen = (e: DatasetExample): number => (e.offsets ? e.offsets.end - e.offsets.start : e.duration);
  const rows = [...SIDES, "all" as const].map((side) => {
    const s = summarize(examples.filter((e) => side === "all" || e.side === side).map(seen));
    return [side, String(s.n), sec(s.min), sec(s.p25), sec(s.median), sec(s.p75), sec(s.max), `${(s.total / 60).toFixed(1)} min`];
  });
  return (
    markdownTable(["split", "examples", "min", "p25", "median", "p75", "max", "total"], rows) +
    "\n\nDurations are what the model sees: the play's part of the clip (videoMetadata offsets) where the clip holds more."
  );
}

function gamesTable(doc: Omit<DatasetDocument, "files">): string {
  const rows = doc.games.map((g) => {
    const own = doc.examples.filter((e) => e.game === g.game);
    const sides = SIDES.filter((s) => own.some((e) => e.side === s)).join(" + ");
    const plays = new Set(own.map((e) => e.play)).size;
    const share = doc.examples.length ? `${((own.length / doc.examples.length) * 100).toFixed(1)} %` : "0 %";
    return [g.game, sides, String(plays), String(own.length), share, g.finishedAt];
  });
  return markdownTable(["game", "split", "plays", "examples", "share", "run finished"], rows);
}

function tokensSection(doc: Omit<DatasetDocument, "files">): string {
  const { price, mediaResolution } = doc.settings;
  const per = summarize(doc.examples.map((e) => e.tokens));
  return [
    `Estimated per example: min ${per.min}, median ${per.median}, max ${per.max} tokens ` +
      `(video at 1 frame/s × ${mediaResolution === "low" ? 64 : 256} tokens per frame at ${mediaResolution}, audio at 32 tokens/s, text at 4 characters per token).`,
    `Training: ${doc.tokens.training} tokens; validation: ${doc.tokens.validation} tokens.`,
    `One training epoch ≈ **USD ${doc.tokens.estimatedEpochUsd.toFixed(2)}** at USD ${price.usdPerMillionTokens} per million training tokens ` +
      `(price as of ${price.asOf}, ${price.source}; set --price-per-million and --price-date to update). ` +
      "A job runs several epochs; multiply by its epoch count.",
  ].join("\n\n");
}

/**
 * Whole games go to one side under --split-by game, so with few games the
 * validation share can sit far from the ratio asked for (2 games: 50 %).
 * The card says so rather than leaving the reader to wonder why.
 */
function splitShareNote(doc: Omit<DatasetDocument, "files">): string[] {
  const { settings, counts } = doc;
  const total = counts.training + counts.validation;
  if (settings.splitBy !== "game" || total === 0) return [];
  const share = counts.validation / total;
  const asked = 1 - settings.splitRatio;
  if (Math.abs(share - asked) <= 0.1) return [];
  const pct = (x: number): string => `${Math.round(x * 100)} %`;
  return [
    `Validation holds ${pct(share)} of the examples, not the ${pct(asked)} the ratio asks for: whole games go to one side, ` +
      `and ${counts.games} games cannot be split closer. More games bring it closer; \`--split-by play\` splits within games ` +
      "(plays of one game then sit on both sides, so validation no longer measures unseen games).",
  ];
}
