/**
 * The coverage rule (pure): a cycle whose tasks largely could not run for infrastructure reasons
 * (executor faults, cancellations) publishes no weights. The original scored such outages as miner
 * failures, which hands nearly all weight to the earliest committer (docs/original.md §13.12).
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
   * `miner-error`: it ran and ended on a miner's error (timeout, bad action, refused endpoint…);
   * `not-run`: it never ran (cancelled with its cycle).
   */
  outcome: 'clean' | 'executor-fault' | 'miner-error' | 'not-run';
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
 * error-free, for a strict majority of the *other* miners that ran it, the difference is the miner's
 * actions: the task counts as a failed episode for that miner. Without this, a miner that can make the
 * simulator fail could drop the episodes it is losing, or (failing all of its tasks) push the cycle under
 * the coverage rule and block every miner's weights.
 *
 * "The other miners that ran it" counts every other miner whose task on the instance ran: clean runs,
 * runs that ended on the miner's own error, and runs that ended in an executor fault. Only clean runs
 * vote for charging. A miner-errored run proves nothing about the instance, so it weighs against
 * charging: with one clean run among four others (three errored), an honest miner whose episode hit a
 * real simulator bug is not charged on one witness. Tasks that never ran (cancelled) are not counted.
 * A fault shared by most miners on an instance, or with no miner to compare against, stays an
 * infrastructure fault.
 */
export function attributeExecutorFaults(tasks: readonly FinishedTaskFacts[]): FaultAttribution {
  const instanceKey = (task: FinishedTaskFacts) => `${task.envId}\u0000${task.episodeIndex}`;
  // A miner has one task per instance, so counting tasks counts miners.
  const byInstance = new Map<string, { ran: number; clean: number }>();
  for (const task of tasks) {
    if (task.outcome === 'not-run') continue;
    const key = instanceKey(task);
    const entry = byInstance.get(key) ?? { ran: 0, clean: 0 };
    entry.ran += 1;
    if (task.outcome === 'clean') entry.clean += 1;
    byInstance.set(key, entry);
  }
  const charged = new Set<number>();
  let uncharged = 0;
  tasks.forEach((task, index) => {
    if (task.outcome !== 'executor-fault') return;
    const entry = byInstance.get(instanceKey(task))!;
    const others = entry.ran - 1;
    // This task is a fault, so every clean run on the instance is another miner's.
    if (entry.clean > 0 && 2 * entry.clean > others) charged.add(index);
    else uncharged += 1;
  });
  return { charged, uncharged };
}
