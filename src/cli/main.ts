import { ValidationError, errorMessage } from "../domain/errors.js";
import { FolderBusyError } from "../sources/folder-lock.js";
import { describeFailure } from "./failure.js";
import { errorLogFormat } from "./log-format.js";
import { createLogSink } from "../interfaces/logging/log-sink.js";
import { BATCH_HELP, batchCommand } from "./commands/batch.js";
import { CHECK_GAMES_HELP, checkGamesCommand } from "./commands/check-games.js";
import { CONFIG_HELP, configCommand } from "./commands/config.js";
import { DATASET_HELP, datasetCommand } from "./commands/dataset.js";
import { DB_HELP, dbCommand } from "./commands/db.js";
import { scrubSecrets } from "../config/secrets.js";
import { DEMO_HELP, demoCommand } from "./commands/demo.js";
import type { CommandIo } from "./commands/io.js";
import { REPORT_HELP, reportCommand } from "./commands/report.js";
import { RUN_HELP, runCommand } from "./commands/run.js";
import { SERVE_HELP, serveCommand } from "./commands/serve.js";
import { STATUS_HELP, statusCommand } from "./commands/status.js";
import { WORKER_HELP, workerCommand } from "./commands/worker.js";
import { playclipsVersion } from "../version.js";

const COMMANDS: Record<string, { run: (args: string[], io: CommandIo) => Promise<number>; help: string }> = {
  demo: { run: demoCommand, help: DEMO_HELP },
  run: { run: runCommand, help: RUN_HELP },
  status: { run: statusCommand, help: STATUS_HELP },
  config: { run: configCommand, help: CONFIG_HELP },
  "check-games": { run: checkGamesCommand, help: CHECK_GAMES_HELP },
  db: { run: dbCommand, help: DB_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  batch: { run: batchCommand, help: BATCH_HELP },
  worker: { run: workerCommand, help: WORKER_HELP },
  dataset: { run: datasetCommand, help: DATASET_HELP },
  report: { run: reportCommand, help: REPORT_HELP },
};

/** The commands that run games and log as --log-format says (docs/logging.md). */
const LOGGING_COMMANDS = new Set(["run", "batch", "serve", "worker"]);

const USAGE = `playclips: basketball game videos + annotated plays → a Vertex AI video dataset

usage: playclips <command> [options]

commands:
  demo     generate synthetic demo games (videos + plays file)
  run      cut clips and write the dataset for some or all games
  status   complete / failed / pending per game, from the output store
  config   print the resolved configuration and where each value came from
  check-games  plays, cameras and outputs per game, before a run
  db import    load a plays file into the embedded Postgres (the default source)
  serve    serve the Cloud Function contract over HTTP (POST {"game_id"})
  batch    run games locally, over HTTP or through the queue, then wait for their datasets
  worker   take games from the Postgres queue and run them (any number of machines)
  dataset  build | predict-requests | score: one Vertex AI tuning dataset from many games, and its score
  report   an HTML page per game with a thumbnail strip for every clip

playclips <command> --help for a command's options.`;

/** The CLI entry point: resolves everything from argv and env, returns the exit code. */
export async function main(argv: string[], io: Partial<CommandIo> = {}): Promise<number> {
  const full: CommandIo = {
    cwd: io.cwd ?? process.cwd(),
    env: io.env ?? process.env,
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    signal: io.signal,
  };
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    full.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "-v") {
    full.stdout.write(`${playclipsVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    full.stderr.write(`playclips: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    full.stdout.write(`${command.help}\n`);
    return 0;
  }
  try {
    return await command.run(rest, full);
  } catch (error) {
    // Errors may quote inputs they were built from: never let a secret through.
    // Input errors keep their lines (they may carry usage); anything else is one line.
    const message = `playclips ${name}: ${scrubSecrets(error instanceof ValidationError ? errorMessage(error) : describeFailure(error), full.env)}`;
    // A command that logs JSON lines ends with one too, so a log shipper reads it as an ERROR.
    if (LOGGING_COMMANDS.has(name) && errorLogFormat(rest, full.env, full.stderr) === "json") {
      createLogSink("json", full.stderr, (text) => scrubSecrets(text, full.env)).error(message, { event: "command-failed", command: name });
    } else full.stderr.write(`${message}\n`);
    // 2: nothing was done, and trying again as is (or when the other process is done) is the fix.
    if (error instanceof ValidationError || error instanceof FolderBusyError) return 2;
    // A stack helps whoever debugs playclips, not whoever runs it: only on request.
    if (full.env.PLAYCLIPS_DEBUG && error instanceof Error && error.stack) {
      full.stderr.write(`${scrubSecrets(error.stack, full.env)}\n`);
    }
    return 1;
  }
}
