import { ValidationError } from "../../domain/errors.js";
import type { CommandIo } from "./io.js";

export const PREDICT_HELP = `playclips dataset predict-requests NAME   (not available yet)`;
export const SCORE_HELP = `playclips dataset score NAME --predictions FILE|gs://…   (not available yet)`;

export async function predictRequestsCommand(_args: string[], _io: CommandIo): Promise<number> {
  throw new ValidationError("dataset predict-requests is not available in this version");
}

export async function scoreCommand(_args: string[], _io: CommandIo): Promise<number> {
  throw new ValidationError("dataset score is not available in this version");
}
