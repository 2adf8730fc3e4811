// Numbers as a reviewer reads them: short, fixed precision, units named.

/** Seconds as m:ss.s (h:mm:ss.s past an hour), the way a video player shows a position. */
export function clock(seconds: number): string {
  const tenths = Math.round(Math.max(0, seconds) * 10);
  const h = Math.floor(tenths / 36_000);
  const m = Math.floor((tenths % 36_000) / 600);
  const s = (tenths % 600) / 10;
  const ss = s.toFixed(1).padStart(4, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A duration in seconds with two decimals, e.g. "8.04 s". */
export function seconds(value: number | null): string {
  return value === null ? "—" : `${value.toFixed(2)} s`;
}

/** Milliseconds as "850 ms", "12.3 s" or "4 min 05 s". */
export function elapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
}

/** Bytes in binary units with three significant digits: "412 KB", "1.23 GB". */
export function bytes(value: number | null): string {
  if (value === null) return "—";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let n = value;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${n.toFixed(digits)} ${units[unit]}`;
}

/** An integer with thin-space thousands, e.g. "12 345". */
export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US").replace(/,/g, "\u202f");
}

/** An ISO time as "2026-11-29 17:34 UTC": the report may be read in any zone. */
export function utc(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
