/**
 * Feeds the capacity model (capacity.ts) for a cycle: remaining episodes per miner from the store,
 * latencies, step times and concurrency from the executors' measurements (falling back to what the
 * cycle's results report, then to stated assumptions), and the executors' CPU per step.
 */
import type { CycleRow, Store } from '../store/index.ts';
import { estimateCycle, estimateJson, type CycleEstimate, type MinerWorkload } from './capacity.ts';

/** What the executors measured (the appliance maps its pool's figures to this). */
export interface ExecutorMeasures {
  /** Threads that simulate and render. */
  cores: number;
  /** CPU per step of those threads, their miner I/O included (ms); null until measured. */
  cpuPerStepMs: number | null;
  /** Episodes the executors run at once at most. */
  slots: number;
  /** What was measured about one miner endpoint; null when it has not run yet. */
  miner(endpoint: string): { latencyMs: number | null; stepMs: number | null; concurrency: number } | null;
}

export interface CapacityAssumptions {
  /** Steps per episode before any finished (default: the configured maximum, i.e. no early successes). */
  maxSteps: number;
  /** CPU per step before it is measured (default 1.5 ms: the measured figure on a 2-core box). */
  cpuPerStepMs: number;
  /** A miner's latency before it is measured (default 20 ms). */
  latencyMs: number;
  /** Episodes of a miner at once before its capacity is known (default 1). */
  concurrency: number;
  /** Simulating threads when no executor reports (default 1). */
  cores: number;
  /** Episode slots when no executor reports (default 16). */
  slots: number;
}

export interface EstimateReport {
  estimate: CycleEstimate;
  json: Record<string, unknown>;
}

export class CapacityMonitor {
  private readonly assume: CapacityAssumptions;

  constructor(
    private readonly store: Store,
    private readonly executors: () => ExecutorMeasures | null,
    assumptions: Partial<CapacityAssumptions> & { maxSteps: number },
  ) {
    this.assume = { cpuPerStepMs: 1.5, latencyMs: 20, concurrency: 1, cores: 1, slots: 16, ...assumptions };
  }

  estimate(cycle: CycleRow, timeoutSeconds: number, phase: 'start' | 'running', now: Date): EstimateReport {
    const progress = this.store.tasks.minerProgress(cycle.id);
    const executors = this.executors();
    const cpu = executors?.cpuPerStepMs ?? this.assume.cpuPerStepMs;
    // Steps per episode: this miner's finished episodes, else everyone's, else the maximum.
    let allSteps = 0;
    let allResults = 0;
    for (const p of progress) {
      if (p.meanSteps !== null) {
        allSteps += p.meanSteps * p.results;
        allResults += p.results;
      }
    }
    const globalSteps = allResults >= 3 ? allSteps / allResults : null;
    const miners: MinerWorkload[] = progress.map((p) => {
      const measured = executors?.miner(p.endpoint) ?? null;
      const ownSteps = p.results >= 3 ? p.meanSteps : null;
      const latency = measured?.latencyMs ?? p.meanLatencyMs;
      // A step's wall time: measured, else the miner's latency plus our CPU per step.
      const stepMs = measured?.stepMs ?? (latency ?? this.assume.latencyMs) + cpu;
      return {
        uid: p.uid,
        remainingEpisodes: p.remaining,
        stepsPerEpisode: Math.max(1, ownSteps ?? globalSteps ?? this.assume.maxSteps),
        stepMs,
        concurrency: measured?.concurrency ?? this.assume.concurrency,
        measured: { steps: ownSteps !== null || globalSteps !== null, stepMs: measured?.stepMs != null || latency !== null },
      };
    });
    const elapsed = Math.max(0, (now.getTime() - Date.parse(cycle.startedAt)) / 1000);
    const estimate = estimateCycle({
      miners,
      executor: { cores: executors?.cores || this.assume.cores, cpuPerStepMs: cpu, slots: executors?.slots || this.assume.slots },
      elapsedSeconds: phase === 'start' ? 0 : elapsed,
      timeoutSeconds,
    });
    return { estimate, json: estimateJson(cycle.id, phase, now, estimate) };
  }
}
