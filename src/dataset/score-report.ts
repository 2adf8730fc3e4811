import type { ScoreReport } from "./score.js";
import { markdownTable } from "./stats.js";

const pct = (s: { correct: number; scored: number; accuracy: number }): string =>
  s.scored ? `${(s.accuracy * 100).toFixed(1)} % (${s.correct}/${s.scored})` : "–";

/** score.md: the score report for people; score.json holds the same numbers. */
export function renderScoreReport(report: ScoreReport): string {
  const c = report.counts;
  const labels = report.playType.labels;
  const parts = [
    `# Score of dataset ${report.dataset}`,
    `Predictions: \`${report.predictions}\``,
    `${c.validationExamples} validation examples; ${c.rows} prediction rows: ${c.scored} scored, ${c.failed} failed, ` +
      `${c.unparseable} unparseable, ${c.unmatched} unmatched, ${c.duplicates} duplicates; ${c.missing} examples without a row.`,
    `**Exact match** (every field right, failures count as wrong): ${pct(report.exactMatch)}`,
    "## Accuracy per label field",
    markdownTable(["field", "accuracy"], Object.entries(report.fields).map(([f, s]) => [f, pct(s)])),
    "## play_type confusion matrix (rows: label, columns: answer)",
    labels.length
      ? markdownTable(["label \\ answer", ...labels], labels.map((a) => [a, ...labels.map((p) => String(report.playType.matrix[a]?.[p] ?? 0))]))
      : "No label has a play_type.",
    "## Accuracy per camera",
    markdownTable(["camera", "exact match", "play_type"], Object.entries(report.cameras).map(([cam, s]) => [cam, pct(s.exactMatch), pct(s.playType)])),
  ];
  if (report.problems.length > 0) {
    parts.push("## Problems (first 50)", markdownTable(["clip", "problem"], report.problems.map((p) => [p.uri ?? "", p.problem])));
  }
  return `${parts.join("\n\n")}\n`;
}
