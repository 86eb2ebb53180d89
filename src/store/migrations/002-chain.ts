import type { Migration } from './index.ts';

/**
 * The chain layer's tables: the embedded LocalChain's state (versioned by block so reads can be pinned
 * at a block) and the validator's submission log (so a restart never resubmits the same weights and
 * commit-reveal salts survive restarts).
 */
export const chainSchema: Migration = {
  version: 2,
  name: 'local chain and validator submissions',
  up(db) {
    db.exec(`
      CREATE TABLE local_chain_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      -- Block-hash checkpoints (every 256th block and the latest materialised block).
      CREATE TABLE local_chain_blocks (
        number INTEGER PRIMARY KEY,
        hash TEXT NOT NULL
      );

      CREATE TABLE local_chain_extrinsics (
        block INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        signer TEXT NOT NULL,
        call TEXT NOT NULL,
        args TEXT NOT NULL,
        digest BLOB NOT NULL,
        outcome TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (block, idx)
      );

      CREATE TABLE local_chain_subnets (
        netuid INTEGER PRIMARY KEY,
        created_block INTEGER NOT NULL,
        tempo INTEGER NOT NULL,
        weights_rate_limit INTEGER NOT NULL,
        weights_version_key INTEGER NOT NULL,
        commit_reveal_enabled INTEGER NOT NULL,
        reveal_period_epochs INTEGER NOT NULL,
        max_allowed_uids INTEGER NOT NULL,
        min_allowed_weights INTEGER NOT NULL,
        max_weights_limit INTEGER NOT NULL
      );

      CREATE TABLE local_chain_neurons (
        netuid INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        registered_block INTEGER NOT NULL,
        PRIMARY KEY (netuid, uid),
        UNIQUE (netuid, hotkey)
      );

      CREATE TABLE local_chain_commitments (
        netuid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        block INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (netuid, hotkey, block)
      );

      CREATE TABLE local_chain_last_update (
        netuid INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        block INTEGER NOT NULL,
        PRIMARY KEY (netuid, uid, block)
      );

      CREATE TABLE local_chain_weights (
        netuid INTEGER NOT NULL,
        uid INTEGER NOT NULL,
        block INTEGER NOT NULL,
        weights TEXT NOT NULL,
        PRIMARY KEY (netuid, uid, block)
      );

      CREATE TABLE local_chain_weight_commits (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        netuid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        hash TEXT NOT NULL,
        commit_block INTEGER NOT NULL,
        first_reveal_block INTEGER NOT NULL,
        last_reveal_block INTEGER NOT NULL,
        removed_block INTEGER,
        removed_reason TEXT
      );
      CREATE INDEX idx_local_chain_weight_commits ON local_chain_weight_commits(netuid, hotkey, commit_block);

      CREATE TABLE validator_submissions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chain_id TEXT NOT NULL,
        netuid INTEGER NOT NULL,
        hotkey TEXT NOT NULL,
        source_block INTEGER NOT NULL,
        cycle_id INTEGER,
        mode TEXT NOT NULL CHECK (mode IN ('set', 'commit-reveal')),
        uids TEXT NOT NULL,
        weight_values TEXT NOT NULL,
        version_key INTEGER NOT NULL,
        salt TEXT,
        commit_hash TEXT,
        status TEXT NOT NULL CHECK (status IN ('sending', 'applied', 'committed', 'failed', 'expired', 'skipped')),
        sent_at_block INTEGER,
        commit_block INTEGER,
        reveal_attempts INTEGER NOT NULL DEFAULT 0,
        applied_block INTEGER,
        error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX idx_validator_submissions_key ON validator_submissions(chain_id, netuid, hotkey, source_block);
      CREATE INDEX idx_validator_submissions_status ON validator_submissions(chain_id, netuid, hotkey, status);
    `);
  },
};
