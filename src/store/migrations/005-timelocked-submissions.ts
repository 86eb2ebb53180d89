import type { Migration } from './index.ts';

/**
 * The validator can commit weights timelocked to a drand round (`commit_timelocked_weights`): the
 * submission log accepts the mode `timelocked` and records the round. SQLite cannot change a CHECK
 * constraint in place, so the table is rebuilt with its rows and indexes.
 */
export const timelockedSubmissions: Migration = {
  version: 5,
  name: 'timelocked validator submissions',
  up(db) {
    db.exec(`
      CREATE TABLE validator_submissions_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chain_id TEXT NOT NULL,
        netuid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        source_block INTEGER NOT NULL,
        cycle_id INTEGER,
        mode TEXT NOT NULL CHECK (mode IN ('set', 'commit-reveal', 'timelocked')),
        uids TEXT NOT NULL,
        weight_values TEXT NOT NULL,
        version_key INTEGER NOT NULL,
        salt TEXT,
        commit_hash TEXT,
        reveal_round INTEGER,
        status TEXT NOT NULL CHECK (status IN ('sending', 'applied', 'committed', 'failed', 'expired', 'skipped')),
        sent_at_block INTEGER,
        commit_block INTEGER,
        reveal_attempts INTEGER NOT NULL DEFAULT 0,
        applied_block INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      INSERT INTO validator_submissions_new (id, chain_id, netuid, hotkey, source_block, cycle_id, mode, uids, weight_values, version_key,
        salt, commit_hash, status, sent_at_block, commit_block, reveal_attempts, applied_block, error, created_at, updated_at)
        SELECT id, chain_id, netuid, hotkey, source_block, cycle_id, mode, uids, weight_values, version_key,
          salt, commit_hash, status, sent_at_block, commit_block, reveal_attempts, applied_block, error, created_at, updated_at
        FROM validator_submissions;
      DROP TABLE validator_submissions;
      ALTER TABLE validator_submissions_new RENAME TO validator_submissions;
      CREATE INDEX idx_validator_submissions_key ON validator_submissions(chain_id, netuid, hotkey, source_block);
      CREATE INDEX idx_validator_submissions_status ON validator_submissions(chain_id, netuid, hotkey, status);
    `);
  },
};
