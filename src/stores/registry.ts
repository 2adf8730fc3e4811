import { ValidationError } from "../domain/errors.js";
import { gcsScheme } from "./gcs.js";
import { localScheme } from "./local.js";
import type { ObjectStore } from "./object-store.js";
import type { StoreContext } from "./store-scheme.js";

/** Every kind of store a location can name, in the order they are tried; a folder last, as the fallback. */
const SCHEMES = [gcsScheme, localScheme];

/** Opens the store a location names: gs://bucket[/prefix] or a local folder. */
export function openStore(location: string, context: StoreContext): Promise<ObjectStore> {
  const scheme = SCHEMES.find((s) => s.matches(location));
  if (!scheme) {
    throw new ValidationError(`${JSON.stringify(location)}: not a store location; use one of ${SCHEMES.map((s) => s.example).join(", ")}`);
  }
  return scheme.open(location, context);
}
