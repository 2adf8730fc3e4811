import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { errorMessage } from "../domain/errors.js";
import type { Camera, CameraRecord, ClipRecord } from "../domain/types.js";
import type { MediaInfo, VideoStreamInfo } from "../extraction/ffprobe-json.js";
import type { CameraReads, CutModeStrategy } from "../extraction/modes/mode.js";
import { cutModeNamed, cutModeThatMade } from "../extraction/modes/registry.js";
import { keyframeAtOrBefore } from "../extraction/keyframes.js";
import { probeMedia, probeMediaAndStream } from "../extraction/probe.js";
import type { Pipeline, RunOptions } from "./parts.js";
import type { PlannedClip } from "./plan.js";
import { clipMemoryBytes, probeMemoryBytes, threadMemoryBytes } from "./clip-memory.js";
import { threadsOnceAdmitted } from "./memory-gate.js";
import { clipTempEstimate, type ClipSpanSec, type ClipTempEstimate } from "./clip-temp.js";
import type { TempClaim } from "./temp-gate.js";
import { prepareCameraReads } from "./prepare-camera.js";
import { coverageOf, openSourceVideo, type OpenedVideo } from "./source-video.js";

// A play may end this far past the probed duration and still be whole: the
// container duration is rounded to the last frame's start.
const END_SLACK_SEC = 0.001;

/** One game's run as its cameras see it: whose clips, and which earlier clips may be kept. */
export interface CameraRun extends RunOptions {
  gameId: string;
  reuse: boolean;
  /** The previous manifest's clips by key. */
  previous: ReadonlyMap<string, ClipRecord>;
}

export interface CameraOutcome {
  camera: CameraRecord;
  clips: ClipRecord[];
}

function record(clip: PlannedClip, mode: CutModeStrategy, fields: Partial<ClipRecord>): ClipRecord {
  return {
    playId: clip.play.id,
    camera: clip.camera,
    key: clip.key,
    source: clip.source,
    requestedStart: clip.play.start,
    requestedDuration: round(clip.play.end - clip.play.start),
    actualStart: null,
    actualDuration: null,
    bytes: null,
    cutMode: mode.name,
    offset: null,
    fallbackReason: null,
    status: "failed",
    reason: null,
    reused: false,
    elapsedMs: 0,
    ...fields,
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/**
 * Cuts every clip of one camera from its source video, opened once. Problems
 * of the camera fail its clips; problems of a clip fail that clip. Nothing
 * here throws for bad media: every outcome is a record.
 *
 * `allStarted` is called once every clip of the camera has started its cut
 * (the camera is in its tail: the next camera may open), or at the latest
 * when this returns.
 */
export async function cutCamera(pipeline: Pipeline, run: CameraRun, camera: Camera, clips: readonly PlannedClip[],
  allStarted: () => void = () => {}): Promise<CameraOutcome> {
  const { videos, tools, tempDir } = pipeline.backends;
  const timeoutMs = pipeline.limits.clipTimeoutMs;
  const mode = cutModeNamed(pipeline.cut.mode);
  const source = clips[0]?.source ?? "";
  const cameraRecord: CameraRecord = { camera, source, status: "ok", reason: null, bytes: null, duration: null, startTime: null, fetch: null, bytesFetched: null };
  const results: ClipRecord[] = [];
  const done = (r: ClipRecord): void => {
    results.push(r);
    run.onEvent?.({ type: "clip-done", gameId: run.gameId, clip: r });
  };
  const failAll = (status: "missing" | "unreadable", reason: string): CameraOutcome => {
    Object.assign(cameraRecord, { status, reason });
    run.onEvent?.({ type: "camera-failed", gameId: run.gameId, camera, reason });
    for (const clip of clips) done(record(clip, mode, { reason }));
    return { camera: cameraRecord, clips: results };
  };

  // Good clips of an earlier run are kept when their object is still whole.
  const pending: PlannedClip[] = [];
  // One stat per clip: on a bucket these are round trips, so they go out together.
  const kept = await Promise.all(clips.map((clip) => (run.reuse ? reusable(pipeline, mode, clip, run.previous.get(clip.key)) : null)));
  clips.forEach((clip, i) => {
    const reused = kept[i];
    if (reused) done(reused);
    else pending.push(clip);
  });
  if (pending.length === 0) return { camera: cameraRecord, clips: results };

  const info = await videos.stat(source);
  if (!info) return failAll("missing", `camera video ${source} is missing from ${videos.name}`);
  cameraRecord.bytes = info.size;
  cameraRecord.identity = (await videos.identify?.(source)) ?? null;

  let opened: OpenedVideo;
  try {
    opened = await openSourceVideo(videos, source, tempDir, pipeline.reads);
  } catch (error) {
    return failAll("unreadable", `camera video ${source} could not be read: ${errorMessage(error)}`);
  }
  // The range cache fills after clips are admitted: what it may still take is counted from the start.
  const unreserve = pipeline.limits.clipMemory?.reserve(() => {
    const s = opened.stats?.();
    return s ? s.budgetBytes - s.cachedBytes : 0;
  });
  try {
    let media: MediaInfo;
    let stream: VideoStreamInfo | undefined;
    // The camera's own ffprobes parse its whole index too (~110 MB at 4 h): they wait for room like clips.
    const { clipMemory } = pipeline.limits;
    const probeBytes = await probeMemoryBytes(opened);
    const probing = <T>(task: () => Promise<T>): Promise<T> => (clipMemory ? clipMemory.run(probeBytes, task) : task());
    try {
      // A mode that needs the stream's codec details gets them probed once here, not once per clip.
      if (mode.needsStream(pipeline.cut)) {
        ({ media, stream } = await probing(() => probeMediaAndStream(tools, opened.input, timeoutMs)));
      } else {
        media = await probing(() => probeMedia(tools, opened.input, timeoutMs));
      }
      if (!media.video) throw new Error("it has no video stream");
    } catch (error) {
      // Over ranged reads a store failure reaches ffprobe as an HTTP error; the store's own words say more.
      const storeProblem = opened.stats?.().lastError;
      if (storeProblem) return failAll("unreadable", `camera video ${source} could not be read: ${storeProblem}`);
      return failAll("unreadable", `camera video ${source} is not a readable video: ${errorMessage(error)}`);
    }
    cameraRecord.duration = media.duration;
    cameraRecord.startTime = media.startTime;
    // Only now is coverage known: dense plays are cheaper as one whole download (docs/range-reads.md).
    opened = await opened.forCoverage(coverageOf(pending.map((clip) => clip.play), media.duration));
    const input = opened.input;
    const spans = pending.map((clip) => ({ start: clip.play.start, end: clip.play.end }));
    // Over the bucket the read waits on round trips, so it is split across as many ffprobes as memory lets run.
    const lanes = opened.fetch !== "range" ? 1 : clipMemory ? clipMemory.fit(probeBytes, pipeline.limits.clipPool.size) : pipeline.limits.clipPool.size;
    const shared = stream ? await prepareCameraReads(mode, tools, input, stream, spans, { lanes, probing, timeoutMs }) : {};
    const reads: CameraReads = { stream, ...shared, ...(opened.expectRead ? { expectRead: opened.expectRead } : {}) };
    const memoryBytes = clipMemoryBytes(mode.memory, media);
    const threadBytes = threadMemoryBytes(media);
    let startedClips = 0;
    const started = (): void => {
      if (++startedClips < pending.length) return;
      opened.shrink?.();
      allStarted();
    };
    const temp = clipTempEstimate(mode.memory, info.size, media.duration);
    await Promise.all(pending.map(async (clip) => done(await cutOne(pipeline, run, mode, clip, { input, media, reads, memoryBytes, threadBytes, temp, started }))));
    cameraRecord.fetch = opened.fetch;
    cameraRecord.bytesFetched = opened.stats?.().bytesFetched ?? (opened.fetch === "full" ? info.size : null);
  } finally {
    unreserve?.();
    await opened.release();
  }
  return { camera: cameraRecord, clips: results };
}

async function reusable(pipeline: Pipeline, mode: CutModeStrategy, clip: PlannedClip, before: ClipRecord | undefined): Promise<ClipRecord | null> {
  if (!before || before.status !== "ok" || before.bytes === null) return null;
  const sameCut =
    before.requestedStart === clip.play.start && before.requestedDuration === round(clip.play.end - clip.play.start);
  if (!sameCut) return null;
  // A clip cut another way (copy vs exact) is not what this run asks for.
  if (!mode.reuses.includes(before.cutMode)) return null;
  // A clip with a lead-in but no recorded timeline offsets predates them: its Gemini line could not place the play.
  if ((before.offset ?? 0) > 0 && !before.videoOffsets) return null;
  const info = await pipeline.backends.output.stat(clip.key);
  if (!info || info.size !== before.bytes) return null;
  return { ...before, reused: true, elapsedMs: 0 };
}

/** The camera's video as every clip of it is cut from. */
interface OpenSource {
  input: string;
  media: MediaInfo;
  reads: CameraReads;
  /** One clip's processes at their peak, estimated (clip-memory.ts). */
  memoryBytes: number;
  /** What each codec thread past the first adds to that. */
  threadBytes: number;
  /** What a clip leaves in temp until its upload, for the temp gate. */
  temp: ClipTempEstimate;
  /** Called once per clip when it starts its cut, or when it is done without one. */
  started: () => void;
}

async function cutOne(pipeline: Pipeline, run: RunOptions, mode: CutModeStrategy, clip: PlannedClip, source: OpenSource): Promise<ClipRecord> {
  const { media } = source;
  if (clip.play.end > media.duration + END_SLACK_SEC) {
    source.started();
    const where = clip.play.start >= media.duration ? "starts" : "ends";
    return record(clip, mode, {
      reason: `play ${where} beyond the end of ${clip.camera}: it ends at ${clip.play.end} s, the video lasts ${media.duration} s`,
    });
  }
  const { clipTemp } = pipeline.limits;
  // Temp first, outermost: the clip's folder lives from its cut to the end of its upload.
  if (!clipTemp) return cutAndUpload(pipeline, run, mode, clip, source, null);
  return clipTemp.run(source.temp.bytes(tempSpan(clip, source)), (claim) => cutAndUpload(pipeline, run, mode, clip, source, claim));
}

/** The source a clip's temp covers: its span, and its lead-in from the keyframe before START where the mode read it. */
function tempSpan(clip: PlannedClip, source: OpenSource): ClipSpanSec {
  const keyframe = source.reads.packets ? keyframeAtOrBefore(source.reads.packets, clip.play.start, source.media.video?.fps ?? 25) : null;
  return { spanSec: clip.play.end - clip.play.start, leadSec: keyframe ? clip.play.start - keyframe.pts : 0 };
}

/** Cuts, checks and uploads one clip in its own temp folder; a failure is the clip's record, never a throw. */
async function cutAndUpload(
  pipeline: Pipeline, run: RunOptions, mode: CutModeStrategy, clip: PlannedClip, source: OpenSource, claim: TempClaim | null,
): Promise<ClipRecord> {
  const { media } = source;
  const duration = clip.play.end - clip.play.start;
  let started = Date.now();
  let dir: string | null = null;
  try {
    // The cut and its check hold a clip slot (CPU); the upload does not, so
    // the next clip is cut while this one goes to the bucket. uploadPool
    // bounds how many cut clips wait in temp for their upload.
    const { tools, tempDir, output } = pipeline.backends;
    const { clipPool, uploadPool, clipTimeoutMs, clipMemory } = pipeline.limits;
    const cutAndCheck = async (threads: number) => {
      // A cancelled run publishes nothing: its queued clips stop here, before a temp folder or an ffmpeg.
      source.started();
      run.signal?.throwIfAborted();
      started = Date.now();
      dir = await mkdtemp(join(tempDir, "playclips-clip-"));
      claim?.folder(dir);
      const file = join(dir, "clip.mp4");
      const { maxHeight, maxFps, verify, toleranceSec } = pipeline.cut;
      const made = await mode.cut(tools, {
        input: source.input, start: clip.play.start, duration, output: file, timeoutMs: clipTimeoutMs, signal: run.signal,
        maxHeight, maxFps, verify, threads, ...source.reads,
      });
      // Checked by the mode that really made it (smart may have fallen back to exact).
      const expected = { file, duration, toleranceSec, stream: source.reads.stream, fps: media.video?.fps ?? 25 };
      const check = await (cutModeThatMade(made.mode) ?? mode).verify(tools, made, expected);
      return { made, check, file };
    };
    const admitted = () => {
      // Codec threads only matter to modes that encode (copy's decode check runs one thread).
      const { threads, release } = clipMemory && mode.memory.encodes
        ? threadsOnceAdmitted(clipMemory, source.memoryBytes, clipPool.size, source.threadBytes) : { threads: 1, release: () => {} };
      return clipPool.run(() => cutAndCheck(threads)).finally(release);
    };
    // Memory first: a clip waiting for room holds no slot another game's smaller clip could use.
    const cut = await (clipMemory ? clipMemory.run(source.memoryBytes, admitted) : admitted());
    const modeFields = {
      cutMode: cut.made.mode, offset: round(cut.made.offset), fallbackReason: cut.made.fallbackReason ?? null,
      ...(cut.made.videoOffsets ? { videoOffsets: cut.made.videoOffsets } : {}),
    };
    if (!cut.check.ok) {
      return record(clip, mode, { ...modeFields, reason: `clip failed its check: ${cut.check.reason}`, elapsedMs: Date.now() - started });
    }
    // Hashed before upload, so a later reader (dataset build) can tell a clip changed in the store.
    const sha256 = await hashFile(cut.file);
    const written = await uploadPool.run(() => output.write(clip.key, { file: cut.file }, { contentType: "video/mp4" }));
    source.temp.learn(tempSpan(clip, source), written.size);
    const info = cut.check.info;
    return record(clip, mode, {
      ...modeFields,
      status: "ok",
      actualStart: round(cut.made.actualStart),
      actualDuration: round(info.video?.duration ?? info.duration),
      bytes: written.size,
      sha256,
      elapsedMs: Date.now() - started,
      ...(written.retries && { uploadRetries: written.retries }),
    });
  } catch (error) {
    return record(clip, mode, { reason: errorMessage(error), elapsedMs: Date.now() - started });
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}
