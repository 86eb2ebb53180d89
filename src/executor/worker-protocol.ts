/** Messages between the executor pool (main thread) and its worker threads. Kept small and batched. */
import type { EpisodeOutcome, EpisodeSettings, ExecutorTask } from './types.ts';
import type { RenderBatchStats } from './render-batcher.ts';

/** Test-only fault injection (never reachable from the CLI). */
export interface FaultInjection {
  /** The worker thread exits (as if it crashed) when it starts an episode with this seed. */
  exitOnSeed?: number;
  /** The simulator throws on the first step of an episode with this seed. */
  throwOnSeed?: number;
  /** Every step of an episode with this seed blocks the worker thread for `stallMs` (a long render, a model build). */
  stallOnSeed?: number;
  stallMs?: number;
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

export type ToWorker =
  /** `probe`: endpoints whose declared capacity the pool wants read (`GET /health`) before their first task here. */
  { type: 'run'; tasks: ExecutorTask[]; probe?: string[] } | { type: 'shutdown' };

export interface WorkerStats {
  episodes: number;
  steps: number;
  envInstances: number;
  render: RenderBatchStats;
  /** Milliseconds this thread's event loop was busy since it started (CPU spent, roughly). */
  activeMs: number;
  /** Time spent simulating, rendering (images included) and encoding observations, over all steps (ms). */
  phases: { simMs: number; renderMs: number; encodeMs: number };
  /** Milliseconds the worker's miner I/O thread was busy since it started. */
  ioActiveMs: number;
  /** This thread's CPU per evaluated step (ms; smoothed), null until measured. */
  cpuPerStepMs: number | null;
  /** The miner I/O thread's event-loop delay, p99 over the last second (ms). */
  ioLagP99Ms: number;
  /** Miner time per `/act` since the last stats message, by endpoint. */
  minerLatencyMs: Record<string, { meanMs: number; n: number }>;
}

export type FromWorker =
  | { type: 'ready'; loadMs: number }
  | { type: 'results'; results: EpisodeOutcome[]; stats: WorkerStats }
  /** Sent every second while episodes run, so progress counters stay current. */
  | { type: 'stats'; stats: WorkerStats }
  /** A miner's declared capacity (`max_concurrent_episodes`; null: declares nothing). */
  | { type: 'capacity'; endpoint: string; capacity: number | null }
  | { type: 'closed' };
