/**
 * The task pool's rows and its read side: the row model (`TaskRow` from `task_pool`), task lookups,
 * and the counts and per-miner progress that status pages, the capacity model and scoring read.
 * `TaskPool` (task-pool.ts) builds the lifecycle on this.
 */
import type { Database } from './db.ts';

export type TaskStatus = 'pending' | 'assigned' | 'completed' | 'failed';
export type TaskFault = 'miner' | 'executor' | 'cancelled';

export interface NewTask {
  minerUid: number;
  minerHotkey: string;
  minerEndpoint: string;
  minerRepo: string | null;
  minerRevision: string | null;
  envId: string;
  /** The original's integer seed, kept on the wire as an opaque label; it seeds nothing. */
  seed: number;
  /** The secret instance key the scene is generated from (src/sim/instance.ts). */
  instance: string;
  episodeIndex: number;
  taskUuid?: string;
}

export interface TaskResultPayload {
  success: boolean;
  score: number;
  total_reward: number;
  timesteps: number;
  error: string | null;
  /** Extensions over the original's result, stored when an executor reports them. */
  /** The episode ended because the policy acted on a wrong candidate. */
  violation?: string;
  mean_action_latency_ms?: number;
  max_action_latency_ms?: number;
}

/** A stored task: what was enqueued, plus its place in the lifecycle. */
export interface TaskRow extends Required<NewTask> {
  id: number;
  cycleId: number;
  status: TaskStatus;
  assignedTo: string | null;
  assignedAt: string | null;
  completedAt: string | null;
  result: TaskResultPayload | { error: string } | null;
  fault: TaskFault | null;
  attempts: number;
  lastError: string | null;
  createdAt: string;
}

export interface SubmittedResult extends TaskResultPayload {
  taskUuid: string;
  /** `executor`: not the miner's failure, so not scored; the task goes back for another attempt. */
  fault?: 'miner' | 'executor' | null;
}

/** One miner's progress through a cycle (`TaskPool.minerProgress`). */
export interface MinerProgress {
  uid: number;
  endpoint: string;
  total: number;
  /** Pending or assigned. */
  remaining: number;
  /** Finished tasks with a stored result. */
  results: number;
  /** Mean reported timesteps of those results (errors count 0); null without results. */
  meanSteps: number | null;
  /** `/act` latency over those results, weighted by steps; null when none reported it. */
  meanLatencyMs: number | null;
}

export interface SubmitOutcome {
  accepted: number;
  rejected: number;
  errors: string[];
}

export interface TaskPoolStats {
  totalTasks: number;
  pendingTasks: number;
  assignedTasks: number;
  completedTasks: number;
  failedTasks: number;
  activeExecutors: number;
  /** Ids of those executors, sorted (internal: public routes show opaque labels instead). */
  activeExecutorIds: string[];
  /** Terminal tasks that failed for infrastructure reasons (executor faults, cancellations). */
  infraFailedTasks: number;
}

export interface RawTaskRow {
  id: number;
  task_uuid: string;
  cycle_id: number;
  miner_uid: number;
  miner_hotkey: string;
  miner_endpoint: string;
  miner_repo: string | null;
  miner_revision: string | null;
  env_id: string;
  seed: number;
  instance: string;
  episode_index: number;
  status: TaskStatus;
  assigned_to: string | null;
  assigned_at: string | null;
  completed_at: string | null;
  result: string | null;
  fault: TaskFault | null;
  attempts: number;
  last_error: string | null;
  created_at: string;
}

export function toTask(r: RawTaskRow): TaskRow {
  return {
    id: r.id,
    taskUuid: r.task_uuid,
    cycleId: r.cycle_id,
    minerUid: r.miner_uid,
    minerHotkey: r.miner_hotkey,
    minerEndpoint: r.miner_endpoint,
    minerRepo: r.miner_repo,
    minerRevision: r.miner_revision,
    envId: r.env_id,
    seed: r.seed,
    instance: r.instance,
    episodeIndex: r.episode_index,
    status: r.status,
    assignedTo: r.assigned_to,
    assignedAt: r.assigned_at,
    completedAt: r.completed_at,
    result: r.result === null ? null : (JSON.parse(r.result) as TaskRow['result']),
    fault: r.fault,
    attempts: r.attempts,
    lastError: r.last_error,
    createdAt: r.created_at,
  };
}

/** The read side of the task pool (`TaskPool` extends it). */
export class TaskPoolReads {
  private readonly countsStmt;
  private readonly cycleCountsStmt;

  constructor(protected readonly db: Database) {
    // task_counts is kept by triggers: counting by status never scans task_pool.
    this.countsStmt = db.prepare('SELECT status, sum(n) AS n FROM task_counts GROUP BY status');
    this.cycleCountsStmt = db.prepare('SELECT status, n FROM task_counts WHERE cycle_id = ?');
  }

  get(taskUuid: string): TaskRow | undefined {
    const r = this.db.prepare('SELECT * FROM task_pool WHERE task_uuid = ?').get(taskUuid) as RawTaskRow | undefined;
    return r ? toTask(r) : undefined;
  }

  /** A cycle's tasks in id order, paginated. */
  listForCycle(cycleId: number, options: { limit: number; offset: number; status?: TaskStatus }): { total: number; tasks: TaskRow[] } {
    const statusFilter = options.status ? 'AND status = ?' : '';
    const args = options.status ? [cycleId, options.status] : [cycleId];
    const total = (this.db.prepare(`SELECT count(*) AS n FROM task_pool WHERE cycle_id = ? ${statusFilter}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM task_pool WHERE cycle_id = ? ${statusFilter} ORDER BY id LIMIT ? OFFSET ?`)
      .all(...args, options.limit, options.offset) as RawTaskRow[];
    return { total, tasks: rows.map(toTask) };
  }

  /** Finished tasks of a cycle (what scoring reads). */
  finishedForCycle(cycleId: number): TaskRow[] {
    return (this.db.prepare(`SELECT * FROM task_pool WHERE cycle_id = ? AND status IN ('completed', 'failed') ORDER BY id`).all(cycleId) as RawTaskRow[]).map(
      toTask,
    );
  }

  /** Task counts by status (from the trigger-kept `task_counts`); scope is one cycle or, with null, the whole pool. */
  counts(cycleId: number | null): Record<TaskStatus, number> {
    const rows = (cycleId === null ? this.countsStmt.all() : this.cycleCountsStmt.all(cycleId)) as { status: TaskStatus; n: number }[];
    const counts: Record<TaskStatus, number> = { pending: 0, assigned: 0, completed: 0, failed: 0 };
    for (const r of rows) counts[r.status] += r.n;
    return counts;
  }

  /** Counts by status; scope is one cycle or, with null, the whole pool. */
  stats(cycleId: number | null): TaskPoolStats {
    const counts = this.counts(cycleId);
    const cycleFilter = cycleId === null ? '' : 'AND cycle_id = ?';
    const args = cycleId === null ? [] : [cycleId];
    const executors = (
      this.db
        .prepare(`SELECT DISTINCT assigned_to AS id FROM task_pool WHERE status = 'assigned' AND assigned_to IS NOT NULL ${cycleFilter} ORDER BY 1`)
        .all(...args) as { id: string }[]
    ).map((r) => r.id);
    const infra = this.db
      .prepare(`SELECT count(*) AS n FROM task_pool WHERE status = 'failed' AND fault IN ('executor', 'cancelled') ${cycleFilter}`)
      .get(...args) as { n: number };
    return {
      totalTasks: counts.pending + counts.assigned + counts.completed + counts.failed,
      pendingTasks: counts.pending,
      assignedTasks: counts.assigned,
      completedTasks: counts.completed,
      failedTasks: counts.failed,
      activeExecutors: executors.length,
      activeExecutorIds: executors,
      infraFailedTasks: infra.n,
    };
  }

  /**
   * Per miner of a cycle: tasks in all and unfinished, and from the finished ones' results the
   * summed steps and `/act` latency (the capacity model's inputs; src/cycle/capacity.ts).
   */
  minerProgress(cycleId: number): MinerProgress[] {
    const rows = this.db
      .prepare(
        `SELECT miner_uid AS uid, miner_endpoint AS endpoint, count(*) AS total,
                sum(status IN ('pending', 'assigned')) AS remaining,
                sum(CASE WHEN result IS NOT NULL THEN coalesce(json_extract(result, '$.timesteps'), 0) ELSE 0 END) AS steps,
                sum(result IS NOT NULL) AS results,
                sum(CASE WHEN json_extract(result, '$.mean_action_latency_ms') IS NOT NULL THEN json_extract(result, '$.mean_action_latency_ms') * max(1, coalesce(json_extract(result, '$.timesteps'), 0)) ELSE 0 END) AS latency_weighted,
                sum(CASE WHEN json_extract(result, '$.mean_action_latency_ms') IS NOT NULL THEN max(1, coalesce(json_extract(result, '$.timesteps'), 0)) ELSE 0 END) AS latency_weight
         FROM task_pool WHERE cycle_id = ? GROUP BY miner_uid, miner_endpoint`,
      )
      .all(cycleId) as {
      uid: number;
      endpoint: string;
      total: number;
      remaining: number;
      steps: number;
      results: number;
      latency_weighted: number;
      latency_weight: number;
    }[];
    return rows.map((r) => ({
      uid: r.uid,
      endpoint: r.endpoint,
      total: r.total,
      remaining: r.remaining,
      results: r.results,
      meanSteps: r.results > 0 ? r.steps / r.results : null,
      meanLatencyMs: r.latency_weight > 0 ? r.latency_weighted / r.latency_weight : null,
    }));
  }

  /** Executors other than this process's own (ids not starting with `ownPrefix`) holding tasks now. */
  remoteExecutorCount(ownPrefix: string): number {
    return (
      this.db
        .prepare(`SELECT count(DISTINCT assigned_to) AS n FROM task_pool WHERE status = 'assigned' AND substr(assigned_to, 1, ?) <> ?`)
        .get(ownPrefix.length, ownPrefix) as { n: number }
    ).n;
  }

  /** True when the cycle has no pending or assigned task left. */
  isCycleDone(cycleId: number): boolean {
    const c = this.counts(cycleId);
    return c.pending + c.assigned === 0;
  }
}
