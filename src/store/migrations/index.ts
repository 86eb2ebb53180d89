/**
 * Versioned schema migrations, applied in order inside one transaction each. The database's
 * `PRAGMA user_version` records the last applied version. Append new migrations; never edit old ones.
 */
import type { Database } from 'better-sqlite3';
import { initialSchema } from './001-initial.ts';
import { chainSchema } from './002-chain.ts';
import { weightsByCycle } from './003-weights-by-cycle.ts';
import { instanceKeys } from './004-instance-keys.ts';
import { timelockedSubmissions } from './005-timelocked-submissions.ts';
import { spotChecks } from './006-spot-checks.ts';

export interface Migration {
  version: number;
  name: string;
  up(db: Database): void;
}

export const MIGRATIONS: Migration[] = [initialSchema, chainSchema, weightsByCycle, instanceKeys, timelockedSubmissions, spotChecks];
