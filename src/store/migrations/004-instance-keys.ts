import type { Migration } from './index.ts';

/**
 * Tasks carry the secret instance key their scene is generated from (src/sim/instance.ts); the integer
 * `seed` stays as the original's opaque wire label. Tasks created before this migration have no key
 * and their scenes cannot be rebuilt, so a cycle interrupted across the upgrade is closed as failed
 * (its unfinished tasks cancelled, never scored) and the next cycle starts afresh.
 */
export const instanceKeys: Migration = {
  version: 4,
  name: 'instance keys for tasks',
  up(db) {
    db.exec(`ALTER TABLE task_pool ADD COLUMN instance TEXT NOT NULL DEFAULT ''`);
    const now = new Date().toISOString();
    db.prepare(
      `UPDATE task_pool SET status = 'failed', fault = 'cancelled', completed_at = ?,
         result = json_object('error', 'Cancelled by the upgrade to instance keys')
       WHERE status IN ('pending', 'assigned')`,
    ).run(now);
    db.prepare(
      `UPDATE evaluation_cycles SET status = 'failed', completed_at = ?, error_message = 'Cancelled by the upgrade to instance keys'
       WHERE status IN ('pending', 'running')`,
    ).run(now);
  },
};
