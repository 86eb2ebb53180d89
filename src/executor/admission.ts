/**
 * Admission control for an executor worker (pure): how many episodes it may run at once, from what
 * was measured — its CPU per step, each miner's latency, and how late its miner I/O thread runs —
 * rather than from a fixed number.
 *
 * The model: an episode alternates between our CPU (c ms per step: physics, cameras, encoding) and
 * its miner (L ms). Alone it keeps the worker busy a fraction c / (c + L) of the time: its *demand*.
 * A worker admits a new episode while
 *  - the summed demand stays within `targetLoad` (1 = just busy; above it keeps the CPU fed while
 *    answers arrive at random, at the price of a short queue);
 *  - one full round of its episodes (n × c) fits in `turnaroundBudgetMs`, so an episode never waits
 *    long behind its neighbours (a burst of answers arriving together is served within that time);
 *  - and, when its miner I/O thread starts running late (the machine has less CPU than the workers
 *    think: other processes, co-located miners), the limits shrink until it keeps up again.
 * Our own waiting is never charged to a miner (the I/O thread times the miner alone); admission keeps
 * that thread, and any miner sharing the machine, supplied with CPU, and keeps episodes moving.
 */

export interface AdmissionSettings {
  /** Summed demand a worker may carry (default 3). */
  targetLoad: number;
  /** Longest our round over a worker's episodes may take (default 10 % of the act deadline). */
  turnaroundBudgetMs: number;
  /** Hard cap per worker (memory, connections). */
  maxPerWorker: number;
  /** CPU per step assumed until measured (default 2 ms). */
  defaultCpuPerStepMs: number;
  /** Latency assumed for a miner not measured yet (default 1 ms: as demanding as it gets). */
  unknownLatencyMs: number;
  /** I/O-thread delay (p99, ms) above which a worker backs off (default: the turnaround margin), and below which it recovers (half that). */
  lagHighMs: number;
  lagLowMs: number;
}

export function defaultAdmission(actTimeoutMs: number, maxPerWorker: number): AdmissionSettings {
  const margin = Math.max(10, 0.1 * actTimeoutMs);
  return {
    targetLoad: 3,
    turnaroundBudgetMs: margin,
    maxPerWorker,
    defaultCpuPerStepMs: 2,
    unknownLatencyMs: 1,
    // A saturated CPU alone delays a thread by a few scheduler slices (~15 ms on 2 cores): that is
    // the executor doing its job. Back off only when the delay eats into the deadline's margin.
    lagHighMs: margin,
    lagLowMs: margin / 2,
  };
}

/** What a worker's admission decision reads. */
export interface WorkerLoad {
  /** Measured CPU per step (ms), null until measured. */
  cpuPerStepMs: number | null;
  /** Latency (ms) of the miner of each running episode (null: not measured yet). */
  runningLatenciesMs: readonly (number | null)[];
  /** Back-off factor in (0, 1] from the I/O thread's delay (see `nextLagFactor`). */
  lagFactor: number;
}

export function demand(cpuMs: number, latencyMs: number): number {
  return cpuMs / (cpuMs + Math.max(0, latencyMs));
}

/** Whether a worker carrying `load` may start one more episode, whose miner's latency is `latencyMs`. */
export function admits(load: WorkerLoad, latencyMs: number | null, s: AdmissionSettings): boolean {
  const n = load.runningLatenciesMs.length;
  if (n === 0) return s.maxPerWorker > 0; // an idle worker always takes one
  const cap = Math.max(1, Math.floor(s.maxPerWorker * load.lagFactor));
  if (n + 1 > cap) return false;
  const c = load.cpuPerStepMs ?? s.defaultCpuPerStepMs;
  if ((n + 1) * c > s.turnaroundBudgetMs * load.lagFactor) return false;
  let total = demand(c, latencyMs ?? s.unknownLatencyMs);
  for (const l of load.runningLatenciesMs) total += demand(c, l ?? s.unknownLatencyMs);
  return total <= s.targetLoad * load.lagFactor;
}

/** The back-off factor after one more reading of the I/O thread's delay (multiplicative decrease, additive increase). */
export function nextLagFactor(current: number, p99LagMs: number, s: AdmissionSettings): number {
  if (p99LagMs > s.lagHighMs) return Math.max(0.5, current * 0.8);
  if (p99LagMs < s.lagLowMs) return Math.min(1, current + 0.1);
  return current;
}
