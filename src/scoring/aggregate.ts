/**
 * Per-(miner, env) aggregation of a cycle's finished episodes (docs/original.md §8.1), with real counts where
 * the original stores placeholders.
 *
 * - episodesCompleted: episodes that reached a result, errored ones included: an episode that
 *   failed because of the miner (timeout, bad action, crash) is the miner's failure.
 * - episodesFailed: completed episodes with success = false (errored ones included), so
 *   successRate = (completed − failed) / completed.
 * - episodesErrored: the subset of failed episodes whose result carries an error (diagnostics).
 * - meanReward: mean totalReward over all completed episodes.
 */

export interface EpisodeResult {
  uid: number;
  envId: string;
  success: boolean;
  totalReward: number;
  error: string | null;
}

export interface MinerEnvAggregate {
  uid: number;
  envId: string;
  successRate: number;
  meanReward: number;
  episodesCompleted: number;
  episodesFailed: number;
  episodesErrored: number;
}

/**
 * One aggregate per (uid, env) that has at least one result, ordered by uid, then by the env's
 * position in `environmentOrder` (unknown envs after, by id; by id when no order is given).
 */
export function aggregateEpisodes(results: Iterable<EpisodeResult>, environmentOrder: readonly string[] = []): MinerEnvAggregate[] {
  interface Acc {
    uid: number;
    envId: string;
    completed: number;
    successes: number;
    errored: number;
    rewardSum: number;
  }
  const groups = new Map<string, Acc>();
  for (const r of results) {
    if (!Number.isSafeInteger(r.uid)) throw new RangeError(`episode result uid ${r.uid} is not an integer`);
    if (!Number.isFinite(r.totalReward)) throw new RangeError(`episode result for uid ${r.uid} on ${r.envId} has a non-finite reward`);
    const key = `${r.uid}\u0000${r.envId}`;
    let acc = groups.get(key);
    if (!acc) groups.set(key, (acc = { uid: r.uid, envId: r.envId, completed: 0, successes: 0, errored: 0, rewardSum: 0 }));
    acc.completed++;
    if (r.success) acc.successes++;
    if (r.error !== null) acc.errored++;
    acc.rewardSum += r.totalReward;
  }
  const rank = new Map(environmentOrder.map((env, i) => [env, i]));
  const envRank = (env: string): number => rank.get(env) ?? environmentOrder.length;
  return [...groups.values()]
    .sort((a, b) => a.uid - b.uid || envRank(a.envId) - envRank(b.envId) || (a.envId < b.envId ? -1 : a.envId > b.envId ? 1 : 0))
    .map((a) => ({
      uid: a.uid,
      envId: a.envId,
      successRate: a.successes / a.completed,
      meanReward: a.rewardSum / a.completed,
      episodesCompleted: a.completed,
      episodesFailed: a.completed - a.successes,
      episodesErrored: a.errored,
    }));
}

/** uid → env → success rate, the scoring input. */
export function successRateTable(aggregates: Iterable<MinerEnvAggregate>): Map<number, Map<string, number>> {
  const table = new Map<number, Map<string, number>>();
  for (const a of aggregates) {
    let row = table.get(a.uid);
    if (!row) table.set(a.uid, (row = new Map()));
    row.set(a.envId, a.successRate);
  }
  return table;
}
