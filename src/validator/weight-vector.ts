/** The weight vector a published WeightsResponse puts on chain (pure: no I/O). */
import type { WeightsResponse } from './weights-source.ts';

/**
 * The vector to submit: `weights_u16` as published (uids sorted, uids beyond the subnet dropped), or —
 * for a backend that sends only floats — the floats max-upscaled to u16.
 */
export function prepareWeightVector(response: WeightsResponse, subnetN: number): { uids: number[]; values: number[]; dropped: number[] } | { skip: string } {
  let { uids, values } = response.weights_u16;
  if (uids.length !== values.length) return { skip: 'weights_u16 has different numbers of uids and values' };
  if (uids.length === 0 && Object.keys(response.weights).length > 0) {
    const entries = Object.entries(response.weights).map(([k, v]) => [Number(k), v] as const);
    if (entries.some(([k, v]) => !Number.isInteger(k) || k < 0 || v < 0)) return { skip: 'weights has invalid uids or negative values' };
    uids = entries.map(([k]) => k);
    values = maxUpscaleFloats(entries.map(([, v]) => v));
  }
  if (new Set(uids).size !== uids.length) return { skip: 'the published weights list a uid twice' };
  const dropped = uids.filter((u) => u >= subnetN);
  const pairs = uids
    .map((u, i) => [u, values[i]!] as const)
    .filter(([u]) => u < subnetN)
    .sort((a, b) => a[0] - b[0]);
  if (pairs.length === 0 || pairs.every(([, v]) => v === 0)) return { skip: 'no non-zero weights to set' };
  return { uids: pairs.map(([u]) => u), values: pairs.map(([, v]) => v), dropped };
}

function maxUpscaleFloats(values: number[]): number[] {
  const max = Math.max(...values);
  return max <= 0 ? values.map(() => 0) : values.map((v) => Math.round((v / max) * 65535));
}
