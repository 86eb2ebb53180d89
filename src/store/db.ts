/**
 * Opening the SQLite database: WAL, busy timeout, foreign keys, and in-place migrations. A file that
 * is not SQLite, is corrupt, or comes from a newer kinitro is refused with a clear error.
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

export interface OpenOptions {
  /** Apply pending migrations (default true). With false, an outdated database is refused. */
  migrate?: boolean;
  readonly?: boolean;
  /** With migrate false: open an outdated database as it is (for `kinitro db migrate`). */
  allowOutdated?: boolean;
  busyTimeoutMs?: number;
}

export function openDatabase(file: string, options: OpenOptions = {}): Database {
  if (file !== ':memory:') {
    const dir = path.dirname(path.resolve(file));
    if (!options.readonly) fs.mkdirSync(dir, { recursive: true });
  }
  let db: Database;
  try {
    db = new BetterSqlite3(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw new StoreError(`cannot open database ${file}: ${(err as Error).message}`);
  }
  try {
    // Reading the schema is the first thing that touches the file's pages: a non-SQLite or corrupt
    // file fails here with SQLITE_NOTADB / SQLITE_CORRUPT.
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
    db.pragma('foreign_keys = ON');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
    }
    const quick = db.pragma('quick_check', { simple: true });
    if (quick !== 'ok') throw new StoreError(`database ${file} failed its integrity check: ${String(quick)}`);
    const version = schemaVersion(db);
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        `database ${file} has schema version ${version}, newer than this kinitro supports (${SCHEMA_VERSION}); upgrade kinitro`,
      );
    }
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
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new StoreError(`${file} is not a kinitro SQLite database or is corrupt (${code}): ${(err as Error).message}`);
    }
    throw new StoreError(`cannot open database ${file}: ${(err as Error).message}`);
  }
}

export function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Applies every migration above the current version; returns the versions applied. */
export function migrate(db: Database): number[] {
  const applied: number[] = [];
  for (const m of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
    if (m.version <= schemaVersion(db)) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
    applied.push(m.version);
  }
  return applied;
}
