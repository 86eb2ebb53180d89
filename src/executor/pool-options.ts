/** The executor pool's options, and what it reports about itself (stats, capacity-model inputs). */
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { EpisodeOutcome, EpisodeSettings, ExecutorTask } from './types.ts';
import type { TaskSource } from './task-source.ts';
import type { AdmissionSettings } from './admission.ts';
import type { FaultInjection } from './worker-protocol.ts';
import type { WorkerCounters } from './pool-workers.ts';
import type { MinerMeasure } from './pool-miners.ts';

export const DEFAULT_MAX_CONCURRENT_PER_WORKER = 16;
/** The most episodes of one miner at once, whatever it declares. */
export const DEFAULT_MAX_EPISODES_PER_MINER = 16;
export const DEFAULT_BACKEND_URL = new URL('./sim-backend.ts', import.meta.url).href;

export interface ExecutorPoolOptions {
  source: TaskSource;
  /** Worker threads (default: one per core). */
  workers?: number;
  /** Most episodes each worker runs at once (default 16); admission control usually admits fewer. */
  maxConcurrentPerWorker?: number;
  /** Most episodes of one miner endpoint at once across the pool, whatever it declares (default 16). */
  maxEpisodesPerMiner?: number;
  /**
   * Treat every miner as declaring this capacity instead of asking its `/health` (an operator's
   * `kinitro eval --endpoint --concurrency N`, benchmarks). Still capped by `maxEpisodesPerMiner`.
   */
  assumeCapacity?: number;
  /** Admission-control overrides (tests, benchmarks). */
  admission?: Partial<AdmissionSettings>;
  /** Tasks per claim (default 10, the original's batch size; at most 100). */
  batchSize?: number;
  /** Wait after an empty claim (default 5000 ms). */
  pollIntervalMs?: number;
  /** Wait after a failed claim or report (default 5000 ms). */
  errorBackoffMs?: number;
  /** Lease renewal period for held tasks (default 60 s). */
  heartbeatIntervalMs?: number;
  /** Results per report call (default 32); a partial batch is sent after `reportDelayMs`. */
  reportBatchSize?: number;
  reportDelayMs?: number;
  settings?: Partial<EpisodeSettings>;
  /** Module exporting `createBackend` (default: the MuJoCo simulator). */
  backendUrl?: string;
  logger?: Logger;
  /** Times the poll, back-off and report waits, the lease heartbeat and the drain (default: the system clock). */
  clock?: Clock;
  /** Called for every final outcome, in the main thread. */
  onOutcome?: (outcome: EpisodeOutcome, task: ExecutorTask) => void;
  /** Test-only fault injection. */
  faultInjection?: FaultInjection;
}

/** The inputs of the capacity model (src/cycle/capacity.ts) as this pool measures them. */
export interface PoolCapacityInputs {
  workers: number;
  maxPerWorker: number;
  maxPerMiner: number;
  /** Mean measured CPU per step of a worker and its miner I/O thread (ms); null until measured. */
  cpuPerStepMs: number | null;
  /** Every miner endpoint the pool has run, with what it measured. */
  miners: Map<string, MinerMeasure>;
}

export interface PoolStats extends WorkerCounters {
  workers: number;
  readyWorkers: number;
  running: number;
  queued: number;
  /** Episodes finished (final outcomes and executor faults). */
  episodes: number;
  successes: number;
  minerFaults: number;
  executorFaults: number;
  workerRestarts: number;
  /** Per worker: what its admission control reads now. */
  admission: { running: number; cpuPerStepMs: number | null; ioLagP99Ms: number | null; lagFactor: number }[];
}
