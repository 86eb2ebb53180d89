/**
 * The executor capability's entry points: in-process executors for the appliance (fed by the store),
 * remote executors (fed by a task API), and live-endpoint evaluation. See docs/executors.md.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import { ExecutorPool, type ExecutorPoolOptions } from './pool.ts';
import { StoreTaskSource, localExecutorId, type TaskSource } from './task-source.ts';
import type { EpisodeSettings, ExecutorTask } from './types.ts';
import type { Clock } from '../clock.ts';

export { ExecutorPool, type ExecutorPoolOptions, type PoolStats } from './pool.ts';
export { ApiTaskSource, ListTaskSource, StoreTaskSource, localExecutorId, type TaskSource } from './task-source.ts';
export { startRemoteExecutor, type RemoteExecutorOptions, type RunningRemoteExecutor } from './remote.ts';
export { evaluateEndpoint, type EndpointEvaluationSummary, type EvaluateEndpointOptions } from './evaluate-endpoint.ts';
export { DEFAULT_EPISODE_SETTINGS, type EpisodeOutcome, type EpisodeSettings, type ExecutorTask } from './types.ts';

/** Prefix of every in-process executor id; `store.tasks.reclaimAssignedTo(LOCAL_EXECUTOR_PREFIX)` frees a crashed run's tasks. */
export const LOCAL_EXECUTOR_PREFIX = 'local-';

export interface InProcessExecutorOptions {
  store: Store;
  /** Worker threads (default: one per core). */
  workers?: number;
  maxConcurrentPerWorker?: number;
  maxEpisodesPerMiner?: number;
  /** Attempts before an executor-faulted task fails for good (default 3). */
  maxAttempts?: number;
  /** Only these environments (default all). */
  envIds?: readonly string[] | null;
  /** Wait after an empty claim (default 1 s; `pool.wake()` skips it when a cycle starts). */
  pollIntervalMs?: number;
  settings?: Partial<EpisodeSettings>;
  /**
   * Endpoints exempt from the endpoint policy: exactly the URLs this process serves itself (the
   * local chain's demo miners). Every other endpoint from the chain must be public.
   */
  trustedEndpoints?: readonly string[];
  logger?: Logger;
  onOutcome?: ExecutorPoolOptions['onOutcome'];
  /** Opening steps recorded from one episode per miner and cycle for the spot check (default 0: none). */
  recordSteps?: number;
  /** The appliance's one clock (leases, polls, back-off); the system clock by default. */
  clock?: Clock;
}

/** A source whose tasks for the given endpoints skip the endpoint policy; everything else passes through. */
function trusting(source: TaskSource, endpoints: readonly string[]): TaskSource {
  if (endpoints.length === 0) return source;
  const trusted = new Set(endpoints);
  const mark = (t: ExecutorTask): ExecutorTask => (trusted.has(t.minerEndpoint) ? { ...t, untrustedEndpoint: false } : t);
  return {
    get executorId() {
      return source.executorId;
    },
    claim: async (max) => (await source.claim(max)).map(mark),
    report: (outcomes) => source.report(outcomes),
    renew: (uuids) => source.renew(uuids),
    abandon: (uuids, reason) => source.abandon(uuids, reason),
    ...(source.exhausted ? { exhausted: () => source.exhausted!() } : {}),
  };
}

/**
 * The appliance's executors: a worker pool claiming from the store's task pool. Stop it with
 * `pool.stop()` before closing the store (unfinished tasks are handed back through the store).
 */
export function startInProcessExecutors(options: InProcessExecutorOptions): Promise<ExecutorPool> {
  const store = new StoreTaskSource(options.store, {
    executorId: localExecutorId(LOCAL_EXECUTOR_PREFIX.slice(0, -1)),
    envIds: options.envIds ?? null,
    maxAttempts: options.maxAttempts ?? 3,
    recordSteps: options.recordSteps ?? 0,
  });
  const source = trusting(store, options.trustedEndpoints ?? []);
  return ExecutorPool.start({
    source,
    pollIntervalMs: options.pollIntervalMs ?? 1000,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.maxConcurrentPerWorker !== undefined ? { maxConcurrentPerWorker: options.maxConcurrentPerWorker } : {}),
    ...(options.maxEpisodesPerMiner !== undefined ? { maxEpisodesPerMiner: options.maxEpisodesPerMiner } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
