/** Shared by the API and TUI tests: a cycle's real scoring output (computeWeights), saved as the scheduler saves it. */
import { computeWeights } from '../../src/scoring/compute.ts';
import type { Store } from '../../src/store/index.ts';

/**
 * Scores `uids` on `envIds` (a made-up but varied success rate each), saves scores, weights, points and
 * the explanation at block 777, and completes the cycle.
 */
export function publishScores(store: Store, cycleId: number, uids: readonly number[], envIds: readonly string[]) {
  const miners = uids.map((uid, k) => ({ uid, firstBlock: 50 + k, scores: Object.fromEntries(envIds.map((e, j) => [e, ((uid * 3 + j * 5) % 7) / 6])) }));
  const res = computeWeights({ environments: [...envIds], episodesPerEnv: 2, miners });
  store.transaction(() => {
    store.results.save(cycleId, {
      scores: miners.flatMap((m) =>
        envIds.map((envId) => ({
          uid: m.uid,
          hotkey: `hk${m.uid}`,
          envId,
          successRate: m.scores[envId]!,
          meanReward: 0,
          episodesCompleted: 2,
          episodesFailed: 0,
        })),
      ),
      weights: Object.fromEntries(Object.entries(res.weights)),
      weightsU16: res.weightsU16,
      blockNumber: 777,
      points: Object.fromEntries(Object.entries(res.points)),
      explanation: res.explanation,
    });
    store.cycles.setMinerCount(cycleId, uids.length);
    store.cycles.complete(cycleId);
  });
  return res;
}
