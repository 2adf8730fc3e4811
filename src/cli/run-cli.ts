import { main } from "./main.js";

// Source entry used by tests and `tsx`; the published bin imports the built main.
process.exitCode = await main(process.argv.slice(2));
// A client library that failed half way may leave a socket or timer open
// (pg-boss after a failed start does): the command is over, so it must not
// hang a supervisor. Unref'd, this only fires if something else keeps us alive.
setTimeout(() => process.exit(), 2000).unref();
