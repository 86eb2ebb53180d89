import type { Migration } from './index.ts';

/**
 * The original's four tables (docs/original.md §2) adapted to SQLite — timestamps are ISO-8601 UTC text,
 * JSON columns are text — plus `miners` and the cycle's explanation. Additions over the original:
 * cycles remember their block hash and settings; tasks carry an episode index, an attempt counter and
 * a fault class so executor faults are retried and never scored as miner failures (docs/original.md §13.11).
 */
export const initialSchema: Migration = {
  version: 1,
  name: 'initial schema',
  up(db) {
    db.exec(`
      CREATE TABLE evaluation_cycles (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        block_number INTEGER NOT NULL,
        block_hash TEXT,
        started_at TEXT NOT NULL,
        completed_at TEXT,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
        n_miners INTEGER,
        n_environments INTEGER,
        duration_seconds REAL,
        error_message TEXT,
        env_ids TEXT,
        episodes_per_env INTEGER
      );
      CREATE INDEX ix_evaluation_cycles_block_number ON evaluation_cycles(block_number);
      CREATE INDEX ix_evaluation_cycles_status ON evaluation_cycles(status);

      CREATE TABLE task_pool (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_uuid TEXT NOT NULL UNIQUE,
        cycle_id INTEGER NOT NULL REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        miner_uid INTEGER NOT NULL,
        miner_hotkey TEXT NOT NULL,
        miner_endpoint TEXT NOT NULL,
        miner_repo TEXT,
        miner_revision TEXT,
        env_id TEXT NOT NULL,
        seed INTEGER NOT NULL,
        episode_index INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'assigned', 'completed', 'failed')),
        assigned_to TEXT,
        assigned_at TEXT,
        completed_at TEXT,
        result TEXT,
        fault TEXT CHECK (fault IS NULL OR fault IN ('miner', 'executor', 'cancelled')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at TEXT NOT NULL
      );
      CREATE INDEX idx_task_pool_cycle ON task_pool(cycle_id);
      CREATE INDEX idx_task_pool_miner ON task_pool(miner_uid);
      CREATE INDEX idx_task_pool_status ON task_pool(status, id);
      CREATE INDEX idx_task_pool_assigned ON task_pool(assigned_to) WHERE status = 'assigned';

      -- Per-(cycle, status) counts kept by triggers, so fetch's total_pending and the stats endpoint
      -- are O(cycles) instead of scanning every pending task on each claim.
      CREATE TABLE task_counts (
        cycle_id INTEGER NOT NULL REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (cycle_id, status)
      ) WITHOUT ROWID;
      CREATE TRIGGER task_counts_insert AFTER INSERT ON task_pool BEGIN
        INSERT INTO task_counts (cycle_id, status, n) VALUES (NEW.cycle_id, NEW.status, 1)
          ON CONFLICT (cycle_id, status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER task_counts_update AFTER UPDATE OF status ON task_pool WHEN OLD.status <> NEW.status BEGIN
        UPDATE task_counts SET n = n - 1 WHERE cycle_id = OLD.cycle_id AND status = OLD.status;
        INSERT INTO task_counts (cycle_id, status, n) VALUES (NEW.cycle_id, NEW.status, 1)
          ON CONFLICT (cycle_id, status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER task_counts_delete AFTER DELETE ON task_pool BEGIN
        UPDATE task_counts SET n = n - 1 WHERE cycle_id = OLD.cycle_id AND status = OLD.status;
      END;

      CREATE TABLE miner_scores (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        cycle_id INTEGER NOT NULL REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        uid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        env_id TEXT NOT NULL,
        success_rate REAL NOT NULL,
        mean_reward REAL NOT NULL,
        episodes_completed INTEGER NOT NULL,
        episodes_failed INTEGER NOT NULL
      );
      CREATE INDEX idx_miner_scores_cycle ON miner_scores(cycle_id);
      CREATE INDEX idx_miner_scores_uid ON miner_scores(uid);
      CREATE UNIQUE INDEX idx_miner_scores_unique ON miner_scores(cycle_id, uid, env_id);

      CREATE TABLE computed_weights (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        cycle_id INTEGER NOT NULL REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        block_number INTEGER NOT NULL,
        weights_json TEXT NOT NULL,
        weights_u16_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX idx_weights_block ON computed_weights(block_number);

      CREATE TABLE cycle_explanations (
        cycle_id INTEGER PRIMARY KEY REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        points_json TEXT NOT NULL,
        explanation_json TEXT NOT NULL
      );

      -- The miners a cycle evaluates, as discovered at its block: scoring reads commit blocks from
      -- here, so a resumed cycle scores exactly the miners it started with.
      CREATE TABLE cycle_miners (
        cycle_id INTEGER NOT NULL REFERENCES evaluation_cycles(id) ON DELETE CASCADE,
        uid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        repo TEXT,
        revision TEXT,
        commit_block INTEGER,
        PRIMARY KEY (cycle_id, uid)
      );

      CREATE TABLE appliance_settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE miners (
        uid INTEGER PRIMARY KEY,
        hotkey TEXT NOT NULL,
        commitment TEXT,
        repo TEXT,
        revision TEXT,
        endpoint TEXT,
        commit_block INTEGER,
        status TEXT NOT NULL DEFAULT 'active',
        skip_reason TEXT,
        last_seen_block INTEGER,
        last_seen_at TEXT NOT NULL
      );
      CREATE INDEX idx_miners_hotkey ON miners(hotkey);
    `);
  },
};
