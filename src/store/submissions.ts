/**
 * The validator's submission log: one row per attempt to put one published weight vector on chain.
 * A row is written *before* the extrinsic is sent (status `sending`), so a crash or timeout leaves a
 * record whose outcome the validator resolves from chain state instead of blindly resubmitting; the
 * commit-reveal salt lives here so a reveal survives a restart.
 */
import type { Database } from 'better-sqlite3';

/** `set_weights`; hash commit then reveal; or a commit timelocked to a drand round that the chain reveals itself. */
export type SubmissionMode = 'set' | 'commit-reveal' | 'timelocked';
/**
 * sending   – signed and being sent; outcome not known yet (after a crash or a timeout: unknown)
 * applied   – the weights are on chain (set_weights included, or the reveal included)
 * committed – the commit is included; the reveal is pending
 * failed    – rejected or never landed; a new attempt may be made
 * expired   – the commit expired (or vanished) before it could be revealed
 * skipped   – nothing to submit (e.g. an empty weight vector); recorded so it is not retried
 */
export type SubmissionStatus = 'sending' | 'applied' | 'committed' | 'failed' | 'expired' | 'skipped';

export interface SubmissionKey {
  chainId: string;
  netuid: number;
  hotkey: string;
}

/** A stored submission: what was recorded, plus what the chain has done with it since. */
export interface Submission extends Required<NewSubmission> {
  id: number;
  commitBlock: number | null;
  revealAttempts: number;
  appliedBlock: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewSubmission extends SubmissionKey {
  sourceBlock: number;
  cycleId: number | null;
  mode: SubmissionMode;
  uids: number[];
  values: number[];
  versionKey: number;
  salt?: number[] | null;
  /** Hash commits: the commit hash; timelocked commits: blake2-256 of the ciphertext. */
  commitHash?: string | null;
  /** Timelocked commits: the drand round the ciphertext opens at. */
  revealRound?: number | null;
  status: SubmissionStatus;
  sentAtBlock?: number | null;
  error?: string | null;
}

export interface SubmissionUpdate {
  status?: SubmissionStatus;
  commitBlock?: number | null;
  appliedBlock?: number | null;
  sentAtBlock?: number | null;
  revealAttempts?: number;
  error?: string | null;
}

interface Row {
  id: number;
  chain_id: string;
  netuid: number;
  hotkey: string;
  source_block: number;
  cycle_id: number | null;
  mode: SubmissionMode;
  uids: string;
  weight_values: string;
  version_key: number;
  salt: string | null;
  commit_hash: string | null;
  reveal_round: number | null;
  status: SubmissionStatus;
  sent_at_block: number | null;
  commit_block: number | null;
  reveal_attempts: number;
  applied_block: number | null;
  error: string | null;
  created_at: string;
  updated_at: string;
}

function fromRow(r: Row): Submission {
  return {
    id: r.id,
    chainId: r.chain_id,
    netuid: r.netuid,
    hotkey: r.hotkey,
    sourceBlock: r.source_block,
    cycleId: r.cycle_id,
    mode: r.mode,
    uids: JSON.parse(r.uids) as number[],
    values: JSON.parse(r.weight_values) as number[],
    versionKey: r.version_key,
    salt: r.salt === null ? null : (JSON.parse(r.salt) as number[]),
    commitHash: r.commit_hash,
    revealRound: r.reveal_round,
    status: r.status,
    sentAtBlock: r.sent_at_block,
    commitBlock: r.commit_block,
    revealAttempts: r.reveal_attempts,
    appliedBlock: r.applied_block,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const KEY = 'chain_id = @chainId AND netuid = @netuid AND hotkey = @hotkey';

export class SubmissionLog {
  constructor(
    readonly db: Database,
    private readonly now: () => Date = () => new Date(),
  ) {}

  insert(s: NewSubmission): Submission {
    const at = this.now().toISOString();
    const info = this.db
      .prepare(
        `INSERT INTO validator_submissions (chain_id, netuid, hotkey, source_block, cycle_id, mode, uids, weight_values, version_key,
           salt, commit_hash, reveal_round, status, sent_at_block, error, created_at, updated_at)
         VALUES (@chainId, @netuid, @hotkey, @sourceBlock, @cycleId, @mode, @uids, @values, @versionKey, @salt, @commitHash, @revealRound, @status,
           @sentAtBlock, @error, @at, @at)`,
      )
      .run({
        ...s,
        uids: JSON.stringify(s.uids),
        values: JSON.stringify(s.values),
        salt: s.salt ? JSON.stringify(s.salt) : null,
        commitHash: s.commitHash ?? null,
        revealRound: s.revealRound ?? null,
        sentAtBlock: s.sentAtBlock ?? null,
        error: s.error ?? null,
        at,
      });
    return this.get(Number(info.lastInsertRowid))!;
  }

  update(id: number, patch: SubmissionUpdate): Submission {
    const current = this.get(id);
    if (!current) throw new Error(`no submission ${id}`);
    const next = { ...current, ...patch };
    this.db
      .prepare(
        `UPDATE validator_submissions SET status = ?, commit_block = ?, applied_block = ?, sent_at_block = ?, reveal_attempts = ?, error = ?,
           updated_at = ? WHERE id = ?`,
      )
      .run(next.status, next.commitBlock, next.appliedBlock, next.sentAtBlock, next.revealAttempts, next.error, this.now().toISOString(), id);
    return this.get(id)!;
  }

  get(id: number): Submission | undefined {
    const row = this.db.prepare('SELECT * FROM validator_submissions WHERE id = ?').get(id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The attempt with the highest source block whose weights reached the chain (or were deliberately skipped). */
  lastSettled(key: SubmissionKey): Submission | undefined {
    const row = this.db
      .prepare(`SELECT * FROM validator_submissions WHERE ${KEY} AND status IN ('applied', 'skipped') ORDER BY source_block DESC, id DESC LIMIT 1`)
      .get(key) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The highest source block whose weights reached the chain (or were deliberately skipped). */
  lastSettledSourceBlock(key: SubmissionKey): number | null {
    const row = this.db.prepare(`SELECT MAX(source_block) AS block FROM validator_submissions WHERE ${KEY} AND status IN ('applied', 'skipped')`).get(key) as {
      block: number | null;
    };
    return row.block;
  }

  /** Attempts whose outcome is still open: sent but unresolved, or committed and awaiting the reveal (oldest first). */
  open(key: SubmissionKey): Submission[] {
    return (this.db.prepare(`SELECT * FROM validator_submissions WHERE ${KEY} AND status IN ('sending', 'committed') ORDER BY id`).all(key) as Row[]).map(
      fromRow,
    );
  }

  /** Every attempt for one source block (oldest first). */
  forSource(key: SubmissionKey, sourceBlock: number): Submission[] {
    return (
      this.db.prepare(`SELECT * FROM validator_submissions WHERE ${KEY} AND source_block = @sourceBlock ORDER BY id`).all({ ...key, sourceBlock }) as Row[]
    ).map(fromRow);
  }

  recent(key: SubmissionKey, limit = 20): Submission[] {
    return (this.db.prepare(`SELECT * FROM validator_submissions WHERE ${KEY} ORDER BY id DESC LIMIT @limit`).all({ ...key, limit }) as Row[]).map(fromRow);
  }
}
