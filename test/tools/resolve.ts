import { createRequire } from "node:module";
import { dirname } from "node:path";

// Resolves from test/tools/, where the test-only servers are installed (see install.ts).
const requireTool = createRequire(new URL("./package.json", import.meta.url));

/** The folder of a package installed in test/tools, e.g. testToolDir("firebase-tools"). */
export function testToolDir(name: string): string {
  return dirname(requireTool.resolve(`${name}/package.json`));
}
