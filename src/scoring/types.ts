/** Shared types and defaults of the scoring pipeline (docs/original.md §8). */

/** How many points a subset of k environments is worth (docs/original.md §8.5). */
export type SubsetWeightScheme = 'linear' | 'exponential' | 'equal';
export const SUBSET_WEIGHT_SCHEMES: readonly SubsetWeightScheme[] = ['linear', 'exponential', 'equal'];

export interface ScoringParams {
  /** Softmax temperature for points → weights; must be > 0. */
  temperature: number;
  /** z of the threshold gap z·√(p(1−p)/n). */
  zScore: number;
  minGap: number;
  maxGap: number;
  subsetWeight: SubsetWeightScheme;
}

export const DEFAULT_SCORING_PARAMS: Readonly<ScoringParams> = Object.freeze({
  temperature: 1.0,
  zScore: 1.5,
  minGap: 0.02,
  maxGap: 0.1,
  subsetWeight: 'linear',
});

/**
 * First-commit block used for a miner whose commitment block is unknown (docs/original.md §8.2): later than
 * any real block, so such a miner never has priority over one with a known block.
 */
export const UNKNOWN_FIRST_BLOCK = 2 ** 32;

/**
 * Subsets are bitmasks over the environment list and the winner search keeps one entry per subset
 * (2^E of them), so the environment count is bounded. The registry has 8; 20 leaves ample room.
 */
export const MAX_ENVIRONMENTS = 20;

/** uid → env id → value; an absent entry is "missing" (not the same as 0 for thresholds). */
export type UidEnvTable = ReadonlyMap<number, ReadonlyMap<string, number>>;

/** Input of the subset winners-take-all rule (docs/original.md §8.5). */
export interface WinnersInput {
  /** The miners; order is irrelevant. Must be distinct integers. */
  uids: readonly number[];
  /** Environment ids; bit i of a subset mask is environments[i]. */
  environments: readonly string[];
  /** Missing score → 0.0. */
  scores: UidEnvTable;
  /** Missing threshold → score(uid, env) + 0.02. */
  thresholds: UidEnvTable;
  /** First-commit block per uid; missing → +∞ (computeWeights maps unknown blocks to 2^32 first). */
  firstBlocks: ReadonlyMap<number, number>;
  subsetWeight?: SubsetWeightScheme;
}

export interface WinnersResult {
  /** Points per uid (every uid present, 0 included), keys ascending. */
  points: Map<number, number>;
  /** Winner uid for every subset mask (index 0 = empty subset), −1 where the subset has no winner. */
  winners: Int32Array;
}
