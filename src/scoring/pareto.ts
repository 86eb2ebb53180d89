/**
 * ε-Pareto frontier (docs/original.md §8.3). Informational only: the original computes and logs it, and it
 * never influences weights. Missing scores count as 0.0.
 */
import type { UidEnvTable } from './types.ts';

const MIN_EPSILON = 0.01;
const MAX_EPSILON = 0.2;

/** ε for one environment: clip(2·std/√n, 0.01, 0.2) with the population std across miners; n ≤ 1 → 0.2. */
export function computeEpsilon(column: readonly number[], sampleCount: number): number {
  if (sampleCount <= 1) return MAX_EPSILON;
  let mean = 0;
  for (const v of column) mean += v;
  mean = column.length > 0 ? mean / column.length : 0;
  let variance = 0;
  for (const v of column) variance += (v - mean) ** 2;
  variance = column.length > 0 ? variance / column.length : 0;
  const eps = (2 * Math.sqrt(variance)) / Math.sqrt(sampleCount);
  return Math.min(Math.max(eps, MIN_EPSILON), MAX_EPSILON);
}

/** `a` ε-dominates `b`: a ≥ b − ε on every env and a > b + ε on at least one. */
export function epsilonDominates(a: ArrayLike<number>, b: ArrayLike<number>, epsilons: ArrayLike<number>): boolean {
  let strictlyBetterSomewhere = false;
  for (let e = 0; e < epsilons.length; e++) {
    if (a[e]! < b[e]! - epsilons[e]!) return false;
    if (a[e]! > b[e]! + epsilons[e]!) strictlyBetterSomewhere = true;
  }
  return strictlyBetterSomewhere;
}

export interface ParetoResult {
  /** uids dominated by nobody, ascending. */
  frontier: number[];
  /** env id → ε. Empty when there are no miners. */
  epsilons: Map<string, number>;
}

export function paretoFrontier(uids: readonly number[], environments: readonly string[], scores: UidEnvTable, sampleCount: number): ParetoResult {
  const epsilons = new Map<string, number>();
  if (uids.length === 0) return { frontier: [], epsilons };
  const rows = uids.map((uid) => environments.map((env) => scores.get(uid)?.get(env) ?? 0.0));
  const eps = environments.map((env, e) => {
    const value = computeEpsilon(
      rows.map((row) => row[e]!),
      sampleCount,
    );
    epsilons.set(env, value);
    return value;
  });
  const frontier: number[] = [];
  for (let i = 0; i < uids.length; i++) {
    let dominated = false;
    for (let j = 0; j < uids.length && !dominated; j++) {
      if (j !== i && epsilonDominates(rows[j]!, rows[i]!, eps)) dominated = true;
    }
    if (!dominated) frontier.push(uids[i]!);
  }
  frontier.sort((a, b) => a - b);
  return { frontier, epsilons };
}
