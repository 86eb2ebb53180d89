/**
 * SQL for the embedded LocalChain (src/chain/local-chain.ts). State rows carry the block they were
 * written at, and every read takes an `atBlock`, so reads pinned at a block see exactly the state of
 * that block even while extrinsics for the next block are being applied.
 */
import type { Database } from 'better-sqlite3';
import type { SubnetHyperparams } from '../chain/types.ts';

export interface SubnetRow extends SubnetHyperparams {
  netuid: number;
  createdBlock: number;
}

export interface NeuronRow {
  uid: number;
  hotkey: string;
  registeredBlock: number;
}

export interface CommitmentRow {
  hotkey: string;
  block: number;
  data: Uint8Array;
}

export interface WeightsRow {
  uid: number;
  block: number;
  weights: [number, number][];
}

export interface WeightCommitRow {
  id: number;
  hotkey: string;
  hash: string;
  commitBlock: number;
  firstRevealBlock: number;
  lastRevealBlock: number;
}

export interface ExtrinsicRow {
  block: number;
  idx: number;
  signer: string;
  call: string;
  args: string;
  digest: Uint8Array;
  outcome: string;
}

const SUBNET_COLUMNS = `netuid, created_block AS createdBlock, tempo, weights_rate_limit AS weightsRateLimit,
  weights_version_key AS weightsVersionKey, commit_reveal_enabled AS commitRevealEnabled,
  reveal_period_epochs AS revealPeriodEpochs, max_allowed_uids AS maxAllowedUids,
  min_allowed_weights AS minAllowedWeights, max_weights_limit AS maxWeightsLimit`;

type RawSubnet = Omit<SubnetRow, 'commitRevealEnabled'> & { commitRevealEnabled: number };

export class LocalChainStore {
  constructor(readonly db: Database) {}

  /** Runs `fn` in a write transaction taken up front (BEGIN IMMEDIATE), so concurrent processes serialise. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  getMeta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM local_chain_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO local_chain_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---- block hashes -------------------------------------------------------------------------

  /** The highest checkpoint at or below `number`. */
  checkpointAtOrBelow(number: number): { number: number; hash: string } | undefined {
    return this.db.prepare('SELECT number, hash FROM local_chain_blocks WHERE number <= ? ORDER BY number DESC LIMIT 1').get(number) as
      { number: number; hash: string } | undefined;
  }

  latestCheckpoint(): { number: number; hash: string } | undefined {
    return this.db.prepare('SELECT number, hash FROM local_chain_blocks ORDER BY number DESC LIMIT 1').get() as { number: number; hash: string } | undefined;
  }

  putCheckpoint(number: number, hash: string): void {
    this.db.prepare('INSERT OR REPLACE INTO local_chain_blocks (number, hash) VALUES (?, ?)').run(number, hash);
  }

  deleteCheckpoint(number: number): void {
    this.db.prepare('DELETE FROM local_chain_blocks WHERE number = ?').run(number);
  }

  /** Extrinsic digests of blocks in (after, upTo], in block and index order. */
  extrinsicDigests(after: number, upTo: number): { block: number; digest: Uint8Array }[] {
    return this.db.prepare('SELECT block, digest FROM local_chain_extrinsics WHERE block > ? AND block <= ? ORDER BY block, idx').all(after, upTo) as {
      block: number;
      digest: Uint8Array;
    }[];
  }

  nextExtrinsicIndex(block: number): number {
    const row = this.db.prepare('SELECT COALESCE(MAX(idx) + 1, 0) AS next FROM local_chain_extrinsics WHERE block = ?').get(block) as { next: number };
    return row.next;
  }

  insertExtrinsic(row: ExtrinsicRow, createdAt: string): void {
    this.db
      .prepare('INSERT INTO local_chain_extrinsics (block, idx, signer, call, args, digest, outcome, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(row.block, row.idx, row.signer, row.call, row.args, Buffer.from(row.digest), row.outcome, createdAt);
  }

  extrinsics(block: number): ExtrinsicRow[] {
    return this.db
      .prepare('SELECT block, idx, signer, call, args, digest, outcome FROM local_chain_extrinsics WHERE block = ? ORDER BY idx')
      .all(block) as ExtrinsicRow[];
  }

  // ---- subnets ------------------------------------------------------------------------------

  subnet(netuid: number): SubnetRow | undefined {
    const row = this.db.prepare(`SELECT ${SUBNET_COLUMNS} FROM local_chain_subnets WHERE netuid = ?`).get(netuid) as RawSubnet | undefined;
    return row ? { ...row, commitRevealEnabled: row.commitRevealEnabled === 1 } : undefined;
  }

  subnets(): SubnetRow[] {
    return (this.db.prepare(`SELECT ${SUBNET_COLUMNS} FROM local_chain_subnets ORDER BY netuid`).all() as RawSubnet[]).map((r) => ({
      ...r,
      commitRevealEnabled: r.commitRevealEnabled === 1,
    }));
  }

  upsertSubnet(row: SubnetRow): void {
    this.db
      .prepare(
        `INSERT INTO local_chain_subnets (netuid, created_block, tempo, weights_rate_limit, weights_version_key, commit_reveal_enabled,
           reveal_period_epochs, max_allowed_uids, min_allowed_weights, max_weights_limit)
         VALUES (@netuid, @createdBlock, @tempo, @weightsRateLimit, @weightsVersionKey, @commitRevealEnabled, @revealPeriodEpochs,
           @maxAllowedUids, @minAllowedWeights, @maxWeightsLimit)
         ON CONFLICT(netuid) DO UPDATE SET tempo = excluded.tempo, weights_rate_limit = excluded.weights_rate_limit,
           weights_version_key = excluded.weights_version_key, commit_reveal_enabled = excluded.commit_reveal_enabled,
           reveal_period_epochs = excluded.reveal_period_epochs, max_allowed_uids = excluded.max_allowed_uids,
           min_allowed_weights = excluded.min_allowed_weights, max_weights_limit = excluded.max_weights_limit`,
      )
      .run({ ...row, commitRevealEnabled: row.commitRevealEnabled ? 1 : 0 });
  }

  // ---- neurons ------------------------------------------------------------------------------

  neurons(netuid: number, atBlock: number): NeuronRow[] {
    return this.db
      .prepare('SELECT uid, hotkey, registered_block AS registeredBlock FROM local_chain_neurons WHERE netuid = ? AND registered_block <= ? ORDER BY uid')
      .all(netuid, atBlock) as NeuronRow[];
  }

  neuronByHotkey(netuid: number, hotkey: string, atBlock: number): NeuronRow | undefined {
    return this.db
      .prepare('SELECT uid, hotkey, registered_block AS registeredBlock FROM local_chain_neurons WHERE netuid = ? AND hotkey = ? AND registered_block <= ?')
      .get(netuid, hotkey, atBlock) as NeuronRow | undefined;
  }

  /** Every neuron regardless of block: uid assignment must see registrations pending for the next block. */
  neuronCountAll(netuid: number): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM local_chain_neurons WHERE netuid = ?').get(netuid) as { n: number }).n;
  }

  neuronByHotkeyAll(netuid: number, hotkey: string): NeuronRow | undefined {
    return this.db
      .prepare('SELECT uid, hotkey, registered_block AS registeredBlock FROM local_chain_neurons WHERE netuid = ? AND hotkey = ?')
      .get(netuid, hotkey) as NeuronRow | undefined;
  }

  insertNeuron(netuid: number, uid: number, hotkey: string, block: number): void {
    this.db.prepare('INSERT INTO local_chain_neurons (netuid, uid, hotkey, registered_block) VALUES (?, ?, ?, ?)').run(netuid, uid, hotkey, block);
  }

  // ---- commitments --------------------------------------------------------------------------

  /** The latest commitment of every hotkey as of `atBlock`. */
  commitments(netuid: number, atBlock: number): CommitmentRow[] {
    return this.db
      .prepare(
        `SELECT c.hotkey, c.block, c.data FROM local_chain_commitments c
         WHERE c.netuid = ? AND c.block = (SELECT MAX(block) FROM local_chain_commitments d
                                             WHERE d.netuid = c.netuid AND d.hotkey = c.hotkey AND d.block <= ?)`,
      )
      .all(netuid, atBlock) as CommitmentRow[];
  }

  /** Bytes charged to a hotkey's commitments in blocks [from, to]. */
  commitmentBytesBetween(netuid: number, hotkey: string, from: number, to: number): number {
    const rows = this.db
      .prepare('SELECT length(data) AS len FROM local_chain_commitments WHERE netuid = ? AND hotkey = ? AND block >= ? AND block <= ?')
      .all(netuid, hotkey, from, to) as { len: number }[];
    return rows.reduce((sum, r) => sum + Math.max(100, r.len), 0);
  }

  putCommitment(netuid: number, hotkey: string, block: number, data: Uint8Array): void {
    this.db
      .prepare('INSERT OR REPLACE INTO local_chain_commitments (netuid, hotkey, block, data) VALUES (?, ?, ?, ?)')
      .run(netuid, hotkey, block, Buffer.from(data));
  }

  // ---- weights ------------------------------------------------------------------------------

  lastUpdate(netuid: number, uid: number, atBlock: number): number {
    const row = this.db
      .prepare('SELECT MAX(block) AS block FROM local_chain_last_update WHERE netuid = ? AND uid = ? AND block <= ?')
      .get(netuid, uid, atBlock) as { block: number | null };
    return row.block ?? 0;
  }

  lastUpdates(netuid: number, atBlock: number): Map<number, number> {
    const rows = this.db
      .prepare('SELECT uid, MAX(block) AS block FROM local_chain_last_update WHERE netuid = ? AND block <= ? GROUP BY uid')
      .all(netuid, atBlock) as { uid: number; block: number }[];
    return new Map(rows.map((r) => [r.uid, r.block]));
  }

  putLastUpdate(netuid: number, uid: number, block: number): void {
    this.db.prepare('INSERT OR IGNORE INTO local_chain_last_update (netuid, uid, block) VALUES (?, ?, ?)').run(netuid, uid, block);
  }

  /** The latest weights row of every uid as of `atBlock`. */
  weights(netuid: number, atBlock: number): WeightsRow[] {
    const rows = this.db
      .prepare(
        `SELECT w.uid, w.block, w.weights FROM local_chain_weights w
         WHERE w.netuid = ? AND w.block = (SELECT MAX(block) FROM local_chain_weights v
                                            WHERE v.netuid = w.netuid AND v.uid = w.uid AND v.block <= ?)
         ORDER BY w.uid`,
      )
      .all(netuid, atBlock) as { uid: number; block: number; weights: string }[];
    return rows.map((r) => ({ uid: r.uid, block: r.block, weights: JSON.parse(r.weights) as [number, number][] }));
  }

  putWeights(netuid: number, uid: number, block: number, weights: [number, number][]): void {
    this.db
      .prepare('INSERT OR REPLACE INTO local_chain_weights (netuid, uid, block, weights) VALUES (?, ?, ?, ?)')
      .run(netuid, uid, block, JSON.stringify(weights));
  }

  // ---- commit-reveal ------------------------------------------------------------------------

  /** Commits still queued as of `atBlock` (oldest first). */
  weightCommits(netuid: number, hotkey: string, atBlock: number): WeightCommitRow[] {
    return this.db
      .prepare(
        `SELECT id, hotkey, hash, commit_block AS commitBlock, first_reveal_block AS firstRevealBlock, last_reveal_block AS lastRevealBlock
         FROM local_chain_weight_commits
         WHERE netuid = ? AND hotkey = ? AND commit_block <= ? AND (removed_block IS NULL OR removed_block > ?)
         ORDER BY id`,
      )
      .all(netuid, hotkey, atBlock, atBlock) as WeightCommitRow[];
  }

  insertWeightCommit(netuid: number, hotkey: string, hash: string, commitBlock: number, firstRevealBlock: number, lastRevealBlock: number): void {
    this.db
      .prepare('INSERT INTO local_chain_weight_commits (netuid, hotkey, hash, commit_block, first_reveal_block, last_reveal_block) VALUES (?, ?, ?, ?, ?, ?)')
      .run(netuid, hotkey, hash, commitBlock, firstRevealBlock, lastRevealBlock);
  }

  removeWeightCommit(id: number, block: number, reason: string): void {
    this.db.prepare('UPDATE local_chain_weight_commits SET removed_block = ?, removed_reason = ? WHERE id = ?').run(block, reason, id);
  }
}
