import { ValidationError } from "../domain/errors.js";
import type { GameQueue, GameQueueOptions } from "./game-queue.js";

/** A queue engine: which URLs it serves, and how it opens (loaded only when used). */
interface QueueEngine {
  example: string;
  matches(url: string): boolean;
  open(options: GameQueueOptions): Promise<GameQueue>;
}

/** Every engine; adding one is a file implementing GameQueue and a line here. */
const ENGINES: QueueEngine[] = [
  {
    example: "postgres://… (pg-boss)",
    matches: (url) => /^postgres(ql)?:\/\//.test(url),
    open: async (options) => (await import("./pg-boss-queue.js")).createGameQueue(options),
  },
];

/** Opens the queue its URL names. */
export function openGameQueue(options: GameQueueOptions): Promise<GameQueue> {
  const engine = ENGINES.find((e) => e.matches(options.connectionString));
  if (!engine) throw new ValidationError(`the queue URL must be one of: ${ENGINES.map((e) => e.example).join(", ")}`);
  return engine.open(options);
}
