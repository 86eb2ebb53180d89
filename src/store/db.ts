/**
 * Opening the SQLite database: busy timeout, WAL, foreign keys, and in-place migrations. A file that
 * is not SQLite, is corrupt, comes from a newer kinitro, or cannot be written is refused with a clear
 * error. The database holds secrets (the seed secret, the validator's commit-reveal salts), so it is
 * created readable by its owner only, and a group- or world-readable one is reported.
 *
 * Several processes may open the same file at once (`kinitro commit` ×8 on a fresh database, the
 * appliance and a CLI command): everything that changes the file happens under SQLite's write lock
 * (`BEGIN IMMEDIATE`), with the busy timeout set before anything else, and the schema version is
 * re-read once the lock is held.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { MIGRATIONS } from './migrations/index.ts';

export type { Database };

export class StoreError extends Error {
  override name = 'StoreError';
}

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Mode of every file kinitro creates that holds secrets: the database and its -wal / -shm. */
export const SECRET_FILE_MODE = 0o600;

export interface OpenOptions {
  /** Apply pending migrations (default true). With false, an outdated database is refused. */
  migrate?: boolean;
  readonly?: boolean;
  /** With migrate false: open an outdated database as it is (for `kinitro db migrate`). */
  allowOutdated?: boolean;
  busyTimeoutMs?: number;
  /** Where non-fatal problems go (default: a `warning:` line on stderr). */
  warn?: (message: string) => void;
}

const defaultWarn = (message: string) => process.stderr.write(`warning: ${message}\n`);

/**
 * Creates the database file empty with mode 0600 before SQLite sees it. SQLite creates -wal and -shm
 * with the mode of the database file, so they are 0600 too; the mode is set at creation (no window in
 * which a secret sits in a readable file). An existing file is left as it is.
 */
function createPrivately(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, SECRET_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

/** Reports database files other local users can read (the database holds the seed secret). */
function checkPermissions(file: string, warn: (message: string) => void): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    let mode: number;
    try {
      mode = fs.statSync(f).mode;
    } catch {
      continue;
    }
    if ((mode & 0o077) !== 0) {
      warn(`${f} is readable or writable by other users (mode ${(mode & 0o777).toString(8).padStart(4, '0')}); it holds secrets: chmod 600 ${f}`);
    }
  }
}

export function openDatabase(file: string, options: OpenOptions = {}): Database {
  const warn = options.warn ?? defaultWarn;
  const onDisk = file !== ':memory:' && file !== '';
  if (onDisk && !options.readonly) {
    const dir = path.dirname(path.resolve(file));
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      createPrivately(file);
    } catch (err) {
      throw new StoreError(`cannot create database ${file}: ${(err as Error).message}`);
    }
  }
  if (onDisk) checkPermissions(file, warn);
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw new StoreError(`cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    // First, before anything can meet a lock held by another process.
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    // Reading the header is the first thing that touches the file's pages: a non-SQLite or corrupt
    // file fails here with SQLITE_NOTADB / SQLITE_CORRUPT. A newer schema is refused before anything
    // (journal mode included) is changed in the file.
    refuseNewer(file, schemaVersion(db));
    db.pragma('foreign_keys = ON');
    if (!options.readonly) {
      requireWritable(db, file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    const quick = db.pragma('quick_check', { simple: true });
    if (quick !== 'ok') throw new StoreError(`database ${file} failed its integrity check: ${String(quick)}`);
    const version = schemaVersion(db);
    refuseNewer(file, version);
    if (version < SCHEMA_VERSION && !options.allowOutdated) {
      if (options.migrate === false || options.readonly) {
        throw new StoreError(`database ${file} has schema version ${version}; run \`kinitro db migrate --db ${file}\``);
      }
      migrate(db);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof StoreError) throw err;
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StoreError(`${file} is not a kinitro SQLite database or is corrupt (${code}): ${(err as Error).message}`);
    }
    if (!options.readonly && isReadOnlyError(code)) throw readOnly(file, code);
    throw new StoreError(`cannot open database ${file}: ${(err as Error).message}`);
  }
}

function refuseNewer(file: string, version: number): void {
  if (version > SCHEMA_VERSION) {
    throw new StoreError(`database ${file} has schema version ${version}, newer than this kinitro supports (${SCHEMA_VERSION}); upgrade kinitro`);
  }
}

/**
 * SQLite opens a file it may not write read-only without saying so; every write would then fail
 * (the API would answer 500 to every executor while /health says "connected"). Taking the write lock
 * and letting it go finds out at once, without changing anything.
 */
function requireWritable(db: Database, file: string): void {
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (isReadOnlyError(code)) throw readOnly(file, code);
    throw err;
  }
}

/** A WAL database in a directory we may not write fails even to read (SQLITE_READONLY_DIRECTORY). */
function isReadOnlyError(code: string): boolean {
  return code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH';
}

function readOnly(file: string, code: string): StoreError {
  return new StoreError(
    `database ${file} is read-only (${code}): kinitro needs to write it and its -wal/-shm files (check the permissions of the file and its directory, or the filesystem)`,
  );
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration above the current version; returns the versions applied. Each migration
 * runs in its own `BEGIN IMMEDIATE` transaction that first re-reads the version, so two processes
 * migrating the same file at once apply each migration exactly once (the second finds it done).
 */
export function migrate(db: Database): number[] {
  const applied: number[] = [];
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    const ran = db
      .transaction(() => {
        const current = schemaVersion(db);
        refuseNewer(db.name, current);
        if (m.version <= current) return false;
        m.up(db);
        db.pragma(`user_version = ${m.version}`);
        return true;
      })
      .immediate();
    if (ran) applied.push(m.version);
  }
  return applied;
}
