/**
 * Deployment spot checks: the recorded sample of a miner's episode per cycle, and the outcome of
 * replaying it against the miner's committed code (docs/verification.md).
 */
import type { Database } from './db.ts';
import { isoNow, type Clock } from './clock.ts';

export type SpotCheckOutcome = 'verified' | 'mismatch' | 'unverifiable';

/** One recorded step: the observation JSON exactly as sent, and the action the live endpoint answered. */
export interface RecordedStep {
  observation: string;
  action: { eeTwist: number[]; gripper: number };
}

export interface EpisodeSample {
  cycleId: number;
  minerUid: number;
  taskUuid: string;
  envId: string;
  /** The `/reset` task config exactly as sent. */
  resetConfig: Record<string, unknown>;
  steps: RecordedStep[];
  recordedAt: string;
}

export interface SpotCheckRecord {
  cycleId: number;
  minerUid: number;
  hotkey: string;
  repo: string | null;
  revision: string | null;
  /** The full commit the Hub resolved the committed revision to (null when it never got that far). */
  resolvedRevision: string | null;
  outcome: SpotCheckOutcome;
  reason: string | null;
  stepsCompared: number;
  maxDifference: number | null;
  checkedAt: string;
}

interface RawCheck {
  cycle_id: number;
  miner_uid: number;
  hotkey: string;
  repo: string | null;
  revision: string | null;
  resolved_revision: string | null;
  outcome: SpotCheckOutcome;
  reason: string | null;
  steps_compared: number;
  max_difference: number | null;
  checked_at: string;
}

const toCheck = (r: RawCheck): SpotCheckRecord => ({
  cycleId: r.cycle_id,
  minerUid: r.miner_uid,
  hotkey: r.hotkey,
  repo: r.repo,
  revision: r.revision,
  resolvedRevision: r.resolved_revision,
  outcome: r.outcome,
  reason: r.reason,
  stepsCompared: r.steps_compared,
  maxDifference: r.max_difference,
  checkedAt: r.checked_at,
});

export class SpotChecks {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Reserves the (cycle, miner) sample for this task when none is reserved or kept yet: true means the
   * executor should record this episode's opening steps. Unknown tasks reserve nothing.
   */
  reserveSample(taskUuid: string): boolean {
    const task = this.db.prepare('SELECT cycle_id, miner_uid, env_id FROM task_pool WHERE task_uuid = ?').get(taskUuid) as
      { cycle_id: number; miner_uid: number; env_id: string } | undefined;
    if (!task) return false;
    // A reservation whose task is no longer running (abandoned at a shutdown, reclaimed as stale)
    // never reports: a new claim takes it over.
    const r = this.db
      .prepare(
        `INSERT INTO episode_samples (cycle_id, miner_uid, task_uuid, env_id) VALUES (?, ?, ?, ?)
         ON CONFLICT (cycle_id, miner_uid) DO UPDATE SET task_uuid = excluded.task_uuid, env_id = excluded.env_id
         WHERE episode_samples.steps IS NULL
           AND NOT EXISTS (SELECT 1 FROM task_pool t WHERE t.task_uuid = episode_samples.task_uuid AND t.status = 'assigned')`,
      )
      .run(task.cycle_id, task.miner_uid, taskUuid, task.env_id);
    return r.changes === 1;
  }

  /**
   * Keeps what the reserving task recorded; with no steps (the episode failed before its first action)
   * the reservation is released so a later episode of the miner records instead.
   */
  keepSample(taskUuid: string, resetConfig: Record<string, unknown> | null, steps: readonly RecordedStep[]): void {
    if (steps.length === 0 || resetConfig === null) {
      this.db.prepare('DELETE FROM episode_samples WHERE task_uuid = ? AND steps IS NULL').run(taskUuid);
      return;
    }
    this.db
      .prepare('UPDATE episode_samples SET reset_config = ?, steps = ?, recorded_at = ? WHERE task_uuid = ? AND steps IS NULL')
      .run(JSON.stringify(resetConfig), JSON.stringify(steps), isoNow(this.clock), taskUuid);
  }

  /** Releases a reservation whose task will not report here (an abandoned or reclaimed claim). */
  releaseSample(taskUuid: string): void {
    this.db.prepare('DELETE FROM episode_samples WHERE task_uuid = ? AND steps IS NULL').run(taskUuid);
  }

  sample(cycleId: number, minerUid: number): EpisodeSample | undefined {
    const r = this.db.prepare('SELECT * FROM episode_samples WHERE cycle_id = ? AND miner_uid = ? AND steps IS NOT NULL').get(cycleId, minerUid) as
      { cycle_id: number; miner_uid: number; task_uuid: string; env_id: string; reset_config: string; steps: string; recorded_at: string } | undefined;
    if (!r) return undefined;
    return {
      cycleId: r.cycle_id,
      minerUid: r.miner_uid,
      taskUuid: r.task_uuid,
      envId: r.env_id,
      resetConfig: JSON.parse(r.reset_config) as Record<string, unknown>,
      steps: JSON.parse(r.steps) as RecordedStep[],
      recordedAt: r.recorded_at,
    };
  }

  /** Records (or replaces) the outcome for a cycle and miner. */
  save(check: Omit<SpotCheckRecord, 'checkedAt'>): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO spot_checks (cycle_id, miner_uid, hotkey, repo, revision, resolved_revision, outcome, reason, steps_compared, max_difference, checked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        check.cycleId,
        check.minerUid,
        check.hotkey,
        check.repo,
        check.revision,
        check.resolvedRevision,
        check.outcome,
        check.reason,
        check.stepsCompared,
        check.maxDifference,
        isoNow(this.clock),
      );
  }

  forCycle(cycleId: number): SpotCheckRecord[] {
    return (this.db.prepare('SELECT * FROM spot_checks WHERE cycle_id = ? ORDER BY miner_uid').all(cycleId) as RawCheck[]).map(toCheck);
  }

  /** Each miner's most recent outcome (by cycle), keyed by uid and hotkey so a re-registered uid does not inherit it. */
  latest(): SpotCheckRecord[] {
    return (
      this.db
        .prepare(
          `SELECT s.* FROM spot_checks s
           JOIN (SELECT miner_uid, hotkey, MAX(cycle_id) AS cycle_id FROM spot_checks GROUP BY miner_uid, hotkey) m
             ON s.miner_uid = m.miner_uid AND s.hotkey = m.hotkey AND s.cycle_id = m.cycle_id
           ORDER BY s.miner_uid`,
        )
        .all() as RawCheck[]
    ).map(toCheck);
  }
}
