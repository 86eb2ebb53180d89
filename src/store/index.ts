/**
 * The store: the one owner of the SQLite database. Other folders use these modules and never write SQL.
 */
import { openDatabase, type Database, type OpenOptions } from './db.ts';
import { systemClock, type Clock } from './clock.ts';
import { TaskPool } from './task-pool.ts';
import { Cycles } from './cycles.ts';
import { Results } from './results.ts';
import { Miners } from './miners.ts';
import { Settings } from './settings.ts';
import { SpotChecks } from './spot-checks.ts';

export class Store {
  readonly tasks: TaskPool;
  readonly cycles: Cycles;
  readonly results: Results;
  readonly miners: Miners;
  readonly settings: Settings;
  readonly spotChecks: SpotChecks;

  constructor(
    readonly db: Database,
    readonly clock: Clock = systemClock,
  ) {
    this.tasks = new TaskPool(db, clock);
    this.cycles = new Cycles(db, clock);
    this.results = new Results(db, clock);
    this.miners = new Miners(db, clock);
    this.settings = new Settings(db);
    this.spotChecks = new SpotChecks(db, clock);
  }

  static open(file: string, options: OpenOptions & { clock?: Clock } = {}): Store {
    return new Store(openDatabase(file, options), options.clock ?? systemClock);
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** `SELECT 1`: true when the database answers. */
  ping(): boolean {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

export { StoreError, SCHEMA_VERSION } from './db.ts';
export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export type { TaskRow, NewTask, SubmittedResult, TaskPoolStats, TaskStatus, MinerProgress } from './task-pool.ts';
export type { CycleRow, CycleStatus, CycleMiner } from './cycles.ts';
export type { MinerScoreRow, WeightsRow, WeightsU16, CycleResults } from './results.ts';
export type { MinerRecord } from './miners.ts';
export type { SpotCheckOutcome, SpotCheckRecord, EpisodeSample, RecordedStep } from './spot-checks.ts';
