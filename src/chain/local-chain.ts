/**
 * LocalChain: an embedded, single-machine stand-in for Subtensor, persisted in the store (SQLite).
 *
 * - Blocks come from a clock: block = floor((now − genesis) / 12 s). Tests inject a `ManualClock`.
 * - An extrinsic submitted while the head is block h is executed at once as part of block h+1 (with
 *   Subtensor's validation rules, in its order, raising its error names) and the call resolves when
 *   the clock reaches h+1 — the same "wait for inclusion" a real node gives. A failed extrinsic
 *   changes nothing (its state changes are rolled back) but is still recorded in its block.
 * - State rows carry their block, so reads pinned at block b ignore what block b+1 will contain.
 * - Block hash: blake2_256(parent hash ‖ u32le(number) ‖ extrinsics root), the extrinsics root being
 *   blake2_256 of the block's extrinsic digests (32 zero bytes when empty); the genesis hash comes
 *   from a seed. Hashes are therefore a deterministic function of the chain's history.
 * - Several processes may share one database file (the appliance and a `kinitro commit --chain local`):
 *   every write runs in a BEGIN IMMEDIATE transaction.
 *
 * Not modelled: stake, validator permits (every registered hotkey may set weights), deregistration,
 * fees, timelocked commit-reveal. Hyperparameter changes apply immediately (not versioned by block).
 */
import { randomBytes } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { u8aConcat, u8aToHex, stringToU8a } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, decodeAddress, encodeAddress } from '@polkadot/util-crypto';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import { LocalChainStore, type SubnetRow } from '../store/local-chain.ts';
import type { ChainClient } from './client.ts';
import { systemClock, type ChainClock } from './clock.ts';
import { commitmentBytesToText, commitmentTextToBytes, MAX_COMMITMENT_BYTES } from './commitment.ts';
import { ChainModuleError, ChainSubmitError, UnsupportedRuntimeError } from './errors.ts';
import {
  applyCommitWeights,
  applyRevealWeights,
  applySetCommitment,
  applySetWeights,
  checkNetuid,
  extendHashes,
  toHyperparams,
  validateHyperparams,
} from './local-chain-rules.ts';
import type { Purpose } from './runtime-schema.ts';
import { U16_MAX } from './weights.ts';
import type {
  BlockRef,
  ChainSnapshot,
  HexString,
  HotkeySigner,
  NeuronWeights,
  RevealPayload,
  RuntimeInfo,
  Ss58,
  SubnetHyperparams,
  TimelockedCommitInfo,
  TimelockedPayload,
  TxReceipt,
  ValidatorView,
  WeightCommitInfo,
  WeightsPayload,
} from './types.ts';

export const LOCAL_BLOCK_MS = 12_000;
/** The LocalChain's "runtime" version, reported by `runtime()`. */
const LOCAL_SPEC_VERSION = 1;
const CHECKPOINT_EVERY = 256;
const SS58_PREFIX = 42;

/** Defaults for a new local subnet. Commit-reveal is off (Subtensor's default is on) to keep demos simple. */
export const DEFAULT_LOCAL_HYPERPARAMS: SubnetHyperparams = {
  tempo: 360,
  weightsRateLimit: 100,
  weightsVersionKey: 0,
  commitRevealEnabled: false,
  revealPeriodEpochs: 1,
  maxAllowedUids: 256,
  minAllowedWeights: 1,
  maxWeightsLimit: U16_MAX,
};

export interface LocalChainOptions {
  clock?: ChainClock;
  logger?: Logger;
  /** Used only when the chain is created: seeds the genesis hash (random by default). */
  genesisSeed?: string;
  /** Used only when the chain is created: block time (default 12 s). */
  blockMs?: number;
  /** Shown in logs and `description`. */
  label?: string;
}

export class LocalChain implements ChainClient {
  readonly kind = 'local' as const;
  readonly description: string;
  readonly store: LocalChainStore;
  readonly genesisMs: number;
  readonly blockMs: number;
  readonly genesisHash: HexString;
  private readonly clock: ChainClock;
  private readonly log: Logger;

  /** Opens (creating on first use) the chain stored in `db`, with the WASM hasher loaded (≈4× faster sealing). */
  static async open(db: Database, options: LocalChainOptions = {}): Promise<LocalChain> {
    await cryptoWaitReady();
    return new LocalChain(db, options);
  }

  constructor(db: Database, options: LocalChainOptions = {}) {
    this.store = new LocalChainStore(db);
    this.clock = options.clock ?? systemClock;
    this.log = (options.logger ?? silentLogger).child({ component: 'local-chain' });
    this.description = `local:${options.label ?? db.name}`;
    const genesis = this.store.transaction(() => {
      const existing = this.store.getMeta('genesis_ms');
      if (existing !== undefined) {
        return { ms: Number(existing), blockMs: Number(this.store.getMeta('block_ms')), hash: this.store.getMeta('genesis_hash')! };
      }
      const blockMs = options.blockMs ?? LOCAL_BLOCK_MS;
      if (!Number.isInteger(blockMs) || blockMs < 10) throw new Error(`block time must be an integer ≥ 10 ms, got ${blockMs}`);
      const ms = Math.floor(this.clock.now() / blockMs) * blockMs;
      const seed = options.genesisSeed !== undefined ? stringToU8a(options.genesisSeed) : randomBytes(32);
      const hash = u8aToHex(blake2AsU8a(u8aConcat(stringToU8a('kinitro-local-chain'), seed), 256));
      this.store.setMeta('genesis_ms', String(ms));
      this.store.setMeta('block_ms', String(blockMs));
      this.store.setMeta('genesis_hash', hash);
      this.store.putCheckpoint(0, hash);
      return { ms, blockMs, hash };
    });
    this.genesisMs = genesis.ms;
    this.blockMs = genesis.blockMs;
    this.genesisHash = genesis.hash as HexString;
  }

  // ---- blocks -----------------------------------------------------------------------------

  /** The head by the clock (never behind what any process has already sealed). */
  headNumber(): number {
    const byClock = Math.max(0, Math.floor((this.clock.now() - this.genesisMs) / this.blockMs));
    return Math.max(byClock, this.store.latestCheckpoint()?.number ?? 0);
  }

  /** When block `n` starts, in clock milliseconds. */
  blockStartMs(n: number): number {
    return this.genesisMs + n * this.blockMs;
  }

  async chainId(): Promise<HexString> {
    return this.genesisHash;
  }

  async head(): Promise<BlockRef> {
    const number = this.sealToHead();
    return { number, hash: this.sealedHash(number) };
  }

  /** Extends the hash chain up to the clock's head; returns the head. */
  private sealToHead(): number {
    const target = this.headNumber();
    if ((this.store.latestCheckpoint()?.number ?? 0) >= target) return target;
    return this.store.transaction(() => {
      const head = this.headNumber();
      const latest = this.store.latestCheckpoint()!;
      if (latest.number >= head) return head;
      const hash = extendHashes(this.store, latest.number, latest.hash, head, (n, h) => {
        if (n % CHECKPOINT_EVERY === 0) this.store.putCheckpoint(n, h);
      });
      this.store.putCheckpoint(head, hash);
      if (latest.number % CHECKPOINT_EVERY !== 0) this.store.deleteCheckpoint(latest.number);
      return head;
    });
  }

  /** The hash of block `n` (≤ head). */
  blockHash(n: number): HexString {
    const head = this.sealToHead();
    if (!Number.isInteger(n) || n < 0 || n > head) throw new RangeError(`block ${n} is not between 0 and the head ${head}`);
    return this.sealedHash(n);
  }

  /**
   * The hash of a block already sealed by the caller's own `sealToHead()`; callers that just read the
   * head use this instead of `blockHash`, so one read never looks at the head twice.
   */
  private sealedHash(n: number): HexString {
    const cp = this.store.checkpointAtOrBelow(n)!;
    return cp.number === n ? (cp.hash as HexString) : extendHashes(this.store, cp.number, cp.hash, n);
  }

  private async waitForBlock(n: number): Promise<void> {
    // Loop: timers may fire a millisecond before the wall clock reaches the target.
    for (let wait = this.blockStartMs(n) - this.clock.now(); wait > 0; wait = this.blockStartMs(n) - this.clock.now()) {
      await this.clock.sleep(wait + 1);
    }
  }

  // ---- administration (what `burned_register`, sudo and subnet creation do on a real chain) -------

  /** Creates the subnet if it does not exist; returns its hyperparameters and whether it was created. */
  ensureSubnet(netuid: number, hyperparams: Partial<SubnetHyperparams> = {}): { created: boolean; hyperparams: SubnetHyperparams } {
    checkNetuid(netuid);
    return this.store.transaction(() => {
      const existing = this.store.subnet(netuid);
      if (existing) return { created: false, hyperparams: toHyperparams(existing) };
      const hp = validateHyperparams({ ...DEFAULT_LOCAL_HYPERPARAMS, ...hyperparams });
      this.store.upsertSubnet({ netuid, createdBlock: this.headNumber(), ...hp });
      this.log.info({ netuid, hyperparams: hp }, 'created local subnet');
      return { created: true, hyperparams: hp };
    });
  }

  /** Creates a subnet; fails if it exists. */
  createSubnet(netuid: number, hyperparams: Partial<SubnetHyperparams> = {}): SubnetHyperparams {
    const result = this.ensureSubnet(netuid, hyperparams);
    if (!result.created) throw new ChainSubmitError(`subnet ${netuid} already exists`, false);
    return result.hyperparams;
  }

  /** Changes hyperparameters (the subnet owner's / sudo's job on a real chain). Applies immediately. */
  setHyperparams(netuid: number, patch: Partial<SubnetHyperparams>): SubnetHyperparams {
    return this.store.transaction(() => {
      const row = this.requireSubnet(netuid);
      const hp = validateHyperparams({ ...toHyperparams(row), ...patch });
      this.store.upsertSubnet({ ...row, ...hp });
      return hp;
    });
  }

  listSubnets(): { netuid: number; hyperparams: SubnetHyperparams }[] {
    return this.store.subnets().map((r) => ({ netuid: r.netuid, hyperparams: toHyperparams(r) }));
  }

  /**
   * Registers a hotkey (like `burned_register`): it takes the next uid from block head+1 on. Resolves
   * once included; `{ wait: false }` returns at once (the registration is still only visible from
   * its block on).
   */
  async registerHotkey(netuid: number, hotkey: Ss58, options: { wait?: boolean } = {}): Promise<{ uid: number; block: number }> {
    const address = normalizeAddress(hotkey);
    const { block, error, result } = this.execute(address, 'SubtensorModule.burned_register', { netuid }, (n) => {
      const subnet = this.store.subnet(netuid);
      if (!subnet) throw new ChainModuleError('SubtensorModule', 'SubnetNotExists', `netuid ${netuid}`);
      if (this.store.neuronByHotkeyAll(netuid, address))
        throw new ChainModuleError('SubtensorModule', 'HotKeyAlreadyRegisteredInSubNet', `${address} on netuid ${netuid}`);
      const uid = this.store.neuronCountAll(netuid);
      if (uid >= subnet.maxAllowedUids) throw new ChainModuleError('SubtensorModule', 'NoNeuronIdAvailable', `MaxAllowedUids ${subnet.maxAllowedUids}`);
      this.store.insertNeuron(netuid, uid, address, n);
      return uid;
    });
    if (options.wait ?? true) await this.waitForBlock(block);
    if (error) throw error;
    return { uid: result!, block };
  }

  /** Registers the hotkey unless it already is (including a registration pending for the next block). */
  async ensureRegistered(netuid: number, hotkey: Ss58, options: { wait?: boolean } = {}): Promise<{ uid: number; registered: boolean }> {
    const existing = this.store.neuronByHotkeyAll(netuid, normalizeAddress(hotkey));
    if (existing) return { uid: existing.uid, registered: false };
    const { uid } = await this.registerHotkey(netuid, hotkey, options);
    return { uid, registered: true };
  }

  // ---- reads --------------------------------------------------------------------------------

  private requireSubnet(netuid: number): SubnetRow {
    const row = this.store.subnet(netuid);
    if (!row) throw new ChainModuleError('SubtensorModule', 'SubnetNotExists', `netuid ${netuid}`);
    return row;
  }

  private resolveAt(at?: BlockRef): BlockRef {
    const head = this.sealToHead();
    if (!at) return { number: head, hash: this.sealedHash(head) };
    const hash = this.blockHash(at.number);
    if (hash !== at.hash) throw new RangeError(`block ${at.number} has hash ${hash}, not ${at.hash}`);
    return at;
  }

  async snapshot(netuid: number, at?: BlockRef): Promise<ChainSnapshot> {
    const subnet = this.requireSubnet(netuid);
    const pinned = this.resolveAt(at);
    const neurons = this.store.neurons(netuid, pinned.number).map((n) => ({ uid: n.uid, hotkey: n.hotkey }));
    const uidByHotkey = new Map(neurons.map((n) => [n.hotkey, n.uid]));
    const commitments = this.store
      .commitments(netuid, pinned.number)
      .filter((c) => uidByHotkey.has(c.hotkey))
      .map((c) => ({ uid: uidByHotkey.get(c.hotkey)!, hotkey: c.hotkey, data: commitmentBytesToText(c.data), block: c.block }))
      .sort((a, b) => a.uid - b.uid);
    const hyperparams = toHyperparams(subnet);
    return {
      netuid,
      block: pinned.number,
      blockHash: pinned.hash,
      neurons,
      commitments,
      hyperparams,
      commitReveal: hyperparams.commitRevealEnabled ? 'v2' : 'off',
    };
  }

  async hyperparams(netuid: number): Promise<SubnetHyperparams> {
    return toHyperparams(this.requireSubnet(netuid));
  }

  async uidOf(netuid: number, hotkey: Ss58): Promise<number | null> {
    return this.store.neuronByHotkey(netuid, normalizeAddress(hotkey), this.sealToHead())?.uid ?? null;
  }

  async validatorView(netuid: number, hotkey: Ss58): Promise<ValidatorView> {
    const subnet = this.requireSubnet(netuid);
    const head = this.sealToHead();
    const address = normalizeAddress(hotkey);
    const uid = this.store.neuronByHotkey(netuid, address, head)?.uid ?? null;
    const hyperparams = toHyperparams(subnet);
    return {
      block: head,
      blockHash: this.sealedHash(head),
      uid,
      lastUpdate: uid === null ? 0 : this.store.lastUpdate(netuid, uid, head),
      subnetN: this.store.neurons(netuid, head).length,
      hyperparams,
      commitReveal: hyperparams.commitRevealEnabled ? 'v2' : 'off',
      timelock: null,
      pendingCommits: this.commitsAt(netuid, address, head),
      pendingTimelocked: [],
    };
  }

  async weights(netuid: number): Promise<NeuronWeights[]> {
    this.requireSubnet(netuid);
    const head = this.sealToHead();
    const hotkeys = new Map(this.store.neurons(netuid, head).map((n) => [n.uid, n.hotkey]));
    const lastUpdates = this.store.lastUpdates(netuid, head);
    return this.store.weights(netuid, head).map((row) => ({
      uid: row.uid,
      hotkey: hotkeys.get(row.uid) ?? '',
      lastUpdate: lastUpdates.get(row.uid) ?? 0,
      weights: row.weights.map(([uid, value]) => ({ uid, value })),
    }));
  }

  async weightCommits(netuid: number, hotkey: Ss58): Promise<WeightCommitInfo[]> {
    return this.commitsAt(netuid, normalizeAddress(hotkey), this.sealToHead());
  }

  private commitsAt(netuid: number, hotkey: string, block: number): WeightCommitInfo[] {
    return this.store.weightCommits(netuid, hotkey, block).map((c) => ({
      hash: c.hash as HexString,
      commitBlock: c.commitBlock,
      firstRevealBlock: c.firstRevealBlock,
      lastRevealBlock: c.lastRevealBlock,
    }));
  }

  // ---- extrinsics ---------------------------------------------------------------------------

  /**
   * Executes `body` as the next extrinsic of block head+1 inside one IMMEDIATE transaction. A
   * `ChainModuleError` rolls back the body's writes (savepoint) but the failed extrinsic is recorded.
   */
  private execute<T>(
    signer: string,
    call: string,
    args: Record<string, unknown>,
    body: (block: number) => T,
  ): { block: number; error?: ChainModuleError; result?: T } {
    return this.store.transaction(() => {
      const block = this.sealToHead() + 1;
      let result: T | undefined;
      let error: ChainModuleError | undefined;
      try {
        result = this.store.db.transaction(() => body(block))();
      } catch (err) {
        if (!(err instanceof ChainModuleError)) throw err;
        error = err;
      }
      const outcome = error ? error.qualifiedName : 'ok';
      const argsJson = JSON.stringify(args);
      const digest = blake2AsU8a(stringToU8a(JSON.stringify([signer, call, argsJson, outcome])), 256);
      const idx = this.store.nextExtrinsicIndex(block);
      this.store.insertExtrinsic({ block, idx, signer, call, args: argsJson, digest, outcome }, new Date(this.clock.now()).toISOString());
      this.log.debug({ block, idx, signer, call, outcome }, 'local extrinsic');
      return { block, error, result };
    });
  }

  private async submit<T>(signer: HotkeySigner, call: string, args: Record<string, unknown>, body: (block: number, who: string) => T): Promise<TxReceipt> {
    const who = normalizeAddress(signer.address);
    const { block, error } = this.execute(who, call, args, (n) => body(n, who));
    await this.waitForBlock(block);
    if (error) throw error;
    return { block, blockHash: this.blockHash(block) };
  }

  async setCommitment(netuid: number, signer: HotkeySigner, data: string): Promise<TxReceipt> {
    const bytes = commitmentTextToBytes(data);
    if (bytes.length > MAX_COMMITMENT_BYTES) {
      throw new ChainSubmitError(`the commitment is ${bytes.length} bytes; a Raw field holds at most ${MAX_COMMITMENT_BYTES}`, false);
    }
    return this.submit(signer, 'Commitments.set_commitment', { netuid, data }, (n, who) => {
      applySetCommitment(this.store, netuid, who, n, bytes);
    });
  }

  async setWeights(netuid: number, signer: HotkeySigner, payload: WeightsPayload): Promise<TxReceipt> {
    return this.submit(signer, 'SubtensorModule.set_weights', { netuid, ...payload }, (n, who) => {
      applySetWeights(this.store, netuid, who, n, payload);
    });
  }

  async commitWeights(netuid: number, signer: HotkeySigner, commitHash: HexString): Promise<TxReceipt> {
    if (!/^0x[0-9a-fA-F]{64}$/.test(commitHash)) throw new ChainSubmitError('the commit hash must be 32 bytes of hex', false);
    return this.submit(signer, 'SubtensorModule.commit_weights', { netuid, commitHash }, (n, who) => {
      applyCommitWeights(this.store, netuid, who, n, commitHash);
    });
  }

  /** The LocalChain has no drand beacon, so it takes no timelocked commits. */
  async commitTimelockedWeights(_netuid: number, _signer: HotkeySigner, _payload: TimelockedPayload): Promise<TxReceipt> {
    throw new UnsupportedRuntimeError('the local chain does not model timelocked commit-reveal');
  }

  async timelockedCommits(_netuid: number, _hotkey: Ss58): Promise<TimelockedCommitInfo[]> {
    return [];
  }

  runtime(): RuntimeInfo {
    return { specName: 'kinitro-local', specVersion: LOCAL_SPEC_VERSION };
  }

  /** The LocalChain implements everything kinitro uses. */
  requireRuntime(_purposes: Purpose[]): void {}

  async revealWeights(netuid: number, signer: HotkeySigner, payload: RevealPayload): Promise<TxReceipt> {
    return this.submit(signer, 'SubtensorModule.reveal_weights', { netuid, ...payload }, (n, who) => {
      applyRevealWeights(this.store, netuid, who, n, payload);
    });
  }

  async reconnect(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Accepts any SS58 address or hex public key; returns the prefix-42 SS58 form the chain shows. */
export function normalizeAddress(address: string): string {
  try {
    return encodeAddress(decodeAddress(address), SS58_PREFIX);
  } catch {
    throw new ChainSubmitError(`${JSON.stringify(address)} is not a valid SS58 address`, false);
  }
}
