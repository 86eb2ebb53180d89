/**
 * A compact, JSON-serialisable account of who won which subsets and why. With E environments
 * there are 2^E − 1 subsets, too many to store one record each per cycle, so for every miner that
 * won at least one subset we keep: counts of subsets won by size, the single environments it won
 * outright, and up to `examplesPerMiner` worked examples — its largest won subsets (the ones worth
 * the most points), earliest in enumeration order first — each with the margins that decided it.
 * Miners that won nothing are only counted: their points are 0 and the result already lists them.
 */
import type { DuelTable } from './duels.ts';
import { compareSubsets, popcountTable, subsetWeight } from './subsets.ts';
import type { SubsetWeightScheme } from './types.ts';

export const DEFAULT_EXAMPLES_PER_MINER = 3;

export interface SubsetExample {
  envs: string[];
  points: number;
  /**
   * The tightest threshold of a strictly earlier committer that the winner had to clear, and by
   * how much it cleared it (> 0): min over earlier miners and envs of score(winner) − threshold.
   * null when nobody committed earlier.
   */
  beatEarlier: { uid: number; env: string; margin: number } | null;
  /**
   * The same-block-or-later miner that came closest to taking the subset: it needed to beat the
   * winner's threshold on every env and fell short by `shortfall` (≥ 0) on `env`, its worst one
   * (min over challengers of max over envs of threshold(winner) − score). null when none exist.
   */
  closestChallenger: { uid: number; env: string; shortfall: number } | null;
}

export interface MinerExplanation {
  uid: number;
  /** Block used for priority (an unknown block is 2^32); null when absent from the winner input. */
  firstBlock: number | null;
  /** Position in first-commit order (0 = first candidate). */
  priority: number;
  points: number;
  weight: number;
  subsetsWon: number;
  /** wonBySize[k − 1] = subsets of k environments won. */
  wonBySize: number[];
  /** Environments this miner won as single-environment subsets. */
  envsWonAlone: string[];
  examples: SubsetExample[];
}

export interface Explanation {
  environments: string[];
  subsetWeight: SubsetWeightScheme;
  /** 2^E − 1. */
  subsets: number;
  /** Points on offer when every subset has a winner. */
  pointsAvailable: number;
  /** Subsets nobody won (every candidate was defeated) and the points that went unawarded. */
  unclaimed: { subsets: number; points: number; bySize: number[] };
  examplesPerMiner: number;
  /** Miners that won no subset (not listed in `miners`). */
  minersWithoutWins: number;
  /** Miners that won at least one subset, ascending uid. */
  miners: MinerExplanation[];
}

function subsetExample(table: DuelTable, winner: number, subset: number, points: number): SubsetExample {
  const { m, e, score, threshold, groupStart, uids, environments } = table;
  const envIdx: number[] = [];
  for (let j = 0; j < e; j++) if (subset & (1 << j)) envIdx.push(j);

  let beatEarlier: SubsetExample['beatEarlier'] = null;
  for (let o = 0; o < groupStart[winner]!; o++) {
    for (const j of envIdx) {
      const margin = score[winner * e + j]! - threshold[o * e + j]!;
      if (beatEarlier === null || margin < beatEarlier.margin) beatEarlier = { uid: uids[o]!, env: environments[j]!, margin };
    }
  }
  let closestChallenger: SubsetExample['closestChallenger'] = null;
  for (let o = groupStart[winner]!; o < m; o++) {
    if (o === winner) continue;
    let worst = -Infinity;
    let worstEnv = 0;
    for (const j of envIdx) {
      const deficit = threshold[winner * e + j]! - score[o * e + j]!;
      if (deficit > worst) {
        worst = deficit;
        worstEnv = j;
      }
    }
    if (closestChallenger === null || worst < closestChallenger.shortfall) {
      closestChallenger = { uid: uids[o]!, env: environments[worstEnv]!, shortfall: worst };
    }
  }
  return { envs: envIdx.map((j) => environments[j]!), points, beatEarlier, closestChallenger };
}

/** Larger subsets first, then the original's enumeration order. */
function moreDecisive(a: number, b: number, sizes: Uint8Array): boolean {
  if (sizes[a] !== sizes[b]) return sizes[a]! > sizes[b]!;
  return compareSubsets(a, b) < 0;
}

export function explainWinners(
  table: DuelTable,
  winnerIndex: Int32Array,
  candidatePoints: Float64Array,
  weights: ReadonlyMap<number, number>,
  scheme: SubsetWeightScheme,
  examplesPerMiner = DEFAULT_EXAMPLES_PER_MINER,
): Explanation {
  const { m, e, uids, blocks, environments } = table;
  const sizes = popcountTable(e);
  const wonBySize = Array.from({ length: m }, () => new Array<number>(e).fill(0));
  const best = Array.from({ length: m }, () => [] as number[]);
  const unclaimedBySize = new Array<number>(e).fill(0);
  let unclaimedPoints = 0;
  let pointsAvailable = 0;

  for (let s = 1; s < winnerIndex.length; s++) {
    const size = sizes[s]!;
    pointsAvailable += subsetWeight(scheme, size);
    const c = winnerIndex[s]!;
    if (c < 0) {
      unclaimedBySize[size - 1]!++;
      unclaimedPoints += subsetWeight(scheme, size);
      continue;
    }
    wonBySize[c]![size - 1]!++;
    const list = best[c]!;
    if (examplesPerMiner <= 0) continue;
    if (list.length < examplesPerMiner) list.push(s);
    else if (moreDecisive(s, list[list.length - 1]!, sizes)) list[list.length - 1] = s;
    else continue;
    list.sort((a, b) => (moreDecisive(a, b, sizes) ? -1 : 1));
  }

  const miners: MinerExplanation[] = [];
  let minersWithoutWins = 0;
  for (let c = 0; c < m; c++) {
    const uid = uids[c]!;
    if (best[c]!.length === 0 && wonBySize[c]!.every((n) => n === 0)) {
      minersWithoutWins++;
      continue;
    }
    const envsWonAlone: string[] = [];
    for (let j = 0; j < e; j++) if (winnerIndex[1 << j] === c) envsWonAlone.push(environments[j]!);
    miners.push({
      uid,
      firstBlock: Number.isFinite(blocks[c]!) ? blocks[c]! : null,
      priority: c,
      points: candidatePoints[c]!,
      weight: weights.get(uid) ?? 0,
      subsetsWon: wonBySize[c]!.reduce((a, b) => a + b, 0),
      wonBySize: wonBySize[c]!,
      envsWonAlone,
      examples: best[c]!.map((s) => subsetExample(table, c, s, subsetWeight(scheme, sizes[s]!))),
    });
  }
  miners.sort((a, b) => a.uid - b.uid);
  return {
    environments: [...environments],
    subsetWeight: scheme,
    subsets: winnerIndex.length - 1,
    pointsAvailable,
    unclaimed: { subsets: unclaimedBySize.reduce((a, b) => a + b, 0), points: unclaimedPoints, bySize: unclaimedBySize },
    examplesPerMiner,
    minersWithoutWins,
    miners,
  };
}
