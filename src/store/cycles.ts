/** Evaluation cycles (docs/original.md §2.1, §2.6): running → completed | failed. */
import type { Database } from './db.ts';
import { isoNow, type Clock } from './clock.ts';

export type CycleStatus = 'pending' | 'running' | 'completed' | 'failed';

export interface CycleRow {
  id: number;
  blockNumber: number;
  blockHash: string | null;
  startedAt: string;
  completedAt: string | null;
  status: CycleStatus;
  nMiners: number | null;
  nEnvironments: number | null;
  durationSeconds: number | null;
  errorMessage: string | null;
  envIds: string[] | null;
  episodesPerEnv: number | null;
}

interface RawCycle {
  id: number;
  block_number: number;
  block_hash: string | null;
  started_at: string;
  completed_at: string | null;
  status: CycleStatus;
  n_miners: number | null;
  n_environments: number | null;
  duration_seconds: number | null;
  error_message: string | null;
  env_ids: string | null;
  episodes_per_env: number | null;
}

function toCycle(r: RawCycle): CycleRow {
  return {
    id: r.id,
    blockNumber: r.block_number,
    blockHash: r.block_hash,
    startedAt: r.started_at,
    completedAt: r.completed_at,
    status: r.status,
    nMiners: r.n_miners,
    nEnvironments: r.n_environments,
    durationSeconds: r.duration_seconds,
    errorMessage: r.error_message,
    envIds: r.env_ids === null ? null : (JSON.parse(r.env_ids) as string[]),
    episodesPerEnv: r.episodes_per_env,
  };
}

export interface NewCycle {
  blockNumber: number;
  blockHash: string | null;
  envIds: readonly string[];
  episodesPerEnv: number;
}

export interface CycleMiner {
  uid: number;
  hotkey: string;
  endpoint: string;
  repo: string | null;
  revision: string | null;
  commitBlock: number | null;
}

export class Cycles {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  start(c: NewCycle): CycleRow {
    const row = this.db
      .prepare(
        `INSERT INTO evaluation_cycles (block_number, block_hash, started_at, status, n_environments, env_ids, episodes_per_env)
         VALUES (?, ?, ?, 'running', ?, ?, ?) RETURNING *`,
      )
      .get(c.blockNumber, c.blockHash, isoNow(this.clock), c.envIds.length, JSON.stringify(c.envIds), c.episodesPerEnv) as RawCycle;
    return toCycle(row);
  }

  setMinerCount(cycleId: number, nMiners: number): void {
    this.db.prepare('UPDATE evaluation_cycles SET n_miners = ? WHERE id = ?').run(nMiners, cycleId);
  }

  /** Records the miners a cycle evaluates (call in the transaction that enqueues its tasks). */
  saveMiners(cycleId: number, miners: readonly CycleMiner[]): void {
    const insert = this.db.prepare('INSERT INTO cycle_miners (cycle_id, uid, hotkey, endpoint, repo, revision, commit_block) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const m of miners) insert.run(cycleId, m.uid, m.hotkey, m.endpoint, m.repo, m.revision, m.commitBlock);
  }

  miners(cycleId: number): CycleMiner[] {
    return (
      this.db.prepare('SELECT uid, hotkey, endpoint, repo, revision, commit_block FROM cycle_miners WHERE cycle_id = ? ORDER BY uid').all(cycleId) as {
        uid: number;
        hotkey: string;
        endpoint: string;
        repo: string | null;
        revision: string | null;
        commit_block: number | null;
      }[]
    ).map((r) => ({ uid: r.uid, hotkey: r.hotkey, endpoint: r.endpoint, repo: r.repo, revision: r.revision, commitBlock: r.commit_block }));
  }

  /** Seconds since an existing cycle started; throws for an unknown id. */
  private elapsedSeconds(cycleId: number): number {
    const c = this.get(cycleId);
    if (!c) throw new Error(`cycle ${cycleId} not found`);
    return Math.max(0, (this.clock.now().getTime() - Date.parse(c.startedAt)) / 1000);
  }

  /** Marks a running cycle completed. Call inside the transaction that stores its results. */
  complete(cycleId: number): void {
    const elapsed = this.elapsedSeconds(cycleId);
    this.db
      .prepare(`UPDATE evaluation_cycles SET status = 'completed', completed_at = ?, duration_seconds = ? WHERE id = ? AND status = 'running'`)
      .run(isoNow(this.clock), elapsed, cycleId);
  }

  fail(cycleId: number, message: string): void {
    const elapsed = this.elapsedSeconds(cycleId);
    this.db
      .prepare(
        `UPDATE evaluation_cycles SET status = 'failed', completed_at = ?, duration_seconds = ?, error_message = ? WHERE id = ? AND status IN ('pending', 'running')`,
      )
      .run(isoNow(this.clock), elapsed, message, cycleId);
  }

  get(cycleId: number): CycleRow | undefined {
    const r = this.db.prepare('SELECT * FROM evaluation_cycles WHERE id = ?').get(cycleId) as RawCycle | undefined;
    return r ? toCycle(r) : undefined;
  }

  /** The highest-id running cycle (the original's "current cycle"). */
  current(): CycleRow | undefined {
    const r = this.db.prepare(`SELECT * FROM evaluation_cycles WHERE status = 'running' ORDER BY id DESC LIMIT 1`).get() as RawCycle | undefined;
    return r ? toCycle(r) : undefined;
  }

  lastCompleted(): CycleRow | undefined {
    const r = this.db.prepare(`SELECT * FROM evaluation_cycles WHERE status = 'completed' ORDER BY id DESC LIMIT 1`).get() as RawCycle | undefined;
    return r ? toCycle(r) : undefined;
  }

  /** Cycles left pending or running by a previous process. */
  incomplete(): CycleRow[] {
    return (this.db.prepare(`SELECT * FROM evaluation_cycles WHERE status IN ('pending', 'running') ORDER BY id`).all() as RawCycle[]).map(toCycle);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM evaluation_cycles').get() as { n: number }).n;
  }

  /** Most recent first. */
  list(options: { limit: number; offset: number; status?: CycleStatus }): { total: number; cycles: CycleRow[] } {
    const filter = options.status ? 'WHERE status = ?' : '';
    const args = options.status ? [options.status] : [];
    const total = (this.db.prepare(`SELECT count(*) AS n FROM evaluation_cycles ${filter}`).get(...args) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT * FROM evaluation_cycles ${filter} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...args, options.limit, options.offset) as RawCycle[];
    return { total, cycles: rows.map(toCycle) };
  }
}
