import { main } from "./main.js";

// Source entry used by tests and `tsx`; the published bin imports the built main.
process.exitCode = await main(process.argv.slice(2));
