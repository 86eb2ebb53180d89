/**
 * The whole scoring step of a cycle (docs/original.md §8.2): thresholds → ε-Pareto frontier (informational)
 * → subset winners-take-all points → softmax weights → u16 chain values, plus an explanation.
 */
import { buildDuelTable } from './duels.ts';
import { DEFAULT_EXAMPLES_PER_MINER, explainWinners, type Explanation } from './explain.ts';
import { paretoFrontier } from './pareto.ts';
import { computeThresholds } from './threshold.ts';
import { DEFAULT_SCORING_PARAMS, MAX_ENVIRONMENTS, SUBSET_WEIGHT_SCHEMES, UNKNOWN_FIRST_BLOCK, type ScoringParams } from './types.ts';
import { pointsToWeights, weightsToU16, type U16Weights } from './weights.ts';
import { pointsFromWinners, solveSubsetWinners } from './winners.ts';

export interface MinerScoresInput {
  uid: number;
  /** Block of the miner's (latest) commitment; null when unknown (ranks last, as block 2^32). */
  firstBlock: number | null;
  /** env id → success rate. An absent env is "missing": score 0.0 and threshold 0.02. */
  scores: Readonly<Record<string, number>>;
}

export interface ComputeWeightsInput {
  /** Environment ids in registry order (the subset enumeration order). */
  environments: readonly string[];
  /** Sample count behind each success rate (threshold standard error, Pareto ε). */
  episodesPerEnv: number;
  miners: readonly MinerScoresInput[];
  params?: Partial<ScoringParams>;
  /** Worked examples per miner in the explanation (default 3). */
  examplesPerMiner?: number;
}

export interface ComputeWeightsResult {
  params: ScoringParams;
  /** uid → points; keys ascending. */
  points: Record<number, number>;
  /** uid → weight (sums to 1 unless empty). */
  weights: Record<number, number>;
  /** Ascending uid; values sum to exactly 65535 unless empty. */
  weightsU16: U16Weights;
  /** ε-Pareto frontier uids, ascending (informational, as in the original). */
  frontier: number[];
  /** env id → ε. */
  epsilons: Record<string, number>;
  /** uid → env → threshold, for every score present in the input. */
  thresholds: Record<number, Record<string, number>>;
  explanation: Explanation;
}

export function resolveScoringParams(params: Partial<ScoringParams> = {}): ScoringParams {
  const p: ScoringParams = { ...DEFAULT_SCORING_PARAMS, ...params };
  if (!(p.temperature > 0) || !Number.isFinite(p.temperature)) throw new RangeError(`temperature must be a finite number > 0, got ${p.temperature}`);
  for (const key of ['zScore', 'minGap', 'maxGap'] as const) {
    if (!Number.isFinite(p[key])) throw new RangeError(`${key} must be a finite number, got ${p[key]}`);
  }
  if (p.minGap > p.maxGap) throw new RangeError(`minGap (${p.minGap}) must not exceed maxGap (${p.maxGap})`);
  if (!SUBSET_WEIGHT_SCHEMES.includes(p.subsetWeight)) throw new RangeError(`unknown subsetWeight ${JSON.stringify(p.subsetWeight)}`);
  return p;
}

function checkInput(input: ComputeWeightsInput): void {
  const envs = new Set(input.environments);
  if (envs.size !== input.environments.length) throw new RangeError('duplicate environment ids');
  if (envs.size > MAX_ENVIRONMENTS) throw new RangeError(`${envs.size} environments: at most ${MAX_ENVIRONMENTS} are supported`);
  if (!Number.isFinite(input.episodesPerEnv)) throw new RangeError(`episodesPerEnv must be finite, got ${input.episodesPerEnv}`);
  const uids = new Set<number>();
  for (const miner of input.miners) {
    if (!Number.isSafeInteger(miner.uid) || miner.uid < 0) throw new RangeError(`uid ${miner.uid} is not a non-negative integer`);
    if (uids.has(miner.uid)) throw new RangeError(`duplicate uid ${miner.uid}`);
    uids.add(miner.uid);
    if (miner.firstBlock !== null && (!Number.isSafeInteger(miner.firstBlock) || miner.firstBlock < 0)) {
      throw new RangeError(`uid ${miner.uid}: firstBlock ${miner.firstBlock} is not a non-negative integer`);
    }
    for (const [env, score] of Object.entries(miner.scores)) {
      if (!envs.has(env)) throw new RangeError(`uid ${miner.uid}: score for unknown environment ${JSON.stringify(env)}`);
      if (!Number.isFinite(score)) throw new RangeError(`uid ${miner.uid}: score for ${env} is not finite`);
    }
  }
}

export function computeWeights(input: ComputeWeightsInput): ComputeWeightsResult {
  const params = resolveScoringParams(input.params);
  checkInput(input);
  const { environments, episodesPerEnv } = input;
  const uids = input.miners.map((m) => m.uid);
  const scores = new Map(input.miners.map((m) => [m.uid, new Map(Object.entries(m.scores))]));
  const thresholds = computeThresholds(scores, episodesPerEnv, params);
  const { frontier, epsilons } = paretoFrontier(uids, environments, scores, episodesPerEnv);
  const firstBlocks = new Map(input.miners.map((m) => [m.uid, m.firstBlock ?? UNKNOWN_FIRST_BLOCK]));

  const table = buildDuelTable({ uids, environments, scores, thresholds, firstBlocks });
  const winnerIndex = solveSubsetWinners(table);
  const candidatePoints = pointsFromWinners(table, winnerIndex, params.subsetWeight);
  const pointsMap = new Map<number, number>();
  table.uids.forEach((uid, c) => pointsMap.set(uid, candidatePoints[c]!));
  const weights = pointsToWeights(pointsMap, params.temperature);
  const explanation = explainWinners(table, winnerIndex, candidatePoints, weights, params.subsetWeight, input.examplesPerMiner ?? DEFAULT_EXAMPLES_PER_MINER);

  const byUid = <V>(map: ReadonlyMap<number, V>): Record<number, V> => Object.fromEntries([...map].sort((a, b) => a[0] - b[0]));
  return {
    params,
    points: byUid(pointsMap),
    weights: byUid(weights),
    weightsU16: weightsToU16(weights),
    frontier,
    epsilons: Object.fromEntries(epsilons),
    thresholds: byUid(new Map([...thresholds].map(([uid, row]) => [uid, Object.fromEntries(row)]))),
    explanation,
  };
}
