import { readdir, readFile, lstat } from "node:fs/promises";
import { join } from "node:path";

export interface Peaks {
  /** Highest sum of VmRSS over the process tree at one sample. */
  peakRssBytes: number;
  peakTempBytes: number;
  /** The processes at the peak RSS sample, largest first: "node 206, ffmpeg 155, …" (MiB). */
  peakRssParts: string;
  samples: number;
}

/**
 * Samples, every intervalMs, the summed resident memory of `pid` and all its
 * descendants (ffmpeg/ffprobe included) from /proc, and the apparent size of
 * everything under tempDir; keeps the peaks.
 */
export function monitor(pid: number, tempDir: string, intervalMs = 100): { stop(): Promise<Peaks> } {
  const peaks: Peaks = { peakRssBytes: 0, peakTempBytes: 0, peakRssParts: "", samples: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const [{ total: rss, parts }, temp] = await Promise.all([treeRss(pid), dirBytes(tempDir)]);
      if (rss > peaks.peakRssBytes) {
        peaks.peakRssBytes = rss;
        peaks.peakRssParts = parts.sort((a, b) => b.bytes - a.bytes).map((p) => `${p.name} ${(p.bytes / 2 ** 20).toFixed(0)}`).join(", ");
      }
      peaks.peakTempBytes = Math.max(peaks.peakTempBytes, temp);
      peaks.samples++;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peaks;
    },
  };
}

async function treeRss(root: number): Promise<{ total: number; parts: Array<{ name: string; bytes: number }> }> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const close = stat.lastIndexOf(")");
    if (close < 0) continue;
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    const pid = Number(entry);
    parents.set(ppid, [...(parents.get(ppid) ?? []), pid]);
  }
  let total = 0;
  const parts: Array<{ name: string; bytes: number }> = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() as number;
    queue.push(...(parents.get(pid) ?? []));
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
    if (!kb) continue;
    total += Number(kb) * 1024;
    parts.push({ name: /^Name:\s+(\S+)/m.exec(status)?.[1] ?? "?", bytes: Number(kb) * 1024 });
  }
  return { total, parts };
}

/** Apparent bytes of all files under dir (files vanish mid-walk: ignored). */
export async function dirBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(path);
    else total += await lstat(path).then((s) => s.size, () => 0);
  }
  return total;
}
