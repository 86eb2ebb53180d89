import type { Migration } from './index.ts';

/**
 * Deployment spot checks (docs/verification.md). `episode_samples` keeps, per cycle and miner, the
 * opening steps of ONE of that miner's real episodes (the `/reset` task config, each observation as
 * sent and the action the live endpoint answered); `spot_checks` keeps one outcome per cycle and miner.
 * A sample is reserved by the task that will record it (`task_uuid`, `steps` NULL) so concurrent
 * executors record one episode per miner, not one per claim.
 *
 * Numbered after the highest migration on the branch it was written on; renumber when merging.
 */
export const spotChecks: Migration = {
  version: 6,
  name: 'deployment spot checks',
  up(db) {
    db.exec(`
      CREATE TABLE episode_samples (
        cycle_id INTEGER NOT NULL REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        miner_uid INTEGER NOT NULL,
        task_uuid TEXT NOT NULL,
        env_id TEXT NOT NULL,
        reset_config TEXT,
        steps TEXT,
        recorded_at TEXT,
        PRIMARY KEY (cycle_id, miner_uid)
      );
      CREATE TABLE spot_checks (
        cycle_id INTEGER NOT NULL REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        miner_uid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        repo TEXT,
        revision TEXT,
        resolved_revision TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('verified', 'mismatch', 'unverifiable')),
        reason TEXT,
        steps_compared INTEGER NOT NULL DEFAULT 0,
        max_difference REAL,
        checked_at TEXT NOT NULL,
        PRIMARY KEY (cycle_id, miner_uid)
      );
    `);
  },
};
