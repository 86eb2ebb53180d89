/**
 * A remote executor: the same worker pool as the appliance's in-process executors, fed by an
 * appliance's task API over HTTP (`POST /v1/tasks/fetch`, `/v1/tasks/submit`, plus the heartbeat
 * extension), so more machines can join one appliance. It speaks the original's wire format, so it
 * also works against an original API (heartbeats are then skipped).
 */
import { silentLogger, type Logger } from '../log.ts';
import { ExecutorPool, type PoolStats } from './pool.ts';
import { TaskApiClient } from './task-api-client.ts';
import { ApiTaskSource } from './task-source.ts';
import type { EpisodeSettings } from './types.ts';
import type { FaultInjection } from './worker-protocol.ts';

export interface RemoteExecutorOptions {
  apiUrl: string;
  apiKey: string | null;
  executorId: string;
  workers?: number;
  batchSize?: number;
  maxConcurrentPerWorker?: number;
  maxEpisodesPerMiner?: number;
  pollIntervalMs?: number;
  heartbeatIntervalMs?: number;
  envIds?: readonly string[] | null;
  settings?: Partial<EpisodeSettings>;
  backendUrl?: string;
  logger?: Logger;
  /** Test-only fault injection. */
  faultInjection?: FaultInjection;
}

export interface RunningRemoteExecutor {
  pool: ExecutorPool;
  stats(): PoolStats;
  /** Stops claiming, finishes or gives back in-flight tasks, stops the workers. */
  stop(options?: { drainTimeoutMs?: number }): Promise<void>;
}

export async function startRemoteExecutor(options: RemoteExecutorOptions): Promise<RunningRemoteExecutor> {
  const logger = options.logger ?? silentLogger;
  const client = new TaskApiClient(options.apiUrl, options.apiKey);
  // The original checks /health once at start and only logs a failure; so do we.
  if (!(await client.health())) logger.warn({ apiUrl: options.apiUrl }, 'task API health check failed; will keep trying');
  const source = new ApiTaskSource(client, { executorId: options.executorId, envIds: options.envIds ?? null });
  const pool = await ExecutorPool.start({
    source,
    logger,
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.maxConcurrentPerWorker !== undefined ? { maxConcurrentPerWorker: options.maxConcurrentPerWorker } : {}),
    ...(options.maxEpisodesPerMiner !== undefined ? { maxEpisodesPerMiner: options.maxEpisodesPerMiner } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.backendUrl ? { backendUrl: options.backendUrl } : {}),
    ...(options.faultInjection ? { faultInjection: options.faultInjection } : {}),
  });
  logger.info({ executorId: options.executorId, apiUrl: options.apiUrl, workers: pool.stats().workers }, 'executor started');
  return {
    pool,
    stats: () => pool.stats(),
    stop: (o) => pool.stop(o),
  };
}
