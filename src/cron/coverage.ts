/**
 * The coverage rule (pure): a cycle whose tasks largely could not run for infrastructure reasons
 * (executor faults, cancellations) publishes no weights. The original scored such outages as miner
 * failures, which hands nearly all weight to the earliest committer (§13.12).
 */
export interface CoverageInput {
  totalTasks: number;
  /** Tasks that ended without a miner-attributable result. */
  infraFailedTasks: number;
}

export interface CoverageVerdict {
  ok: boolean;
  /** Fraction of tasks that produced a result attributable to the miner. */
  coverage: number;
  message: string;
}

export function assessCoverage(input: CoverageInput, minCoverage: number): CoverageVerdict {
  if (input.totalTasks === 0) return { ok: false, coverage: 0, message: 'Cycle has no tasks' };
  const coverage = (input.totalTasks - input.infraFailedTasks) / input.totalTasks;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  if (coverage + 1e-12 < minCoverage) {
    return {
      ok: false,
      coverage,
      message: `Insufficient coverage: ${input.infraFailedTasks} of ${input.totalTasks} tasks could not be run for infrastructure reasons (coverage ${pct(coverage)} < required ${pct(minCoverage)}); no weights published`,
    };
  }
  return { ok: true, coverage, message: `coverage ${pct(coverage)}` };
}

/** What the attribution rule needs to know about one finished task of a cycle. */
export interface FinishedTaskFacts {
  uid: number;
  envId: string;
  episodeIndex: number;
  /**
   * `clean`: the episode ran to its end (success or step limit) with no error at all;
   * `executor-fault`: it exhausted its retry budget on executor faults (worker crashes, simulator errors);
   * `other`: anything else (a miner error, a cancelled task), which proves nothing about the instance.
   */
  outcome: 'clean' | 'executor-fault' | 'other';
}

export interface FaultAttribution {
  /** Indexes (into the input) of executor-faulted tasks charged to their miner as failed episodes. */
  charged: Set<number>;
  /** Executor-faulted tasks left as infrastructure failures (not scored; counted by the coverage rule). */
  uncharged: number;
}

/**
 * Decides which executor faults are really the miner's doing. Every miner of a cycle faces the same task
 * instances (env, episode index → same seed), the simulator is deterministic, and a faulted task has been
 * retried up to its attempt budget. So when an instance kept failing for one miner but ran to its end,
 * error-free, for a strict majority of the other miners, the difference is the miner's actions: the task
 * counts as a failed episode for that miner. Without this, a miner that can make the simulator fail could drop
 * the episodes it is losing, or (failing all of its tasks) push the cycle under the coverage rule and
 * block every miner's weights. A fault shared by most miners on an instance stays an infrastructure fault.
 */
export function attributeExecutorFaults(tasks: readonly FinishedTaskFacts[]): FaultAttribution {
  const instanceKey = (task: FinishedTaskFacts) => `${task.envId}\u0000${task.episodeIndex}`;
  // A miner has one task per instance, so counting tasks counts miners.
  const byInstance = new Map<string, { clean: number; faulted: number }>();
  for (const task of tasks) {
    if (task.outcome === 'other') continue;
    const key = instanceKey(task);
    const entry = byInstance.get(key) ?? { clean: 0, faulted: 0 };
    if (task.outcome === 'executor-fault') entry.faulted += 1;
    else entry.clean += 1;
    byInstance.set(key, entry);
  }
  const charged = new Set<number>();
  let uncharged = 0;
  tasks.forEach((task, index) => {
    if (task.outcome !== 'executor-fault') return;
    const entry = byInstance.get(instanceKey(task))!;
    const othersClean = entry.clean;
    const othersFaulted = entry.faulted - 1;
    if (othersClean > 0 && othersClean > othersFaulted) charged.add(index);
    else uncharged += 1;
  });
  return { charged, uncharged };
}
