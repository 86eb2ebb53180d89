/** The miners seen on chain at the last discovery, with why any were skipped. */
import type { Database } from './db.ts';
import { isoNow, type Clock } from './clock.ts';

export interface MinerRecord {
  uid: number;
  hotkey: string;
  commitment: string | null;
  repo: string | null;
  revision: string | null;
  endpoint: string | null;
  commitBlock: number | null;
  status: 'active' | 'skipped';
  skipReason: string | null;
  lastSeenBlock: number | null;
  lastSeenAt: string;
}

interface RawMiner {
  uid: number;
  hotkey: string;
  commitment: string | null;
  repo: string | null;
  revision: string | null;
  endpoint: string | null;
  commit_block: number | null;
  status: 'active' | 'skipped';
  skip_reason: string | null;
  last_seen_block: number | null;
  last_seen_at: string;
}

const toMiner = (r: RawMiner): MinerRecord => ({
  uid: r.uid,
  hotkey: r.hotkey,
  commitment: r.commitment,
  repo: r.repo,
  revision: r.revision,
  endpoint: r.endpoint,
  commitBlock: r.commit_block,
  status: r.status,
  skipReason: r.skip_reason,
  lastSeenBlock: r.last_seen_block,
  lastSeenAt: r.last_seen_at,
});

export class Miners {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  /** Replaces the table with one discovery's view of the subnet, in one transaction. */
  replaceAll(miners: readonly Omit<MinerRecord, 'lastSeenAt'>[]): void {
    const now = isoNow(this.clock);
    const insert = this.db.prepare(
      `INSERT INTO miners (uid, hotkey, commitment, repo, revision, endpoint, commit_block, status, skip_reason, last_seen_block, last_seen_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM miners').run();
        for (const m of miners) {
          insert.run(m.uid, m.hotkey, m.commitment, m.repo, m.revision, m.endpoint, m.commitBlock, m.status, m.skipReason, m.lastSeenBlock, now);
        }
      })
      .immediate();
  }

  list(): MinerRecord[] {
    return (this.db.prepare('SELECT * FROM miners ORDER BY uid').all() as RawMiner[]).map(toMiner);
  }

  get(uid: number): MinerRecord | undefined {
    const r = this.db.prepare('SELECT * FROM miners WHERE uid = ?').get(uid) as RawMiner | undefined;
    return r ? toMiner(r) : undefined;
  }
}
