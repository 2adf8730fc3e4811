import { datasetKeys, readDataset, readText } from "../dataset/publish.js";
import type { ObjectStore } from "../stores/object-store.js";
import { renderDatasetPage } from "./render-dataset.js";

export type DatasetReportResult =
  | { dataset: string; state: "written"; uri: string; examples: number; games: string[] }
  | { dataset: string; state: "no-outputs" | "unreadable"; reason: string };

/** The page's key: beside the dataset's files, so its links to the games' reports are relative. */
export function datasetReportKey(name: string): string {
  return datasetKeys(name).record.replace(/dataset\.json$/, "report/index.html");
}

/**
 * Writes datasets/{NAME}/report/index.html from the dataset's committed
 * record (dataset.json, read through the dataset module's reader, which
 * refuses a half-written build) and its card.
 */
export async function writeDatasetReport(name: string, store: ObjectStore): Promise<DatasetReportResult> {
  const read = await readDataset(store, name);
  if (read.kind === "absent") return { dataset: name, state: "no-outputs", reason: `no dataset ${name} in ${store.name}: run \`playclips dataset build ${name}\`` };
  if (read.kind === "incomplete") return { dataset: name, state: "unreadable", reason: read.reason };
  const card = await readText(store, read.doc.files.card.key);
  const key = datasetReportKey(name);
  await store.write(key, renderDatasetPage(read.doc, card), { contentType: "text/html; charset=utf-8" });
  return { dataset: name, state: "written", uri: store.uri(key), examples: read.doc.examples.length, games: read.doc.games.map((g) => g.game) };
}
