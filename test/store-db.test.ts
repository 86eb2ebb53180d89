import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { migrate, openDatabase, schemaVersion, SCHEMA_VERSION, StoreError } from '../src/store/db.ts';
import { MIGRATIONS } from '../src/store/migrations/index.ts';
import { Store } from '../src/store/index.ts';
import { tempDir } from './helpers/store.ts';
import { devInstance } from '../src/sim/instance.ts';

test('a new database is created in WAL mode with foreign keys at the current schema', (t) => {
  const dir = tempDir();
  const db = openDatabase(path.join(dir, 'nested', 'k.sqlite'));
  t.is(db.pragma('journal_mode', { simple: true }), 'wal');
  t.is(db.pragma('foreign_keys', { simple: true }), 1);
  t.is(db.pragma('busy_timeout', { simple: true }), 5000);
  t.is(schemaVersion(db), SCHEMA_VERSION);
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name);
  for (const name of ['evaluation_cycles', 'task_pool', 'miner_scores', 'computed_weights', 'miners']) t.true(tables.includes(name), name);
  db.close();
  fs.rmSync(dir, { recursive: true });
});

test('an older database is upgraded in place and keeps its data', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'old.sqlite');
  const raw = new BetterSqlite3(file);
  const first = MIGRATIONS[0]!;
  first.up(raw);
  raw.pragma(`user_version = ${first.version}`);
  raw.prepare(`INSERT INTO evaluation_cycles (block_number, started_at, status) VALUES (42, '2026-01-01T00:00:00.000Z', 'completed')`).run();
  raw.close();

  const store = Store.open(file);
  t.is(schemaVersion(store.db), SCHEMA_VERSION);
  t.is(store.cycles.get(1)?.blockNumber, 42);
  const plan = store.db.prepare('EXPLAIN QUERY PLAN SELECT * FROM computed_weights WHERE cycle_id = ?').all(1) as { detail: string }[];
  t.regex(plan.map((p) => p.detail).join(' '), /idx_weights_cycle/, 'weights by cycle use the index added by a later migration');
  store.close();
  fs.rmSync(dir, { recursive: true });
});

test('an outdated database is refused when migrations are disabled', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'empty.sqlite');
  new BetterSqlite3(file).close();
  const err = t.throws(() => openDatabase(file, { migrate: false }), { instanceOf: StoreError });
  t.regex(err!.message, /kinitro db migrate/);
  fs.rmSync(dir, { recursive: true });
});

test('a database from a newer kinitro is refused', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'future.sqlite');
  const raw = new BetterSqlite3(file);
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  const err = t.throws(() => openDatabase(file), { instanceOf: StoreError });
  t.regex(err!.message, /newer than this kinitro supports/);
  fs.rmSync(dir, { recursive: true });
});

test('a file that is not SQLite gives a clear error and is left untouched', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'notes.sqlite');
  const content = 'these are my notes, not a database\n'.repeat(200);
  fs.writeFileSync(file, content);
  const err = t.throws(() => openDatabase(file), { instanceOf: StoreError });
  t.regex(err!.message, /not a kinitro SQLite database or is corrupt/);
  t.is(fs.readFileSync(file, 'utf8'), content);
  fs.rmSync(dir, { recursive: true });
});

test('a corrupt database gives a clear error', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'corrupt.sqlite');
  const store = Store.open(file);
  store.db.pragma('journal_mode = DELETE');
  store.close();
  const bytes = fs.readFileSync(file);
  // Keep the header valid but scribble over the schema pages.
  bytes.fill(0xa5, 100, Math.min(bytes.length, 8192));
  fs.writeFileSync(file, bytes);
  const err = t.throws(() => openDatabase(file), { instanceOf: StoreError });
  t.regex(err!.message, /corrupt|integrity|malformed|not a kinitro/i);
  fs.rmSync(dir, { recursive: true });
});

test('deleting a cycle cascades to its tasks, scores and weights', (t) => {
  const dir = tempDir();
  const store = Store.open(path.join(dir, 'k.sqlite'));
  const c = store.cycles.start({ blockNumber: 5, blockHash: null, envIds: ['metaworld/reach-v3'], episodesPerEnv: 1 });
  store.tasks.enqueue(c.id, [
    {
      minerUid: 1,
      minerHotkey: 'hk',
      minerEndpoint: 'http://x',
      minerRepo: null,
      minerRevision: null,
      envId: 'metaworld/reach-v3',
      seed: 1,
      instance: devInstance(1, 0),
      episodeIndex: 0,
    },
  ]);
  store.transaction(() => {
    store.results.save(c.id, {
      scores: [{ uid: 1, hotkey: 'hk', envId: 'metaworld/reach-v3', successRate: 1, meanReward: 2, episodesCompleted: 1, episodesFailed: 0 }],
      weights: { '1': 1 },
      weightsU16: { uids: [1], values: [65535] },
      blockNumber: 5,
      points: { '1': 1 },
      explanation: {},
    });
    store.cycles.complete(c.id);
  });
  store.db.prepare('DELETE FROM evaluation_cycles WHERE id = ?').run(c.id);
  for (const table of ['task_pool', 'miner_scores', 'computed_weights', 'cycle_explanations']) {
    t.is((store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n, 0, table);
  }
  store.close();
  fs.rmSync(dir, { recursive: true });
});

test('a new database and its WAL and shared-memory files are readable by their owner only (0600)', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'fresh.sqlite');
  const store = Store.open(file);
  // Write something so the WAL holds data, and keep the connection open so -wal/-shm exist.
  store.settings.seedSecret();
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    t.true(fs.existsSync(f), f);
    t.is(fs.statSync(f).mode & 0o777, 0o600, `${path.basename(f)} is 0600`);
  }
  store.close();
  fs.rmSync(dir, { recursive: true });
});

test('an existing group- or world-readable database is reported', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'loose.sqlite');
  Store.open(file).close();
  fs.chmodSync(file, 0o644);
  const warnings: string[] = [];
  Store.open(file, { warn: (m) => warnings.push(m) }).close();
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /loose\.sqlite is readable or writable by other users \(mode 0644\).*chmod 600/);
  fs.chmodSync(file, 0o600);
  const none: string[] = [];
  Store.open(file, { warn: (m) => none.push(m) }).close();
  t.deepEqual(none, []);
  fs.rmSync(dir, { recursive: true });
});

test('a database from a newer kinitro is refused without being modified (journal mode included)', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'future-rollback.sqlite');
  const raw = new BetterSqlite3(file);
  raw.exec('CREATE TABLE t (x)');
  raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  raw.close();
  const before = fs.readFileSync(file);
  t.throws(() => openDatabase(file, { warn: () => undefined }), { instanceOf: StoreError, message: /newer than this kinitro supports/ });
  t.true(fs.readFileSync(file).equals(before), 'not a byte changed');
  t.false(fs.existsSync(`${file}-wal`), 'not switched to WAL');
  const check = new BetterSqlite3(file, { readonly: true });
  t.is(check.pragma('journal_mode', { simple: true }), 'delete');
  check.close();
  fs.rmSync(dir, { recursive: true });
});

test('migrating reads the schema version only under the write lock, so a concurrent migrator never runs a migration twice', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'race.sqlite');
  const a = new BetterSqlite3(file);
  const b = new BetterSqlite3(file);
  b.pragma('busy_timeout = 5000');
  // Another process (connection b) gets the write lock whenever `a` holds none: simulate it migrating
  // at the first moment `a` reads the version outside a transaction, right after that read.
  let otherMigrated = false;
  const interleaved = new Proxy(a, {
    get(target, prop, receiver) {
      if (prop !== 'pragma') return Reflect.get(target, prop, receiver);
      return (source: string, options?: { simple?: boolean }) => {
        const result = target.pragma(source, options);
        if (source === 'user_version' && !target.inTransaction && !otherMigrated) {
          otherMigrated = true;
          migrate(b);
        }
        return result;
      };
    },
  });
  t.notThrows(() => migrate(interleaved), 'no "table evaluation_cycles already exists"');
  t.is(schemaVersion(a), SCHEMA_VERSION);
  t.is(schemaVersion(b), SCHEMA_VERSION);
  a.close();
  b.close();
  fs.rmSync(dir, { recursive: true });
});
