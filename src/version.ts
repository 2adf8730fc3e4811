import { readFileSync } from "node:fs";

/** playclips' own version from package.json, recorded in what it writes. */
export function playclipsVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
