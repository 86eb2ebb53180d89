import { defineCommand } from '../command.ts';
import { dbOption } from '../shared-options.ts';
import { migrate, openDatabase, schemaVersion, SCHEMA_VERSION } from '../../store/db.ts';
import { Store } from '../../store/index.ts';

export const dbInitCommand = defineCommand({
  path: ['db', 'init'],
  summary: 'Create the database (or bring it to the current schema).',
  options: { db: dbOption },
  async run({ options, stdout }) {
    const db = openDatabase(options.db);
    stdout.write(`database ${options.db} ready at schema version ${schemaVersion(db)}\n`);
    db.close();
  },
});

export const dbMigrateCommand = defineCommand({
  path: ['db', 'migrate'],
  summary: 'Apply pending schema migrations in place.',
  options: { db: dbOption },
  async run({ options, stdout }) {
    const db = openDatabase(options.db, { migrate: false, allowOutdated: true });
    try {
      const before = schemaVersion(db);
      const applied = migrate(db);
      stdout.write(
        applied.length === 0
          ? `database ${options.db} is up to date (version ${before})\n`
          : `migrated ${options.db} from version ${before} to ${applied.at(-1)}\n`,
      );
    } finally {
      db.close();
    }
  },
});

export const dbStatusCommand = defineCommand({
  path: ['db', 'status'],
  summary: 'Show schema version, cycles, tasks and the latest weights.',
  options: { db: dbOption },
  async run({ options, stdout }) {
    // Read-only: looking must work on a database we may not (or should not) write.
    const store = Store.open(options.db, { readonly: true });
    try {
      const current = store.cycles.current();
      const last = store.cycles.lastCompleted();
      const weights = store.results.latestWeights();
      const stats = store.tasks.stats(null);
      const lines = [
        `database:        ${options.db} (schema ${schemaVersion(store.db)} of ${SCHEMA_VERSION})`,
        `cycles:          ${store.cycles.count()} total`,
        `running cycle:   ${current ? `#${current.id} at block ${current.blockNumber}` : 'none'}`,
        `last completed:  ${last ? `#${last.id} at block ${last.blockNumber} (${last.durationSeconds?.toFixed(1)} s)` : 'none'}`,
        `tasks:           ${stats.totalTasks} (pending ${stats.pendingTasks}, assigned ${stats.assignedTasks}, completed ${stats.completedTasks}, failed ${stats.failedTasks})`,
        `latest weights:  ${weights ? `block ${weights.blockNumber}, ${weights.weightsU16.uids.length} miners` : 'none'}`,
      ];
      stdout.write(lines.join('\n') + '\n');
    } finally {
      store.close();
    }
  },
});
