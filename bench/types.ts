/** One row of the bench table. */
export interface Row {
  /** Workload name, e.g. `http: trivial route (64 conns)`. */
  name: string;
  ops_per_s?: number;
  p50_ms?: number;
  p99_ms?: number;
  peak_rss_mb?: number;
  /** Free text: ratios against a peer, sizes, caveats. */
  note?: string;
}

/** A bench module: `export async function run(args): Promise<Row[]>`. */
export type Bench = (args: string[]) => Promise<Row[]>;

/** Percentile of sorted-or-not latency samples (ms). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return 0;
  const s = [...samples].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Track this process's peak RSS while `fn` runs (sampled every 50 ms), in MB. */
export async function withPeakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage().rss);
    return { result, peakMb: Math.round(peak / 1048576) };
  } finally {
    clearInterval(timer);
  }
}
