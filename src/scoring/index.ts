/** Scoring (docs/original.md §7.4, §8): pure functions from per-episode results to chain weights. */
export * from './types.ts';
export { aggregateEpisodes, successRateTable, type EpisodeResult, type MinerEnvAggregate } from './aggregate.ts';
export { threshold, computeThresholds, type ThresholdParams } from './threshold.ts';
export { computeEpsilon, epsilonDominates, paretoFrontier, type ParetoResult } from './pareto.ts';
export { subsetWeight, totalSubsetPoints, compareSubsets, maskToEnvs } from './subsets.ts';
export { buildDuelTable, type DuelTable } from './duels.ts';
export { findSubsetWinners, solveSubsetWinners, pointsFromWinners } from './winners.ts';
export { findSubsetWinnersReference } from './winners-reference.ts';
export { pointsToWeights, weightsToU16, weightsToU16Truncating, U16_MAX, type U16Weights } from './weights.ts';
export { explainWinners, DEFAULT_EXAMPLES_PER_MINER, type Explanation, type MinerExplanation, type SubsetExample } from './explain.ts';
export { computeWeights, resolveScoringParams, type ComputeWeightsInput, type ComputeWeightsResult, type MinerScoresInput } from './compute.ts';
