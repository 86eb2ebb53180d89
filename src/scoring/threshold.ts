/**
 * Per-(miner, env) thresholds (docs/original.md §8.4): the score a later miner must strictly exceed to take an
 * environment from an earlier one. The gap is a z-scaled binomial standard error, bounded to
 * [minGap, maxGap], so noisy near-ties cannot flip priority.
 */
import type { ScoringParams, UidEnvTable } from './types.ts';

export type ThresholdParams = Pick<ScoringParams, 'zScore' | 'minGap' | 'maxGap'>;

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** threshold(prior, n) = min(prior + gap, 1.0); gap = maxGap when n ≤ 0. */
export function threshold(prior: number, sampleCount: number, params: ThresholdParams): number {
  let gap: number;
  if (sampleCount <= 0) {
    gap = params.maxGap;
  } else {
    const p = clamp(prior, 0.01, 0.99);
    const standardError = Math.sqrt((p * (1 - p)) / sampleCount);
    gap = clamp(params.zScore * standardError, params.minGap, params.maxGap);
  }
  return Math.min(prior + gap, 1.0);
}

/** Thresholds for every (uid, env) present in `scores`; absent entries stay absent. */
export function computeThresholds(scores: UidEnvTable, sampleCount: number, params: ThresholdParams): Map<number, Map<string, number>> {
  const out = new Map<number, Map<string, number>>();
  for (const [uid, byEnv] of scores) {
    const row = new Map<string, number>();
    for (const [env, score] of byEnv) row.set(env, threshold(score, sampleCount, params));
    out.set(uid, row);
  }
  return out;
}
