import type { Migration } from './index.ts';

/** `/v1/weights/{cycle}` and the TUI look weights up by cycle; without this index that is a table scan. */
export const weightsByCycle: Migration = {
  version: 3,
  name: 'index computed weights by cycle',
  up(db) {
    db.exec('CREATE INDEX IF NOT EXISTS idx_weights_cycle ON computed_weights(cycle_id)');
  },
};
