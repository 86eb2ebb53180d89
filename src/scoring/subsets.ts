/** Helpers for environment subsets represented as bitmasks (bit i = environments[i]). */
import type { SubsetWeightScheme } from './types.ts';

/** Points a subset of `size` environments is worth: LINEAR k, EXPONENTIAL 2^(k−1), EQUAL 1. */
export function subsetWeight(scheme: SubsetWeightScheme, size: number): number {
  switch (scheme) {
    case 'linear':
      return size;
    case 'exponential':
      return 2 ** (size - 1);
    case 'equal':
      return 1;
    default:
      throw new RangeError(`unknown subset weight scheme ${JSON.stringify(scheme)}`);
  }
}

/** Total points handed out when every one of the 2^E − 1 subsets has a winner. */
export function totalSubsetPoints(scheme: SubsetWeightScheme, envCount: number): number {
  let total = 0;
  let combinations = 1; // C(E, 0)
  for (let k = 1; k <= envCount; k++) {
    combinations = (combinations * (envCount - k + 1)) / k;
    total += combinations * subsetWeight(scheme, k);
  }
  return total;
}

/** popcount for every mask below 2^bits. */
export function popcountTable(bits: number): Uint8Array {
  const table = new Uint8Array(1 << bits);
  for (let s = 1; s < table.length; s++) table[s] = table[s >> 1]! + (s & 1);
  return table;
}

export function popcount(mask: number): number {
  let x = mask - ((mask >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function maskToEnvs(mask: number, environments: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < environments.length; i++) if (mask & (1 << i)) out.push(environments[i]!);
  return out;
}

/**
 * Orders subsets the way the original enumerates them: by size, then lexicographically by their
 * sorted environment indices. For equal sizes the subset holding the lowest differing index
 * comes first.
 */
export function compareSubsets(a: number, b: number): number {
  if (a === b) return 0;
  const sizeDiff = popcount(a) - popcount(b);
  if (sizeDiff !== 0) return sizeDiff;
  const lowestDifference = (a ^ b) & -(a ^ b);
  return a & lowestDifference ? -1 : 1;
}
