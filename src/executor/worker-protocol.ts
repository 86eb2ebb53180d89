/** Messages between the executor pool (main thread) and its worker threads. Kept small and batched. */
import type { EpisodeOutcome, EpisodeSettings, ExecutorTask } from './types.ts';
import type { RenderBatchStats } from './render-batcher.ts';

/** Test-only fault injection (never reachable from the CLI). */
export interface FaultInjection {
  /** The worker thread exits (as if it crashed) when it starts an episode with this seed. */
  exitOnSeed?: number;
  /** The simulator throws on the first step of an episode with this seed. */
  throwOnSeed?: number;
}

export interface WorkerConfig {
  workerIndex: number;
  /** URL of the module exporting `createBackend` (see environment.ts). */
  backendUrl: string;
  settings: EpisodeSettings;
  /** Episodes this worker runs at once (also its keep-alive connections per miner). */
  maxConcurrent: number;
  faultInjection?: FaultInjection;
}

export type ToWorker = { type: 'run'; tasks: ExecutorTask[] } | { type: 'shutdown' };

export interface WorkerStats {
  episodes: number;
  steps: number;
  envInstances: number;
  render: RenderBatchStats;
  /** Milliseconds this thread's event loop was busy since it started (CPU spent, roughly). */
  activeMs: number;
}

export type FromWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'results'; results: EpisodeOutcome[]; stats: WorkerStats }
  /** Sent every second while episodes run, so progress counters stay current. */
  | { type: 'stats'; stats: WorkerStats }
  | { type: 'closed' };
