import { resolve } from "node:path";
import { generateDemo } from "../../demo/generate.js";
import { locateMediaTools } from "../../extraction/locate.js";
import { positiveNumber, wholeNumber } from "../../config/validate.js";
import { settingDefault } from "../../config/settings-table.js";
import { parseFlags } from "../args.js";
import type { CommandIo } from "./io.js";

export const DEMO_HELP = `playclips demo [--out DIR] [--games N] [--minutes M] [--width W --height H] [--fps F] [--seed S]

Generates synthetic games: four camera videos per game (H.264 + AAC, a
keyframe every 2 s, camera name and timecode burned in) under
DIR/Games/{game_id}/, and DIR/plays.csv + DIR/plays.jsonl.
Defaults: --out .playclips/demo --games 2 --minutes 3 --width 640 --height 360 --fps 25.`;

export async function demoCommand(args: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags(args, {
    out: { type: "string" },
    games: { type: "string" },
    minutes: { type: "string" },
    width: { type: "string" },
    height: { type: "string" },
    fps: { type: "string" },
    seed: { type: "string" },
  });
  // The demo writes where runs read videos by default.
  const outDir = resolve(io.cwd, typeof values.out === "string" ? values.out : String(settingDefault("videos")));
  // Only the binaries, from the environment: demo takes no pipeline settings, so a config file cannot break it.
  const tools = await locateMediaTools({ ffmpegPath: io.env.FFMPEG_PATH, ffprobePath: io.env.FFPROBE_PATH, searchPath: io.env.PATH });
  const demo = await generateDemo(tools, {
    outDir,
    games: values.games === undefined ? undefined : wholeNumber("games", values.games, 1, 50),
    minutes: values.minutes === undefined ? undefined : positiveNumber("minutes", values.minutes),
    width: values.width === undefined ? undefined : wholeNumber("width", values.width, 16, 7680),
    height: values.height === undefined ? undefined : wholeNumber("height", values.height, 16, 4320),
    fps: values.fps === undefined ? undefined : wholeNumber("fps", values.fps, 1, 60),
    seed: typeof values.seed === "string" ? values.seed : undefined,
    onProgress: (message) => io.stderr.write(`${message}\n`),
  });
  io.stdout.write(
    `demo: ${demo.gameIds.length} games, ${demo.plays} plays\n` +
      `  videos: ${demo.videosRoot}/Games/{game_id}/{CAMERA}.mp4\n` +
      `  plays:  ${demo.playsFile}\n` +
      `games: ${demo.gameIds.join(",")}\n` +
      `next:  playclips run --plays ${demo.playsFile} --videos ${demo.videosRoot} --out ${demo.videosRoot} --all\n`,
  );
  return 0;
}
