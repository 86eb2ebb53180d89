/**
 * Evaluates a live policy server (a miner's endpoint) the way the executor does: same client, same
 * deadlines, same episode runner and worker pool, and the same instances as the in-process
 * `kinitro eval` — fresh secret ones by default (a validator's are indistinguishable from them), or,
 * with a run seed, the development instance of (seed, i) for episode i, so an endpoint and an
 * in-process policy can be compared number for number. The endpoint is the operator's own input, so
 * private and loopback addresses are allowed.
 */
import os from 'node:os';
import type { Logger } from '../log.ts';
import { episodeInstance, type InstancePlan } from '../sim/episode.ts';
import { DEFAULT_RANDOMIZATION, type Randomization } from '../sim/instance.ts';
import type { EnvSummary } from '../sim/evaluation.ts';
import { DEFAULT_MAX_CONCURRENT_PER_WORKER, DEFAULT_MAX_EPISODES_PER_MINER, ExecutorPool } from './pool.ts';
import { ListTaskSource } from './task-source.ts';
import type { EpisodeOutcome, ExecutorTask } from './types.ts';

/** The in-process summary's fields (mean reward counts error episodes as 0, as the original reports), plus diagnostics. */
export interface EndpointEnvSummary extends EnvSummary {
  /** The distinct error messages, most frequent first, with their counts. */
  error_messages: { message: string; count: number }[];
  /** `/act` round-trip latency over all episodes (ms); null when no action was requested. */
  mean_action_latency_ms: number | null;
  max_action_latency_ms: number | null;
}

export interface EndpointEvaluationSummary {
  endpoint: string;
  /** Most episodes that were in flight at once against the endpoint. */
  peak_concurrency: number;
  envs: Record<string, EndpointEnvSummary>;
  /** Control steps simulated in total. */
  steps: number;
  seconds: number;
}

export interface EvaluateEndpointOptions {
  endpoint: string;
  envIds: readonly string[];
  episodes: number;
  /** Development instances from this seed; fresh secret instances when undefined. */
  seed?: number;
  randomization?: Randomization;
  maxSteps?: number;
  images?: boolean;
  endOnSuccess?: boolean;
  /** `/act` deadline (default 500 ms, the original's). */
  actTimeoutMs?: number;
  /**
   * Episodes in flight at once against the endpoint. Default: what the appliance does — the
   * `max_concurrent_episodes` the server declares in `GET /health` (capped at `maxConcurrency`),
   * one at a time when it declares nothing.
   */
  concurrency?: number;
  /** Cap on a declared capacity (default 16, the appliance's). */
  maxConcurrency?: number;
  /** Worker threads (default: one per core, at most 2). */
  workers?: number;
  /** Simulation backend module (tests); default MuJoCo. */
  backendUrl?: string;
  logger?: Logger;
  onEpisode?: (envId: string, index: number, outcome: EpisodeOutcome) => void;
}

export async function evaluateEndpoint(options: EvaluateEndpointOptions): Promise<EndpointEvaluationSummary> {
  const started = performance.now();
  const tasks: ExecutorTask[] = [];
  const index = new Map<string, { envId: string; i: number }>();
  const plan: InstancePlan = { randomization: options.randomization ?? DEFAULT_RANDOMIZATION, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  for (const envId of options.envIds) {
    for (let i = 0; i < options.episodes; i++) {
      const taskUuid = `${envId}#${i}`;
      tasks.push({ taskUuid, minerUid: 0, minerEndpoint: options.endpoint, envId, seed: i, instance: episodeInstance(plan, i), untrustedEndpoint: false });
      index.set(taskUuid, { envId, i });
    }
  }
  const cap = Math.max(1, options.maxConcurrency ?? DEFAULT_MAX_EPISODES_PER_MINER);
  const forced = options.concurrency !== undefined ? Math.max(1, options.concurrency) : undefined;
  const workers = Math.max(1, Math.min(options.workers ?? Math.min(2, os.availableParallelism()), tasks.length || 1));
  const source = new ListTaskSource(tasks);
  const pool = await ExecutorPool.start({
    source,
    workers,
    maxConcurrentPerWorker: Math.max(DEFAULT_MAX_CONCURRENT_PER_WORKER, Math.ceil((forced ?? cap) / workers)),
    maxEpisodesPerMiner: forced ?? cap,
    ...(forced !== undefined ? { assumeCapacity: forced } : {}),
    batchSize: 100,
    pollIntervalMs: 50,
    reportDelayMs: 20,
    ...(options.backendUrl ? { backendUrl: options.backendUrl } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    settings: {
      ...(options.maxSteps !== undefined ? { maxSteps: options.maxSteps } : {}),
      ...(options.actTimeoutMs !== undefined ? { actTimeoutMs: options.actTimeoutMs } : {}),
      useImages: options.images ?? true,
      endOnSuccess: options.endOnSuccess ?? true,
      allowPrivateEndpoints: true,
    },
    onOutcome: (outcome) => {
      const where = index.get(outcome.taskUuid)!;
      // Executor faults are retried; only report final outcomes (or every attempt's, for progress).
      options.onEpisode?.(where.envId, where.i, outcome);
    },
  });
  let peak = 0;
  try {
    await pool.whenDrained();
    peak = pool.capacityInputs().miners.get(options.endpoint)?.peak ?? 0;
  } finally {
    await pool.stop({ drainTimeoutMs: 0 });
  }
  return {
    ...summarize(options.endpoint, options.envIds, options.episodes, tasks, source.outcomes, (performance.now() - started) / 1000),
    peak_concurrency: peak,
  };
}

/** Pure: per-environment aggregates of final outcomes. */
export function summarize(
  endpoint: string,
  envIds: readonly string[],
  episodes: number,
  tasks: readonly ExecutorTask[],
  outcomes: ReadonlyMap<string, EpisodeOutcome>,
  seconds: number,
): Omit<EndpointEvaluationSummary, 'peak_concurrency'> {
  const envs: Record<string, EndpointEnvSummary> = {};
  let steps = 0;
  for (const envId of envIds) {
    const mine = tasks.filter((t) => t.envId === envId).map((t) => outcomes.get(t.taskUuid));
    let successes = 0;
    let errors = 0;
    let violations = 0;
    let reward = 0;
    let envSteps = 0;
    let latencySum = 0;
    let latencyN = 0;
    let latencyMax: number | null = null;
    const messages = new Map<string, number>();
    for (const o of mine) {
      if (!o) {
        errors += 1;
        messages.set('not run', (messages.get('not run') ?? 0) + 1);
        continue;
      }
      if (o.success) successes += 1;
      if (o.violation !== null) violations += 1;
      if (o.error !== null) {
        errors += 1;
        messages.set(o.error, (messages.get(o.error) ?? 0) + 1);
      }
      reward += o.totalReward;
      envSteps += o.stepsRun;
      if (o.meanActionLatencyMs !== null && o.maxActionLatencyMs !== null) {
        latencySum += o.meanActionLatencyMs * o.actionCount;
        latencyN += o.actionCount;
        latencyMax = Math.max(latencyMax ?? 0, o.maxActionLatencyMs);
      }
    }
    steps += envSteps;
    envs[envId] = {
      episodes,
      successes,
      success_rate: episodes > 0 ? successes / episodes : 0,
      mean_reward: episodes > 0 ? reward / episodes : 0,
      mean_steps: episodes > 0 ? envSteps / episodes : 0,
      errors,
      violations,
      error_messages: [...messages].sort((a, b) => b[1] - a[1]).map(([message, count]) => ({ message, count })),
      mean_action_latency_ms: latencyN > 0 ? latencySum / latencyN : null,
      max_action_latency_ms: latencyMax,
    };
  }
  return { endpoint, envs, steps, seconds };
}
