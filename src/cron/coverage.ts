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
