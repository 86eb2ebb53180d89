/**
 * The task pool: every operation on `task_pool`, here and, for its row model and the reads that
 * status pages and scoring use, in task-pool-reads.ts.
 *
 * Lifecycle (docs/original.md §2.5): pending → assigned (fetch) → completed | failed (submit by the owner).
 * Fixes over the original: only tasks of running cycles are handed out (docs/original.md §13.10); executor faults put
 * a task back with a retry budget instead of scoring it as a miner failure (docs/original.md §13.11); an interrupted
 * cycle can be resumed instead of cancelled.
 */
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Database } from './db.ts';
import { isoNow, type Clock } from './clock.ts';
import {
  TaskPoolReads,
  toTask,
  type NewTask,
  type RawTaskRow,
  type SubmittedResult,
  type SubmitOutcome,
  type TaskFault,
  type TaskResultPayload,
  type TaskRow,
  type TaskStatus,
} from './task-pool-reads.ts';

export type {
  MinerProgress,
  NewTask,
  SubmitOutcome,
  SubmittedResult,
  TaskFault,
  TaskPoolStats,
  TaskResultPayload,
  TaskRow,
  TaskStatus,
} from './task-pool-reads.ts';

/** SQLite errors that concern the database as a whole rather than one statement's data. */
function isStorageFault(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code ?? '';
  return /^SQLITE_(FULL|IOERR|BUSY|LOCKED|READONLY|NOMEM|CORRUPT|CANTOPEN|NOTADB|PROTOCOL)/.test(code);
}

export interface FetchOptions {
  executorId: string;
  batchSize: number;
  /** Only these environments; null or empty = no filter. */
  envIds?: readonly string[] | null;
}

/** The task pool's lifecycle: enqueue, hand out, take results, retry, release, reclaim, cancel. */
export class TaskPool extends TaskPoolReads {
  /** Called after any change that can finish or reopen tasks, so waiters wake without polling. */
  private readonly listeners = new Set<() => void>();
  private readonly insertStmt;
  private readonly submitStmt;
  private readonly countPendingStmt;
  /** Claim statements by number of env filters (prepared once each). */
  private readonly claimStmts = new Map<number, Statement>();

  constructor(
    db: Database,
    private readonly clock: Clock,
  ) {
    super(db);
    this.insertStmt = db.prepare(
      `INSERT INTO task_pool (task_uuid, cycle_id, miner_uid, miner_hotkey, miner_endpoint, miner_repo, miner_revision,
         env_id, seed, instance, episode_index, status, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)`,
    );
    this.submitStmt = db.prepare(
      `UPDATE task_pool SET status = ?, completed_at = ?, result = ?, fault = ?
       WHERE task_uuid = ? AND assigned_to = ? AND status = 'assigned'`,
    );
    this.countPendingStmt = db.prepare(
      `SELECT coalesce(sum(n), 0) AS n FROM task_counts WHERE status = 'pending'
         AND cycle_id IN (SELECT id FROM evaluation_cycles WHERE status = 'running')`,
    );
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  /** Inserts a cycle's tasks in one transaction; returns their uuids in input order. */
  enqueue(cycleId: number, tasks: readonly NewTask[]): string[] {
    const now = isoNow(this.clock);
    const uuids: string[] = [];
    this.db
      .transaction(() => {
        for (const t of tasks) {
          const uuid = t.taskUuid ?? randomUUID();
          this.insertStmt.run(
            uuid,
            cycleId,
            t.minerUid,
            t.minerHotkey,
            t.minerEndpoint,
            t.minerRepo,
            t.minerRevision,
            t.envId,
            t.seed,
            t.instance,
            t.episodeIndex,
            now,
          );
          uuids.push(uuid);
        }
      })
      .immediate();
    return uuids;
  }

  /**
   * Atomically assigns up to `batchSize` pending tasks of running cycles, oldest first. One
   * `BEGIN IMMEDIATE` transaction takes the write lock before reading, so two connections (or
   * processes) can never claim the same task.
   */
  fetch(options: FetchOptions): { tasks: TaskRow[]; totalPending: number } {
    const envIds = options.envIds && options.envIds.length > 0 ? options.envIds : null;
    const claim = this.claimStatement(envIds?.length ?? 0);
    return this.db
      .transaction(() => {
        const rows = claim.all(options.executorId, isoNow(this.clock), ...(envIds ?? []), options.batchSize) as RawTaskRow[];
        rows.sort((a, b) => a.id - b.id);
        const totalPending = (this.countPendingStmt.get() as { n: number }).n;
        return { tasks: rows.map(toTask), totalPending };
      })
      .immediate();
  }

  private claimStatement(envFilterCount: number): Statement {
    let stmt = this.claimStmts.get(envFilterCount);
    if (!stmt) {
      const envFilter = envFilterCount > 0 ? `AND env_id IN (${Array(envFilterCount).fill('?').join(',')})` : '';
      stmt = this.db.prepare(
        `UPDATE task_pool SET status = 'assigned', assigned_to = ?, assigned_at = ?
         WHERE id IN (
           SELECT id FROM task_pool
           WHERE status = 'pending' ${envFilter}
             AND cycle_id IN (SELECT id FROM evaluation_cycles WHERE status = 'running')
           ORDER BY id LIMIT ?)
         RETURNING *`,
      );
      this.claimStmts.set(envFilterCount, stmt);
    }
    return stmt;
  }

  /**
   * Records results. Each is accepted only from the executor the task is assigned to while it is
   * still assigned, so double and late submissions (after a stale reclaim) are rejected. Results
   * marked as executor faults are not scored: like `releaseForRetry`, they put the task back until
   * `maxAttempts` is used up.
   */
  submit(executorId: string, results: readonly SubmittedResult[], maxAttempts = 3): SubmitOutcome {
    const outcome: SubmitOutcome = { accepted: 0, rejected: 0, errors: [] };
    const notAssigned = (taskUuid: string) => {
      outcome.rejected += 1;
      outcome.errors.push(`Task ${taskUuid}: not found or not assigned to executor`);
    };
    const now = isoNow(this.clock);
    this.db
      .transaction(() => {
        for (const r of results) {
          if (r.fault === 'executor') continue;
          const payload: TaskResultPayload = {
            success: r.success,
            score: r.score,
            total_reward: r.total_reward,
            timesteps: r.timesteps,
            error: r.error,
            ...(r.violation !== undefined ? { violation: r.violation } : {}),
            ...(r.mean_action_latency_ms !== undefined ? { mean_action_latency_ms: r.mean_action_latency_ms } : {}),
            ...(r.max_action_latency_ms !== undefined ? { max_action_latency_ms: r.max_action_latency_ms } : {}),
          };
          try {
            const status: TaskStatus = r.success ? 'completed' : 'failed';
            const fault: TaskFault | null = r.success ? null : 'miner';
            const info = this.submitStmt.run(status, now, JSON.stringify(payload), fault, r.taskUuid, executorId);
            if (info.changes === 1) outcome.accepted += 1;
            else notAssigned(r.taskUuid);
          } catch (err) {
            // A storage fault (full disk, I/O error, busy) is not about this result: SQLite may have
            // rolled the whole transaction back, so the submit fails as a whole and the executor,
            // keeping its outcomes, tries again. Only a problem with this one row rejects it.
            if (isStorageFault(err)) throw err;
            outcome.rejected += 1;
            outcome.errors.push(`Task ${r.taskUuid}: ${(err as Error).message}`);
          }
        }
        for (const r of results) {
          if (r.fault !== 'executor') continue;
          if (this.retryAssigned(executorId, r.taskUuid, r.error ?? 'executor fault', maxAttempts) === 'rejected') notAssigned(r.taskUuid);
          else outcome.accepted += 1;
        }
      })
      .immediate();
    if (outcome.accepted > 0) this.notify();
    return outcome;
  }

  /**
   * An executor could not run a task for reasons that are not the miner's fault (worker crash,
   * simulator error). The task goes back to pending until `maxAttempts` is used up, then it fails as
   * an executor fault, which scoring ignores and the coverage rule counts.
   */
  releaseForRetry(executorId: string, taskUuid: string, error: string, maxAttempts: number): 'retry' | 'exhausted' | 'rejected' {
    const verdict = this.db.transaction(() => this.retryAssigned(executorId, taskUuid, error, maxAttempts)).immediate();
    if (verdict !== 'rejected') this.notify();
    return verdict;
  }

  /** `releaseForRetry` without its transaction and notification. */
  private retryAssigned(executorId: string, taskUuid: string, error: string, maxAttempts: number): 'retry' | 'exhausted' | 'rejected' {
    const row = this.db.prepare(`SELECT attempts FROM task_pool WHERE task_uuid = ? AND assigned_to = ? AND status = 'assigned'`).get(taskUuid, executorId) as
      { attempts: number } | undefined;
    if (!row) return 'rejected';
    return this.recordInfraFailure(taskUuid, row.attempts + 1, error, maxAttempts);
  }

  private recordInfraFailure(taskUuid: string, attempts: number, error: string, maxAttempts: number): 'retry' | 'exhausted' {
    if (attempts >= maxAttempts) {
      this.db
        .prepare(
          `UPDATE task_pool SET status = 'failed', fault = 'executor', attempts = ?, last_error = ?, completed_at = ?, result = ?
           WHERE task_uuid = ?`,
        )
        .run(attempts, error, isoNow(this.clock), JSON.stringify({ error: `Executor fault after ${attempts} attempts: ${error}` }), taskUuid);
      return 'exhausted';
    }
    this.db
      .prepare(`UPDATE task_pool SET status = 'pending', assigned_to = NULL, assigned_at = NULL, attempts = ?, last_error = ? WHERE task_uuid = ?`)
      .run(attempts, error, taskUuid);
    return 'retry';
  }

  /**
   * An executor hands back tasks it has not started or will not finish (a graceful shutdown). Only
   * its own assigned tasks go back to pending, and without costing an attempt: the miner was never
   * called for them, and a restarting executor must not burn their retry budget.
   */
  release(executorId: string, taskUuids: readonly string[]): number {
    if (taskUuids.length === 0) return 0;
    const stmt = this.db.prepare(
      `UPDATE task_pool SET status = 'pending', assigned_to = NULL, assigned_at = NULL WHERE task_uuid = ? AND assigned_to = ? AND status = 'assigned'`,
    );
    const n = this.db.transaction(() => taskUuids.reduce((count, uuid) => count + stmt.run(uuid, executorId).changes, 0)).immediate();
    if (n > 0) this.notify();
    return n;
  }

  /** Extends the lease of tasks an executor is still working on. Returns how many were renewed. */
  renewLease(executorId: string, taskUuids: readonly string[]): number {
    if (taskUuids.length === 0) return 0;
    const stmt = this.db.prepare(`UPDATE task_pool SET assigned_at = ? WHERE task_uuid = ? AND assigned_to = ? AND status = 'assigned'`);
    const now = isoNow(this.clock);
    return this.db.transaction(() => taskUuids.reduce((n, uuid) => n + stmt.run(now, uuid, executorId).changes, 0)).immediate();
  }

  /**
   * Puts tasks whose lease is older than `staleSeconds` back to pending (counting an attempt, since
   * a vanished executor is an infrastructure fault). Returns the number reclaimed or exhausted.
   */
  reclaimStale(staleSeconds: number, maxAttempts: number): number {
    const cutoff = new Date(this.clock.now().getTime() - staleSeconds * 1000).toISOString();
    const reclaimed = this.db
      .transaction(() => {
        const stale = this.db.prepare(`SELECT task_uuid, attempts, assigned_to FROM task_pool WHERE status = 'assigned' AND assigned_at < ?`).all(cutoff) as {
          task_uuid: string;
          attempts: number;
          assigned_to: string;
        }[];
        for (const t of stale) {
          this.recordInfraFailure(t.task_uuid, t.attempts + 1, `lease expired (executor ${t.assigned_to} stopped reporting)`, maxAttempts);
        }
        return stale.length;
      })
      .immediate();
    if (reclaimed > 0) this.notify();
    return reclaimed;
  }

  /**
   * After a restart: tasks held by this process's own executors (whose ids start with `prefix`) can
   * never be submitted, so they go straight back to pending without costing an attempt.
   */
  reclaimAssignedTo(prefix: string): number {
    const n = this.db
      .prepare(`UPDATE task_pool SET status = 'pending', assigned_to = NULL, assigned_at = NULL WHERE status = 'assigned' AND substr(assigned_to, 1, ?) = ?`)
      .run(prefix.length, prefix).changes;
    if (n > 0) this.notify();
    return n;
  }

  /** Marks every unfinished task of a cycle failed (cancelled); they are not the miners' fault. */
  cancelUnfinished(cycleId: number, reason: string): number {
    const n = this.db
      .prepare(
        `UPDATE task_pool SET status = 'failed', fault = 'cancelled', completed_at = ?, result = ?
         WHERE cycle_id = ? AND status IN ('pending', 'assigned')`,
      )
      .run(isoNow(this.clock), JSON.stringify({ error: reason }), cycleId).changes;
    if (n > 0) this.notify();
    return n;
  }
}
