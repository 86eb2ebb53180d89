/**
 * Feature statistics of a LeRobot dataset (meta/stats.json and the episodes' stats/<feature>/<stat>),
 * with LeRobot's compute_stats.py semantics: min, max, mean, std, count and quantiles per feature,
 * per episode, then aggregated over episodes. The writer is lerobot.ts.
 */

export const QUANTILES = [0.01, 0.1, 0.5, 0.9, 0.99];
export const QUANTILE_KEYS = QUANTILES.map((q) => `q${String(Math.round(q * 100)).padStart(2, '0')}`);

/** Statistics of one feature: per channel for vectors, per channel as [c][1][1] for images. */
export type Stats = Record<string, number[] | number[][][]>;

/** numpy's default (linear) quantile of sorted values. */
function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/** Per-column min/max/mean/std/count/quantiles of a rows × width matrix (row-major). */
export function vectorStats(values: ArrayLike<number>, rows: number, width: number): Stats {
  const out: Stats = { min: [], max: [], mean: [], std: [], count: [rows] };
  for (const key of QUANTILE_KEYS) out[key] = [];
  const column = new Float64Array(rows);
  for (let j = 0; j < width; j++) {
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < rows; i++) {
      const v = Number(values[i * width + j]);
      column[i] = v;
      sum += v;
      sumSq += v * v;
    }
    column.sort();
    const mean = sum / rows;
    (out.min as number[]).push(column[0]!);
    (out.max as number[]).push(column[rows - 1]!);
    (out.mean as number[]).push(mean);
    (out.std as number[]).push(Math.sqrt(Math.max(0, sumSq / rows - mean * mean)));
    QUANTILES.forEach((q, k) => (out[QUANTILE_KEYS[k]!] as number[]).push(quantileSorted(column, q)));
  }
  return out;
}

/** LeRobot's `estimate_num_samples` / `sample_indices`: which frames of an episode image stats look at. */
export function sampleIndices(length: number): number[] {
  const minSamples = Math.min(100, length);
  const n = Math.max(minSamples, Math.min(Math.floor(length ** 0.75), 10_000));
  if (n <= 1) return [0];
  // np.round(np.linspace(0, length - 1, n)): round half to even, like numpy.
  return Array.from({ length: n }, (_, i) => {
    const x = (i * (length - 1)) / (n - 1);
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 === 1 ? r - 1 : r;
  });
}

/** Per-channel stats of sampled HWC uint8 frames, scaled to [0, 1], shaped (3, 1, 1) like LeRobot's. */
export function imageStats(frames: readonly Uint8Array[]): Stats {
  const picks = sampleIndices(frames.length).map((i) => frames[i]!);
  const hist = [new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  for (const f of picks) for (let p = 0; p < f.length; p += 3) for (let c = 0; c < 3; c++) hist[c]![f[p + c]!]!++;
  const wrap = (v: number[]) => v.map((x) => [[x / 255]]);
  const per = hist.map((h) => {
    let n = 0,
      sum = 0,
      sumSq = 0,
      min = 255,
      max = 0;
    for (let v = 0; v < 256; v++) {
      const k = h[v]!;
      if (k === 0) continue;
      n += k;
      sum += k * v;
      sumSq += k * v * v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    const mean = sum / n;
    // The k-th smallest value from the histogram (exact for uint8).
    const nth = (k: number) => {
      let seen = 0;
      for (let v = 0; v < 256; v++) {
        seen += h[v]!;
        if (seen > k) return v;
      }
      return 255;
    };
    const quantile = (q: number) => {
      const pos = q * (n - 1);
      const lo = Math.floor(pos);
      return nth(lo) + (pos - lo) * (nth(Math.min(n - 1, lo + 1)) - nth(lo));
    };
    return { min, max, mean, std: Math.sqrt(Math.max(0, sumSq / n - mean * mean)), q: QUANTILES.map(quantile) };
  });
  const out: Stats = {
    min: wrap(per.map((p) => p.min)),
    max: wrap(per.map((p) => p.max)),
    mean: wrap(per.map((p) => p.mean)),
    std: wrap(per.map((p) => p.std)),
    count: [picks.length],
  };
  QUANTILE_KEYS.forEach((key, k) => (out[key] = wrap(per.map((p) => p.q[k]!))));
  return out;
}

/** LeRobot's `aggregate_feature_stats`: pooled mean/std, min/max, and quantile envelopes (min below the median, max above). */
export function aggregateStats(list: Stats[]): Stats {
  const flat = (s: Stats, key: string) => (s[key] as unknown[]).flat(2) as number[];
  const counts = list.map((s) => (s.count as number[])[0]!);
  const total = counts.reduce((a, b) => a + b, 0);
  const width = flat(list[0]!, 'mean').length;
  const nested = Array.isArray((list[0]!.mean as unknown[])[0]);
  const shape = (v: number[]) => (nested ? v.map((x) => [[x]]) : v);
  const mean = Array.from({ length: width }, (_, j) => list.reduce((m, s, i) => m + flat(s, 'mean')[j]! * counts[i]!, 0) / total);
  const variance = Array.from(
    { length: width },
    (_, j) => list.reduce((m, s, i) => m + (flat(s, 'std')[j]! ** 2 + (flat(s, 'mean')[j]! - mean[j]!) ** 2) * counts[i]!, 0) / total,
  );
  const out: Stats = {
    min: shape(Array.from({ length: width }, (_, j) => Math.min(...list.map((s) => flat(s, 'min')[j]!)))),
    max: shape(Array.from({ length: width }, (_, j) => Math.max(...list.map((s) => flat(s, 'max')[j]!)))),
    mean: shape(mean),
    std: shape(variance.map(Math.sqrt)),
    count: [total],
  };
  QUANTILE_KEYS.forEach((key, k) => {
    const pick = QUANTILES[k]! <= 0.5 ? Math.min : Math.max;
    out[key] = shape(Array.from({ length: width }, (_, j) => pick(...list.map((s) => flat(s, key)[j]!))));
  });
  return out;
}
