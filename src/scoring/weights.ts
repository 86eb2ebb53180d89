/** Points → normalised weights (softmax, docs/original.md §8.6) → u16 chain values (docs/original.md §7.4). */

export const U16_MAX = 65535;

/**
 * Softmax of (points − max)/T over uids ascending. T ≤ 0 (or not finite) is an error; no miners →
 * empty; all points zero → uniform 1/n.
 */
export function pointsToWeights(points: ReadonlyMap<number, number>, temperature: number): Map<number, number> {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new RangeError(`temperature must be a finite number > 0, got ${temperature}`);
  const uids = [...points.keys()].sort((a, b) => a - b);
  const weights = new Map<number, number>();
  if (uids.length === 0) return weights;
  const values = uids.map((uid) => points.get(uid)!);
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`points must be finite, got ${v}`);
  if (values.every((v) => v === 0)) {
    for (const uid of uids) weights.set(uid, 1 / uids.length);
    return weights;
  }
  const max = Math.max(...values);
  const exps = values.map((v) => Math.exp((v - max) / temperature));
  const sum = exps.reduce((a, b) => a + b, 0);
  uids.forEach((uid, i) => weights.set(uid, exps[i]! / sum));
  return weights;
}

export interface U16Weights {
  uids: number[];
  values: number[];
}

/**
 * u16 values that sum to exactly 65535 (largest remainder method): normalise, floor w·65535, then
 * hand the leftover units to the largest fractional parts, ties to the lower uid. Output is by
 * ascending uid. All-zero weights → uniform. Negative or non-finite weights are errors.
 */
export function weightsToU16(weights: ReadonlyMap<number, number>): U16Weights {
  const uids = [...weights.keys()].sort((a, b) => a - b);
  if (uids.length === 0) return { uids: [], values: [] };
  let raw = uids.map((uid) => weights.get(uid)!);
  for (const w of raw) if (!Number.isFinite(w) || w < 0) throw new RangeError(`weights must be finite and ≥ 0, got ${w}`);
  let sum = raw.reduce((a, b) => a + b, 0);
  if (sum === 0) {
    raw = raw.map(() => 1);
    sum = raw.length;
  }
  const scaled = raw.map((w) => (w / sum) * U16_MAX);
  const values = scaled.map((x) => Math.min(Math.floor(x), U16_MAX));
  const leftover = U16_MAX - values.reduce((a, b) => a + b, 0);
  const byRemainder = uids.map((_, i) => i).sort((a, b) => scaled[b]! - values[b]! - (scaled[a]! - values[a]!) || uids[a]! - uids[b]!);
  // Σfloor ≤ Σx ≈ 65535, so 0 ≤ leftover ≤ n; the modulo only guards against float rounding.
  for (let r = 0; r < leftover; r++) values[byRemainder[r % byRemainder.length]!]!++;
  return { uids, values };
}

/**
 * The original's conversion, kept for reference and tests: entry order preserved, normalise by
 * the sum (sum ≤ 0 → uniform), value = floor(w·65535). Sums usually fall a few units short.
 */
export function weightsToU16Truncating(entries: Iterable<readonly [number, number]>): U16Weights {
  const list = [...entries];
  const uids = list.map(([uid]) => uid);
  const sum = list.reduce((a, [, w]) => a + w, 0);
  const normalised = sum <= 0 ? list.map(() => 1 / list.length) : list.map(([, w]) => w / sum);
  return { uids, values: normalised.map((w) => Math.floor(w * U16_MAX)) };
}
