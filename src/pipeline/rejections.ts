import type { GameLayout } from "../domain/layout.js";
import type { PlayRejection } from "../domain/types.js";
import type { ObjectStore } from "../stores/object-store.js";

/**
 * How many rejections the manifest lists itself. A plays file with hundreds
 * of thousands of bad rows would otherwise make a manifest of tens of MB
 * that every status check and poll reads; beyond this, the manifest lists
 * the first ones and names a side file with all of them.
 */
export const REJECTIONS_IN_MANIFEST = 100;

/**
 * The rejections the manifest lists, writing the full list beside it first
 * when there are more (so a manifest never names a side file that is not
 * there yet).
 */
export async function manifestRejections(
  output: ObjectStore,
  layout: GameLayout,
  rejected: PlayRejection[],
): Promise<{ rejectedPlays: PlayRejection[]; rejectedPlaysFile: string | null }> {
  if (rejected.length <= REJECTIONS_IN_MANIFEST) return { rejectedPlays: rejected, rejectedPlaysFile: null };
  const key = layout.rejectedPlays;
  const lines = rejected.map((r) => JSON.stringify(r)).join("\n");
  await output.write(key, `${lines}\n`, { contentType: "application/x-ndjson" });
  return { rejectedPlays: rejected.slice(0, REJECTIONS_IN_MANIFEST), rejectedPlaysFile: output.uri(key) };
}
