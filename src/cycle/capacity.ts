/**
 * The capacity model (pure): how long a cycle's remaining episodes take, from what was measured —
 * each miner's time per step, how many of its episodes run at once, how long its episodes are — and
 * from what the executors can carry. The scheduler evaluates it when a cycle starts and while it
 * runs (cycle.ts), shows it in `/v1/status` and the TUI, and warns when the cycle cannot finish
 * before its timeout. docs/executors.md derives its sizing table (miners per box per hour, remote
 * executors per subnet) from the same formulas.
 *
 * The model is a set of bottlenecks; the cycle takes as long as the slowest:
 *  - each miner: its remaining episodes run `concurrency` at a time, each `steps` long, a step taking
 *    the miner's latency plus our own turnaround (`stepMs`, measured as one step's wall time):
 *      ceil(episodes / concurrency) × steps × stepMs;
 *  - the executors' CPU: every remaining step costs `cpuPerStepMs` of one of `cores` threads:
 *      Σ episodes × steps × cpuPerStepMs / cores;
 *  - the executors' episode slots: no more than `slots` episodes run at once:
 *      Σ episodes × steps × stepMs / slots.
 */

export interface MinerWorkload {
  uid: number;
  /** Episodes not finished yet (pending or running). */
  remainingEpisodes: number;
  /** Expected steps per episode (measured mean, else the configured maximum). */
  stepsPerEpisode: number;
  /** Wall time of one step of this miner's episodes (its latency + our turnaround), ms. */
  stepMs: number;
  /** Episodes of this miner the executors run at once. */
  concurrency: number;
  /** Which figures were measured (vs. assumed), for the display. */
  measured: { steps: boolean; stepMs: boolean };
}

export interface ExecutorCapacity {
  /** Threads that simulate and render (in-process worker threads). */
  cores: number;
  /** CPU per step across the executor's threads (worker + miner I/O), ms. */
  cpuPerStepMs: number;
  /** Episodes the executors run at once at most. */
  slots: number;
}

export interface CycleEstimateInput {
  miners: readonly MinerWorkload[];
  executor: ExecutorCapacity;
  /** Seconds since the cycle started (0 before it does). */
  elapsedSeconds: number;
  timeoutSeconds: number;
}

export interface CycleEstimate {
  /** Estimated total duration of the cycle (elapsed + remaining), seconds. */
  totalSeconds: number;
  remainingSeconds: number;
  timeoutSeconds: number;
  /** False when the estimate exceeds the timeout: the cycle will fail unless something changes. */
  fits: boolean;
  bottleneck: 'miner' | 'executor-cpu' | 'executor-slots' | 'none';
  /** The miner whose own episodes take longest, and how long (seconds). */
  slowestMiner: { uid: number; seconds: number } | null;
  executorCpuSeconds: number;
  executorSlotSeconds: number;
  remainingEpisodes: number;
  remainingSteps: number;
}

/** Seconds a miner's remaining episodes take on their own (its latency and concurrency). */
export function minerSeconds(m: MinerWorkload): number {
  if (m.remainingEpisodes <= 0) return 0;
  return (Math.ceil(m.remainingEpisodes / Math.max(1, m.concurrency)) * m.stepsPerEpisode * m.stepMs) / 1000;
}

export function estimateCycle(input: CycleEstimateInput): CycleEstimate {
  let slowest: { uid: number; seconds: number } | null = null;
  let steps = 0;
  let episodes = 0;
  let episodeStepMs = 0;
  for (const m of input.miners) {
    if (m.remainingEpisodes <= 0) continue;
    const seconds = minerSeconds(m);
    if (!slowest || seconds > slowest.seconds) slowest = { uid: m.uid, seconds };
    episodes += m.remainingEpisodes;
    steps += m.remainingEpisodes * m.stepsPerEpisode;
    episodeStepMs += m.remainingEpisodes * m.stepsPerEpisode * m.stepMs;
  }
  const e = input.executor;
  const cpu = (steps * e.cpuPerStepMs) / Math.max(1, e.cores) / 1000;
  const slotSeconds = episodeStepMs / Math.max(1, e.slots) / 1000;
  const minerBound = slowest?.seconds ?? 0;
  const remaining = Math.max(minerBound, cpu, slotSeconds);
  const bottleneck: CycleEstimate['bottleneck'] =
    remaining === 0 ? 'none' : remaining === minerBound ? 'miner' : remaining === cpu ? 'executor-cpu' : 'executor-slots';
  const total = input.elapsedSeconds + remaining;
  return {
    totalSeconds: total,
    remainingSeconds: remaining,
    timeoutSeconds: input.timeoutSeconds,
    fits: total <= input.timeoutSeconds,
    bottleneck,
    slowestMiner: slowest,
    executorCpuSeconds: cpu,
    executorSlotSeconds: slotSeconds,
    remainingEpisodes: episodes,
    remainingSteps: steps,
  };
}

/**
 * Sizing (for the docs and `npm run bench -- cycle --model`): episodes one miner completes per hour,
 * and miners one box evaluates per hour when each brings `episodesPerCycle` episodes.
 */
export function minerEpisodesPerHour(stepsPerEpisode: number, stepMs: number, concurrency: number): number {
  return (3_600_000 * concurrency) / (stepsPerEpisode * stepMs);
}

/** Miners whose whole cycle (`episodesPerCycle` episodes) one executor box completes per hour, CPU-bound. */
export function minersPerBoxHour(episodesPerCycle: number, stepsPerEpisode: number, cpuPerStepMs: number, cores: number): number {
  return (3_600_000 * cores) / (episodesPerCycle * stepsPerEpisode * cpuPerStepMs);
}

/** Serialized for `/v1/status` (`cycle_estimate`) and the TUI. */
export function estimateJson(cycleId: number, phase: 'start' | 'running', at: Date, e: CycleEstimate): Record<string, unknown> {
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    cycle_id: cycleId,
    phase,
    computed_at: at.toISOString(),
    estimated_seconds: round(e.totalSeconds),
    remaining_seconds: round(e.remainingSeconds),
    timeout_seconds: e.timeoutSeconds,
    fits: e.fits,
    bottleneck: e.bottleneck,
    slowest_miner_uid: e.slowestMiner?.uid ?? null,
    slowest_miner_seconds: e.slowestMiner ? round(e.slowestMiner.seconds) : null,
    executor_cpu_seconds: round(e.executorCpuSeconds),
    remaining_episodes: e.remainingEpisodes,
  };
}
