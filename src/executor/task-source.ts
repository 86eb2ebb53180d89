/**
 * Where an executor pool gets its tasks and sends its results. Three implementations:
 * - StoreTaskSource: the appliance's own task pool, in process;
 * - ApiTaskSource: a remote appliance over the task API (docs/original.md §4.1–4.2), for executors on other machines;
 * - ListTaskSource: a fixed list held in memory (`evaluateEndpoint`).
 */
import type { Store } from '../store/index.ts';
import type { TaskRow } from '../store/task-pool.ts';
import type { TaskApiClient, WireTask, WireTaskResult } from './task-api-client.ts';
import type { EpisodeOutcome, ExecutorTask } from './types.ts';

export interface ReportSummary {
  accepted: number;
  rejected: number;
  errors: string[];
}

export interface TaskSource {
  /** The executor id tasks are assigned to. */
  readonly executorId: string;
  /** Claims up to `max` tasks (with a lease). */
  claim(max: number): Promise<ExecutorTask[]>;
  /**
   * Reports finished episodes: scored results, and executor faults (which go back for another
   * attempt, within the retry budget, and are never scored). Throws when the report did not get
   * through (the pool keeps the outcomes and tries again).
   */
  report(outcomes: readonly EpisodeOutcome[]): Promise<ReportSummary>;
  /** Extends the lease on tasks still held. */
  renew(taskUuids: readonly string[]): Promise<void>;
  /** Gives back tasks the executor will not finish (shutdown). */
  abandon(taskUuids: readonly string[], reason: string): Promise<void>;
  /** True when no task will ever come again (finite sources only). */
  exhausted?(): boolean;
}

// ------------------------------------------------------------------------------------------------

export interface StoreTaskSourceOptions {
  executorId: string;
  envIds?: readonly string[] | null;
  /** Attempts before an executor-faulted task fails for good (default 3). */
  maxAttempts?: number;
  /** Opening steps recorded from one episode per miner and cycle for the spot check (default 0: none). */
  recordSteps?: number;
}

export function taskFromRow(row: Pick<TaskRow, 'taskUuid' | 'minerUid' | 'minerEndpoint' | 'envId' | 'seed' | 'instance'>): ExecutorTask {
  return {
    taskUuid: row.taskUuid,
    minerUid: row.minerUid,
    minerEndpoint: row.minerEndpoint,
    envId: row.envId,
    seed: row.seed,
    instance: row.instance,
    untrustedEndpoint: true,
  };
}

/** The appliance's in-process source: the store's task pool. */
export class StoreTaskSource implements TaskSource {
  readonly executorId: string;
  private readonly maxAttempts: number;

  constructor(
    private readonly store: Store,
    private readonly options: StoreTaskSourceOptions,
  ) {
    this.executorId = options.executorId;
    this.maxAttempts = options.maxAttempts ?? 3;
  }

  async claim(max: number): Promise<ExecutorTask[]> {
    const { tasks } = this.store.tasks.fetch({ executorId: this.executorId, batchSize: max, envIds: this.options.envIds ?? null });
    const record = this.options.recordSteps ?? 0;
    return tasks.map((row) => {
      const task = taskFromRow(row);
      // One recorded episode per miner and cycle for the spot check; the miner cannot tell which.
      return record > 0 && this.store.spotChecks.reserveSample(task.taskUuid) ? { ...task, recordSteps: record } : task;
    });
  }

  async report(outcomes: readonly EpisodeOutcome[]): Promise<ReportSummary> {
    for (const o of outcomes) {
      if (!o.recorded) continue;
      // An executor fault will be retried by another claim: let that one record instead.
      if (o.fault === 'executor') this.store.spotChecks.releaseSample(o.taskUuid);
      else this.store.spotChecks.keepSample(o.taskUuid, o.recorded.resetConfig, o.recorded.steps);
    }
    return this.store.tasks.submit(
      this.executorId,
      outcomes.map((o) => ({
        taskUuid: o.taskUuid,
        success: o.success,
        score: o.score,
        total_reward: o.totalReward,
        timesteps: o.timesteps,
        error: o.error,
        fault: o.fault,
        ...latencyFields(o),
      })),
      this.maxAttempts,
    );
  }

  async renew(taskUuids: readonly string[]): Promise<void> {
    this.store.tasks.renewLease(this.executorId, taskUuids);
  }

  /**
   * Shutdown: everything still assigned to this executor goes straight back to pending without
   * costing an attempt (the pool calls this only once its workers can no longer submit). Executor
   * ids must not be prefixes of one another (see `localExecutorId`).
   */
  async abandon(): Promise<void> {
    this.store.tasks.reclaimAssignedTo(this.executorId);
  }
}

/** A fixed-length executor id, so no id is a prefix of another (`TaskPool.reclaimAssignedTo`). */
export function localExecutorId(prefix = 'local'): string {
  return `${prefix}-${crypto.randomUUID().replace(/-/g, '').slice(0, 12)}`;
}

// ------------------------------------------------------------------------------------------------

export interface ApiTaskSourceOptions {
  executorId: string;
  envIds?: readonly string[] | null;
}

/** A remote appliance's task pool over HTTP. */
export class ApiTaskSource implements TaskSource {
  readonly executorId: string;

  constructor(
    private readonly client: TaskApiClient,
    private readonly options: ApiTaskSourceOptions,
  ) {
    this.executorId = options.executorId;
  }

  async claim(max: number): Promise<ExecutorTask[]> {
    const batch = Math.max(1, Math.min(100, max));
    const envIds = this.options.envIds && this.options.envIds.length > 0 ? this.options.envIds : null;
    const { tasks } = await this.client.fetchTasks(this.executorId, batch, envIds);
    return tasks.map(taskFromWire);
  }

  async report(outcomes: readonly EpisodeOutcome[]): Promise<ReportSummary> {
    if (outcomes.length === 0) return { accepted: 0, rejected: 0, errors: [] };
    return this.client.submit(this.executorId, outcomes.map(wireResult));
  }

  /** In chunks: a pool holds up to workers × episodes per worker tasks, more than one request may carry. */
  async renew(taskUuids: readonly string[]): Promise<void> {
    for (const chunk of chunks(taskUuids)) await this.client.heartbeat(this.executorId, chunk);
  }

  /**
   * Hands tasks back through `POST /v1/tasks/release` (no attempt charged). Against an original
   * backend without that route they come back as executor faults instead (one attempt each).
   */
  async abandon(taskUuids: readonly string[], reason: string): Promise<void> {
    for (const chunk of chunks(taskUuids)) {
      if ((await this.client.release(this.executorId, chunk)) !== null) continue;
      await this.client.submit(
        this.executorId,
        chunk.map((task_uuid) => ({ task_uuid, success: false, score: 0, total_reward: 0, timesteps: 0, error: reason, fault: 'executor' as const })),
      );
    }
  }
}

/** Task uuids per heartbeat, release or fallback submit (the task API takes at most 1000 per call). */
const UUIDS_PER_REQUEST = 100;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += UUIDS_PER_REQUEST) out.push(items.slice(i, i + UUIDS_PER_REQUEST));
  return out;
}

export function taskFromWire(t: WireTask): ExecutorTask {
  return {
    taskUuid: t.task_uuid,
    minerUid: t.miner_uid,
    minerEndpoint: t.miner_endpoint,
    envId: t.env_id,
    seed: t.seed,
    instance: t.instance,
    untrustedEndpoint: true,
  };
}

/** The original's TaskResult (docs/original.md §1.11) plus our extensions; `fault` is sent only for executor faults. */
export function wireResult(o: EpisodeOutcome): WireTaskResult {
  return {
    task_uuid: o.taskUuid,
    success: o.success,
    score: o.score,
    total_reward: o.totalReward,
    timesteps: o.timesteps,
    error: o.error,
    ...(o.fault === 'executor' ? { fault: 'executor' as const } : {}),
    ...(o.violation !== null ? { violation: o.violation } : {}),
    ...latencyFields(o),
  };
}

function latencyFields(o: EpisodeOutcome): { mean_action_latency_ms?: number; max_action_latency_ms?: number } {
  if (o.meanActionLatencyMs === null || o.maxActionLatencyMs === null) return {};
  return { mean_action_latency_ms: round3(o.meanActionLatencyMs), max_action_latency_ms: round3(o.maxActionLatencyMs) };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ------------------------------------------------------------------------------------------------

/**
 * A fixed list of tasks in memory. Executor faults are retried up to `maxAttempts`; after that the
 * fault is final. `outcomes` holds every final outcome by task uuid.
 */
export class ListTaskSource implements TaskSource {
  readonly executorId = 'list';
  readonly outcomes = new Map<string, EpisodeOutcome>();
  private readonly queue: ExecutorTask[];
  private readonly attempts = new Map<string, number>();
  private readonly byUuid = new Map<string, ExecutorTask>();

  constructor(
    tasks: readonly ExecutorTask[],
    private readonly maxAttempts = 3,
  ) {
    this.queue = [...tasks];
    for (const t of tasks) this.byUuid.set(t.taskUuid, t);
  }

  async claim(max: number): Promise<ExecutorTask[]> {
    return this.queue.splice(0, max);
  }

  async report(outcomes: readonly EpisodeOutcome[]): Promise<ReportSummary> {
    for (const o of outcomes) {
      if (o.fault === 'executor') {
        const n = (this.attempts.get(o.taskUuid) ?? 0) + 1;
        this.attempts.set(o.taskUuid, n);
        if (n < this.maxAttempts) {
          this.queue.push(this.byUuid.get(o.taskUuid)!);
          continue;
        }
      }
      this.outcomes.set(o.taskUuid, o);
    }
    return { accepted: outcomes.length, rejected: 0, errors: [] };
  }

  async renew(): Promise<void> {}

  async abandon(taskUuids: readonly string[]): Promise<void> {
    for (const uuid of taskUuids) this.queue.push(this.byUuid.get(uuid)!);
  }

  exhausted(): boolean {
    return this.queue.length === 0;
  }

  /** All tasks have a final outcome. */
  done(): boolean {
    return this.outcomes.size === this.byUuid.size;
  }
}
