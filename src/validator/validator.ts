/**
 * The validator: puts the backend's latest published weights on chain, once per published vector.
 *
 * Fixes over the original (docs/original.md §13.15–16): every attempt is persisted (SubmissionLog) before it is sent,
 * so a restart never resubmits weights that already landed and an attempt whose outcome is unknown
 * (timeout, crash) is resolved from chain state rather than blindly repeated; eligibility is checked
 * on every tick and a missing registration or an unreachable backend/chain is waited out, never a
 * reason to exit; `WeightsSetRateLimit` is read from the chain and respected before sending;
 * `WeightsVersionKey` is passed; the precomputed `weights_u16` is used as published; hash-based
 * commit-reveal (CR-v2) is used when the subnet enables commit-reveal, with the salt persisted and the
 * reveal sent in the reveal epoch (`RevealTooEarly` = wait); timelocked commits (the chain reveals
 * them at a drand round) are used when opted in (`timelockedCommits`), and a subnet that only accepts
 * them is otherwise reported as such. Before a submission is treated as done, the chain is asked
 * (LastUpdate, the commit queues): a reset chain or a fork never leaves weights "already submitted". Each chain/backend call has a hard deadline, and a watchdog reconnects
 * when the chain head stops advancing.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from '../log.ts';
import { silentLogger } from '../log.ts';
import type { ChainClient } from '../chain/client.ts';
import { systemClock, AbortedError, type ChainClock } from '../chain/clock.ts';
import { ChainModuleError, isTransientChainError } from '../chain/errors.ts';
import { withTimeout } from '../chain/timeout.ts';
import type { HotkeySigner, ValidatorView } from '../chain/types.ts';
import { checkWeightsVector, commitHashV2, nextAllowedBlock, randomSalt, revealWindow } from '../chain/weights.ts';
import { encodeWeightsTlockPayload, revealRoundFor, tlockEncrypt } from '../chain/tlock.ts';
import { blake2AsHex, decodeAddress } from '@polkadot/util-crypto';
import { SubmissionLog, type Submission, type SubmissionKey } from '../store/submissions.ts';
import { WeightsResponseSchema, type WeightsResponse, type WeightsSource } from './weights-source.ts';

export interface ValidatorOptions {
  chain: ChainClient;
  netuid: number;
  hotkey: HotkeySigner;
  /** Latest published weights (HTTP `GET /v1/weights/latest`, or the appliance's store). */
  weights: WeightsSource;
  /** The store's database: the submission log lives there. */
  db: Database;
  logger?: Logger;
  clock?: ChainClock;
  /** Pause between ticks when there is nothing to wait for (default 60 s, as the original). */
  pollIntervalMs?: number;
  /** Deadline for a read from the chain or the backend (default 60 s). */
  readTimeoutMs?: number;
  /** Deadline for a transaction until inclusion (default 180 s). */
  txTimeoutMs?: number;
  /** Reconnect when the head has not advanced for this long (default 300 s). */
  stallTimeoutMs?: number;
  /** Block time used to turn block counts into waits (default 12 s). */
  blockMs?: number;
  /** A sent transaction not seen on chain after this many blocks is considered lost (default 64, the era). */
  lostAfterBlocks?: number;
  /** Warn when no new weights have been set for this many blocks (default 3000 ≈ 10 h). */
  staleWarnBlocks?: number;
  /** Override the version key (default: the subnet's WeightsVersionKey). */
  versionKey?: number;
  /**
   * Commit weights timelocked to a drand round (`commit_timelocked_weights`) when the subnet uses
   * commit-reveal and the runtime takes timelocked commits. Off by default: the encryption matches the
   * reference's published facts and layout but could not be proven against a decryptable reference
   * vector (docs/chain.md); without it, hash commit-reveal is used where the runtime still has it.
   */
  timelockedCommits?: boolean;
  /** The beacon's public key for timelocked commits (default drand quicknet; tests use a beacon of their own). */
  beaconPublicKey?: Uint8Array;
  /** Called after every tick (the TUI / status endpoint can show it). */
  onOutcome?: (outcome: TickOutcome) => void;
}

export type TickOutcome =
  | { kind: 'no-weights' }
  | { kind: 'up-to-date'; sourceBlock: number; blocksSinceUpdate?: number }
  | { kind: 'not-registered'; hotkey: string }
  | { kind: 'rate-limited'; sourceBlock: number; block: number; nextBlock: number }
  | { kind: 'applied'; sourceBlock: number; block: number | null; via: 'set_weights' | 'reveal' | 'timelocked' }
  | { kind: 'committed'; sourceBlock: number; block: number; revealFrom: number | null }
  | { kind: 'reveal-wait'; sourceBlock: number; block: number; revealFrom: number | null }
  | { kind: 'awaiting-outcome'; sourceBlock: number; block: number }
  | { kind: 'skipped'; sourceBlock: number; reason: string }
  | { kind: 'rejected'; sourceBlock: number | null; error: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'transient-error'; error: string };

/** Outcomes after which `runOnce` stops. */
const TERMINAL = new Set<TickOutcome['kind']>(['no-weights', 'up-to-date', 'not-registered', 'applied', 'skipped', 'rejected', 'unsupported']);

export interface ValidatorStatus {
  running: boolean;
  lastOutcome: TickOutcome | null;
  lastTickAt: string | null;
  chainBlock: number | null;
  uid: number | null;
  lastAppliedSourceBlock: number | null;
}

export class Validator {
  readonly log: SubmissionLog;
  private readonly opts: Required<Omit<ValidatorOptions, 'logger' | 'clock' | 'versionKey' | 'onOutcome' | 'beaconPublicKey'>> &
    Pick<ValidatorOptions, 'versionKey' | 'onOutcome' | 'beaconPublicKey'>;

  private readonly logger: Logger;
  private readonly clock: ChainClock;
  private chainId: string | null = null;
  private lastBlock = -1;
  private lastBlockChangeMs = 0;
  private consecutiveFailures = 0;
  private lastOutcome: TickOutcome | null = null;
  private lastTickAt: number | null = null;
  private lastView: ValidatorView | null = null;
  private staleWarnedAt: number | null = null;
  private loop: Promise<void> | null = null;
  private abort: AbortController | null = null;

  constructor(options: ValidatorOptions) {
    if (!Number.isInteger(options.netuid) || options.netuid < 1 || options.netuid > 65535)
      throw new RangeError(`netuid must be in 1..65535, got ${options.netuid}`);
    this.opts = {
      pollIntervalMs: 60_000,
      readTimeoutMs: 60_000,
      txTimeoutMs: 180_000,
      stallTimeoutMs: 300_000,
      blockMs: 12_000,
      lostAfterBlocks: 64,
      staleWarnBlocks: 3000,
      timelockedCommits: false,
      // An option passed as undefined keeps its default.
      ...(Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ValidatorOptions),
    };
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger).child({ component: 'validator', netuid: options.netuid, hotkey: options.hotkey.address });
    this.log = new SubmissionLog(options.db, () => new Date(this.clock.now()));
    this.lastBlockChangeMs = this.clock.now();
  }

  status(): ValidatorStatus {
    return {
      running: this.loop !== null,
      lastOutcome: this.lastOutcome,
      lastTickAt: this.lastTickAt === null ? null : new Date(this.lastTickAt).toISOString(),
      chainBlock: this.lastView?.block ?? null,
      uid: this.lastView?.uid ?? null,
      lastAppliedSourceBlock: this.chainId ? this.log.lastSettledSourceBlock(this.key()) : null,
    };
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.loop) return;
    this.abort = new AbortController();
    const signal = this.abort.signal;
    this.loop = (async () => {
      this.logger.info({ chain: this.opts.chain.description }, 'validator started');
      while (!signal.aborted) {
        const outcome = await this.tick();
        try {
          await this.clock.sleep(this.delayAfter(outcome), signal);
        } catch (err) {
          if (err instanceof AbortedError) break;
          throw err;
        }
      }
      this.logger.info('validator stopped');
    })();
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop?.catch(() => undefined);
    this.loop = null;
  }

  /**
   * Ticks until the latest weights are on chain (or there is nothing to do, or they were rejected),
   * waiting through rate limits, reveal epochs and transient failures; gives up at the deadline.
   */
  async runOnce(options: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<TickOutcome> {
    const deadline = this.clock.now() + (options.deadlineMs ?? 30 * 60_000);
    for (;;) {
      const outcome = await this.tick();
      if (TERMINAL.has(outcome.kind)) return outcome;
      const wait = this.delayAfter(outcome);
      if (this.clock.now() + wait > deadline) return outcome;
      await this.clock.sleep(wait, options.signal);
    }
  }

  /** One decision. Never throws: failures come back as outcomes. */
  async tick(): Promise<TickOutcome> {
    let outcome: TickOutcome;
    try {
      outcome = await this.decide();
      if (outcome.kind !== 'transient-error') this.consecutiveFailures = 0;
    } catch (err) {
      outcome = await this.failure(err);
    }
    this.report(outcome);
    return outcome;
  }

  private key(): SubmissionKey {
    return { chainId: this.chainId!, netuid: this.opts.netuid, hotkey: this.opts.hotkey.address };
  }

  private read<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.opts.readTimeoutMs, what);
  }

  private write<T>(work: Promise<T>, what: string): Promise<T> {
    return withTimeout(work, this.opts.txTimeoutMs, what);
  }

  private async decide(): Promise<TickOutcome> {
    const { chain, netuid, hotkey } = this.opts;
    this.chainId ??= await this.read(chain.chainId(), 'chain id');
    const view = await this.read(chain.validatorView(netuid, hotkey.address), 'validator view');
    this.lastView = view;
    await this.watchdog(view.block);

    const pending = await this.resolveOpen(view);
    if (pending) return pending;

    const latest = await this.latestWeights();
    if (!latest) return { kind: 'no-weights' };
    const source = latest.block_number;
    const settledRow = this.confirmedSettled(view);
    const settled = settledRow?.sourceBlock ?? null;
    if (settled !== null && source <= settled) {
      // The original went silent when cycles stopped producing weights; say so instead.
      const since = view.uid !== null && view.lastUpdate > 0 ? view.block - view.lastUpdate : undefined;
      return since !== undefined && since > this.opts.staleWarnBlocks
        ? { kind: 'up-to-date', sourceBlock: settled, blocksSinceUpdate: since }
        : { kind: 'up-to-date', sourceBlock: settled };
    }

    if (view.uid === null) return { kind: 'not-registered', hotkey: hotkey.address };
    const crMode = this.commitRevealPath(view);
    if (crMode === 'unsupported') {
      return {
        kind: 'unsupported',
        reason: view.timelock
          ? `subnet ${netuid} enables commit-reveal and this runtime only accepts timelocked (drand) commits; kinitro's timelock encryption is opt-in (--timelocked-commits), so weights are not set`
          : `subnet ${netuid} enables commit-reveal and this runtime has neither hash commits nor a timelocked-commit version kinitro can use; weights are not set`,
      };
    }

    const versionKey = this.opts.versionKey ?? view.hyperparams.weightsVersionKey;
    const vector = prepareWeightVector(latest, view.subnetN);
    if ('skip' in vector) return this.skip(latest, versionKey, view, vector.skip);
    if (vector.dropped.length) this.logger.warn({ dropped: vector.dropped, subnetN: view.subnetN }, 'weights for uids that do not exist on chain were dropped');
    const problem = checkWeightsVector({ ...vector, selfUid: view.uid, subnetN: view.subnetN, hyperparams: view.hyperparams });
    if (problem)
      return this.skip(latest, versionKey, view, `the chain would reject these weights: ${new ChainModuleError('SubtensorModule', problem).message}`);

    // The extrinsic lands in a later block than the one we read; checking against the read block
    // leaves one block of margin.
    const allowedAt = nextAllowedBlock(view.lastUpdate, view.hyperparams.weightsRateLimit);
    if (view.lastUpdate !== 0 && view.block < allowedAt) return { kind: 'rate-limited', sourceBlock: source, block: view.block, nextBlock: allowedAt };

    if (crMode === 'timelocked') return this.commitTimelocked(latest, vector, versionKey, view);
    return crMode === 'v2' ? this.commit(latest, vector, versionKey, view) : this.setDirectly(latest, vector, versionKey, view);
  }

  /** Which way weights go on chain: directly, hash commit-reveal, or timelocked commits (opt-in). */
  private commitRevealPath(view: ValidatorView): 'set' | 'v2' | 'timelocked' | 'unsupported' {
    if (view.commitReveal === 'off') return 'set';
    if (this.opts.timelockedCommits && view.timelock) return 'timelocked';
    return view.commitReveal === 'v2' ? 'v2' : 'unsupported';
  }

  private async latestWeights(): Promise<WeightsResponse | null> {
    const raw = await this.read(this.opts.weights(), 'fetching the latest weights');
    if (raw === null) return null;
    const parsed = WeightsResponseSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`the weights source returned an invalid WeightsResponse: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  private skip(latest: WeightsResponse, versionKey: number, view: ValidatorView, reason: string): TickOutcome {
    const u = latest.weights_u16;
    this.log.insert({
      ...this.key(),
      sourceBlock: latest.block_number,
      cycleId: latest.cycle_id,
      mode: { set: 'set', v2: 'commit-reveal', timelocked: 'timelocked', unsupported: 'set' }[this.commitRevealPath(view)] as
        'set' | 'commit-reveal' | 'timelocked',
      uids: u.uids,
      values: u.values,
      versionKey,
      status: 'skipped',
      error: reason,
    });
    return { kind: 'skipped', sourceBlock: latest.block_number, reason };
  }

  private async setDirectly(
    latest: WeightsResponse,
    vector: { uids: number[]; values: number[] },
    versionKey: number,
    view: ValidatorView,
  ): Promise<TickOutcome> {
    const row = this.log.insert({
      ...this.key(),
      sourceBlock: latest.block_number,
      cycleId: latest.cycle_id,
      mode: 'set',
      ...vector,
      versionKey,
      status: 'sending',
      sentAtBlock: view.block,
    });
    this.logger.info({ sourceBlock: row.sourceBlock, cycleId: row.cycleId, n: vector.uids.length, versionKey, block: view.block }, 'setting weights');
    try {
      const receipt = await this.write(this.opts.chain.setWeights(this.opts.netuid, this.opts.hotkey, { ...vector, versionKey }), 'set_weights');
      this.log.update(row.id, { status: 'applied', appliedBlock: receipt.block });
      return { kind: 'applied', sourceBlock: row.sourceBlock, block: receipt.block, via: 'set_weights' };
    } catch (err) {
      return this.submitFailed(row, err, view);
    }
  }

  private async commit(latest: WeightsResponse, vector: { uids: number[]; values: number[] }, versionKey: number, view: ValidatorView): Promise<TickOutcome> {
    const salt = randomSalt();
    const hash = commitHashV2({ hotkey: this.opts.hotkey.address, netuidIndex: this.opts.netuid, ...vector, salt, versionKey });
    // Salt and hash are on disk before the commit leaves: a restart can still reveal.
    const row = this.log.insert({
      ...this.key(),
      sourceBlock: latest.block_number,
      cycleId: latest.cycle_id,
      mode: 'commit-reveal',
      ...vector,
      versionKey,
      salt,
      commitHash: hash,
      status: 'sending',
      sentAtBlock: view.block,
    });
    this.logger.info({ sourceBlock: row.sourceBlock, n: vector.uids.length, versionKey, hash }, 'committing weights');
    try {
      const receipt = await this.write(this.opts.chain.commitWeights(this.opts.netuid, this.opts.hotkey, hash), 'commit_weights');
      this.log.update(row.id, { status: 'committed', commitBlock: receipt.block });
      const window = revealWindow(receipt.block, this.opts.netuid, view.hyperparams);
      return { kind: 'committed', sourceBlock: row.sourceBlock, block: receipt.block, revealFrom: window.firstBlock };
    } catch (err) {
      return this.submitFailed(row, err, view);
    }
  }

  /**
   * Encrypts the weights to the drand round that opens in the reveal epoch and commits the ciphertext;
   * the chain decrypts and applies them itself. The row (with the ciphertext's hash) is written first.
   */
  private async commitTimelocked(
    latest: WeightsResponse,
    vector: { uids: number[]; values: number[] },
    versionKey: number,
    view: ValidatorView,
  ): Promise<TickOutcome> {
    const { netuid, hotkey } = this.opts;
    const revealRound = revealRoundFor({
      block: view.block,
      netuid,
      tempo: view.hyperparams.tempo,
      revealPeriodEpochs: view.hyperparams.revealPeriodEpochs,
      nowSeconds: this.clock.now() / 1000,
      blockSeconds: this.opts.blockMs / 1000,
    });
    const payload = encodeWeightsTlockPayload({ hotkey: decodeAddress(hotkey.address), ...vector, versionKey });
    const commit = tlockEncrypt(payload, revealRound, { publicKey: this.opts.beaconPublicKey });
    const hash = blake2AsHex(commit, 256);
    const row = this.log.insert({
      ...this.key(),
      sourceBlock: latest.block_number,
      cycleId: latest.cycle_id,
      mode: 'timelocked',
      ...vector,
      versionKey,
      commitHash: hash,
      revealRound,
      status: 'sending',
      sentAtBlock: view.block,
    });
    this.logger.info({ sourceBlock: row.sourceBlock, n: vector.uids.length, versionKey, revealRound, hash }, 'committing timelocked weights');
    try {
      const receipt = await this.write(
        this.opts.chain.commitTimelockedWeights(netuid, hotkey, { commit, revealRound, version: view.timelock!.version }),
        'commit_timelocked_weights',
      );
      this.log.update(row.id, { status: 'committed', commitBlock: receipt.block });
      const window = revealWindow(receipt.block, netuid, view.hyperparams);
      return { kind: 'committed', sourceBlock: row.sourceBlock, block: receipt.block, revealFrom: window.firstBlock };
    } catch (err) {
      return this.submitFailed(row, err, view);
    }
  }

  /**
   * A timelocked commit is revealed by the chain: while it is queued, wait; once it is gone, the
   * weights were applied if LastUpdate moved past the commit (the reveal sets weights), otherwise the
   * chain dropped it (it could not decrypt it, or the pulse never came) and it is made again.
   */
  private awaitTimelockedReveal(row: Submission, view: ValidatorView): TickOutcome {
    const queued = view.pendingTimelocked.find((c) => c.hash === row.commitHash);
    if (queued) {
      const window = revealWindow(queued.commitBlock, this.opts.netuid, view.hyperparams);
      return { kind: 'reveal-wait', sourceBlock: row.sourceBlock, block: view.block, revealFrom: window.firstBlock };
    }
    const commitBlock = row.commitBlock ?? row.sentAtBlock ?? 0;
    if (view.lastUpdate > commitBlock) {
      this.log.update(row.id, { status: 'applied', appliedBlock: view.lastUpdate, error: null });
      return { kind: 'applied', sourceBlock: row.sourceBlock, block: view.lastUpdate, via: 'timelocked' };
    }
    const error = `the chain dropped the timelocked commit of block ${commitBlock} (round ${row.revealRound}) without applying it`;
    this.log.update(row.id, { status: 'failed', error });
    return { kind: 'rejected', sourceBlock: row.sourceBlock, error };
  }

  private submitFailed(row: Submission, err: unknown, view: ValidatorView): TickOutcome {
    if (err instanceof ChainModuleError) {
      this.log.update(row.id, { status: 'failed', error: err.message });
      if (err.error === 'SettingWeightsTooFast' || err.error === 'CommittingWeightsTooFast') {
        return { kind: 'rate-limited', sourceBlock: row.sourceBlock, block: view.block, nextBlock: view.block + 1 };
      }
      return { kind: 'rejected', sourceBlock: row.sourceBlock, error: err.message };
    }
    if (isTransientChainError(err)) {
      // The transaction may still land: the row stays `sending` and is resolved from chain state.
      this.log.update(row.id, { error: `outcome unknown: ${(err as Error).message}` });
      throw err;
    }
    this.log.update(row.id, { status: 'failed', error: (err as Error).message });
    return { kind: 'rejected', sourceBlock: row.sourceBlock, error: (err as Error).message };
  }

  /**
   * The newest settled attempt, after confirming on chain that it is still there: our record is not
   * trusted over the chain. A chain that was reset (a dev chain restarted from genesis) or a fork that
   * dropped the block leaves `LastUpdate` of our uid below the block the weights landed in (or the head
   * below it); such an attempt is marked failed, so the weights are submitted again.
   */
  private confirmedSettled(view: ValidatorView): Submission | undefined {
    for (;;) {
      const row = this.log.lastSettled(this.key());
      if (!row || row.status === 'skipped') return row;
      // A commit sets LastUpdate; a reveal need not (the runtime applies it without the rate limit).
      const landed = (row.mode === 'set' ? row.appliedBlock : row.commitBlock) ?? row.appliedBlock ?? row.sentAtBlock ?? 0;
      if (view.uid !== null && view.block >= landed && view.lastUpdate >= landed) return row;
      const error = `no longer on chain: LastUpdate is ${view.uid === null ? 'unset (hotkey not registered)' : view.lastUpdate} at block ${view.block}, the weights landed in block ${landed} (chain reset or fork)`;
      this.logger.warn(
        { sourceBlock: row.sourceBlock, landed, lastUpdate: view.lastUpdate, block: view.block },
        'recorded weights are not on chain any more; submitting again',
      );
      this.log.update(row.id, { status: 'failed', error });
    }
  }

  /** Resolves attempts whose outcome is open; returns an outcome when they must be waited for. */
  private async resolveOpen(view: ValidatorView): Promise<TickOutcome | null> {
    for (const row of this.log.open(this.key())) {
      if (row.status === 'sending') {
        const resolved = this.resolveSending(row, view);
        if (resolved) return resolved;
      }
    }
    const open = this.log.open(this.key()).filter((r) => r.status === 'committed');
    // The chain reveals timelocked commits itself; each is followed until it is applied or dropped.
    let revealed: TickOutcome | null = null;
    for (const row of open.filter((r) => r.mode === 'timelocked')) {
      const outcome = this.awaitTimelockedReveal(row, view);
      if (outcome.kind !== 'applied') return outcome;
      revealed = outcome;
    }
    if (revealed) return revealed;
    const committed = open.filter((r) => r.mode === 'commit-reveal');
    // Only the newest commit matters: revealing it drops older ones from the chain's queue.
    for (const old of committed.slice(0, -1)) this.log.update(old.id, { status: 'expired', error: 'superseded by a newer commit' });
    const current = committed.at(-1);
    return current ? this.reveal(current, view) : null;
  }

  private resolveSending(row: Submission, view: ValidatorView): TickOutcome | null {
    const sentAt = row.sentAtBlock ?? 0;
    if (view.block < sentAt) {
      // The head is below the block we sent at: the chain was reset or reorganised. Waiting for the
      // era to pass would take until the new chain reaches the old height.
      this.log.update(row.id, { status: 'failed', error: `the chain head (${view.block}) is below the block it was sent at (${sentAt}); chain reset?` });
      return null;
    }
    if (row.mode === 'set') {
      if (view.lastUpdate > sentAt) {
        this.log.update(row.id, { status: 'applied', appliedBlock: view.lastUpdate, error: null });
        this.logger.info({ sourceBlock: row.sourceBlock, block: view.lastUpdate }, 'earlier set_weights with unknown outcome is on chain');
        return { kind: 'applied', sourceBlock: row.sourceBlock, block: view.lastUpdate, via: 'set_weights' };
      }
    } else if (row.mode === 'timelocked') {
      const onChain = view.pendingTimelocked.find((c) => c.hash === row.commitHash);
      if (onChain) {
        this.log.update(row.id, { status: 'committed', commitBlock: onChain.commitBlock, error: null });
        return null;
      }
    } else {
      const onChain = view.pendingCommits.find((c) => c.hash === row.commitHash);
      if (onChain) {
        this.log.update(row.id, { status: 'committed', commitBlock: onChain.commitBlock, error: null });
        return null;
      }
    }
    if (view.block > sentAt + this.opts.lostAfterBlocks) {
      this.log.update(row.id, { status: 'failed', error: `not on chain ${this.opts.lostAfterBlocks} blocks after sending; presumed lost` });
      return null;
    }
    return { kind: 'awaiting-outcome', sourceBlock: row.sourceBlock, block: view.block };
  }

  private async reveal(row: Submission, view: ValidatorView): Promise<TickOutcome> {
    const commit = view.pendingCommits.find((c) => c.hash === row.commitHash);
    if (!commit) {
      // Gone from the queue: our reveal landed (if we sent one) or the commit expired.
      if (row.revealAttempts > 0) {
        this.log.update(row.id, { status: 'applied', error: null });
        return { kind: 'applied', sourceBlock: row.sourceBlock, block: null, via: 'reveal' };
      }
      this.log.update(row.id, { status: 'expired', error: 'the commit is no longer on chain' });
      return { kind: 'transient-error', error: 'commit vanished before its reveal; it will be made again' };
    }
    const window =
      commit.firstRevealBlock !== null && commit.lastRevealBlock !== null
        ? { firstBlock: commit.firstRevealBlock, lastBlock: commit.lastRevealBlock }
        : revealWindow(commit.commitBlock, this.opts.netuid, view.hyperparams);
    const landsAt = view.block + 1;
    if (landsAt < window.firstBlock) return { kind: 'reveal-wait', sourceBlock: row.sourceBlock, block: view.block, revealFrom: window.firstBlock };
    if (commit.lastRevealBlock !== null && landsAt > commit.lastRevealBlock) {
      this.log.update(row.id, { status: 'expired', error: `reveal window ${window.firstBlock}–${commit.lastRevealBlock} passed` });
      return { kind: 'transient-error', error: 'the reveal window passed; the weights will be committed again' };
    }
    this.log.update(row.id, { revealAttempts: row.revealAttempts + 1 });
    this.logger.info({ sourceBlock: row.sourceBlock, commitBlock: commit.commitBlock, block: view.block }, 'revealing weights');
    try {
      const receipt = await this.write(
        this.opts.chain.revealWeights(this.opts.netuid, this.opts.hotkey, { uids: row.uids, values: row.values, salt: row.salt!, versionKey: row.versionKey }),
        'reveal_weights',
      );
      this.log.update(row.id, { status: 'applied', appliedBlock: receipt.block, error: null });
      return { kind: 'applied', sourceBlock: row.sourceBlock, block: receipt.block, via: 'reveal' };
    } catch (err) {
      if (!(err instanceof ChainModuleError)) throw err;
      switch (err.error) {
        case 'RevealTooEarly':
          return { kind: 'reveal-wait', sourceBlock: row.sourceBlock, block: view.block, revealFrom: null };
        case 'ExpiredWeightCommit':
        case 'NoWeightsCommitFound':
        case 'InvalidRevealCommitHashNotMatch':
          this.log.update(row.id, { status: 'expired', error: err.message });
          return { kind: 'transient-error', error: `${err.message}; the weights will be committed again` };
        default:
          this.log.update(row.id, { status: 'failed', error: err.message });
          return { kind: 'rejected', sourceBlock: row.sourceBlock, error: err.message };
      }
    }
  }

  private async watchdog(block: number): Promise<void> {
    const now = this.clock.now();
    if (block > this.lastBlock) {
      this.lastBlock = block;
      this.lastBlockChangeMs = now;
      return;
    }
    if (now - this.lastBlockChangeMs >= this.opts.stallTimeoutMs) {
      this.logger.warn({ block, stalledForMs: now - this.lastBlockChangeMs }, 'chain head is not advancing; reconnecting');
      this.lastBlockChangeMs = now;
      await this.read(this.opts.chain.reconnect(), 'reconnecting');
    }
  }

  private async failure(err: unknown): Promise<TickOutcome> {
    const message = (err as Error)?.message ?? String(err);
    if (err instanceof ChainModuleError) return { kind: 'rejected', sourceBlock: null, error: message };
    this.consecutiveFailures++;
    if (this.consecutiveFailures % 3 === 0) {
      this.logger.warn({ failures: this.consecutiveFailures }, 'repeated failures; reconnecting to the chain');
      await this.read(this.opts.chain.reconnect(), 'reconnecting').catch((e: Error) => this.logger.warn({ err: e }, 'reconnect failed'));
    }
    return { kind: 'transient-error', error: message };
  }

  private report(outcome: TickOutcome): void {
    const changed = this.lastOutcome?.kind !== outcome.kind;
    this.lastOutcome = outcome;
    this.lastTickAt = this.clock.now();
    const fields = { outcome };
    switch (outcome.kind) {
      case 'applied':
      case 'committed':
        this.logger.info(fields, outcome.kind === 'applied' ? 'weights are on chain' : 'weights committed; reveal pending');
        break;
      case 'rejected':
      case 'unsupported':
        this.logger.error(fields, outcome.kind === 'rejected' ? 'the chain rejected the weights' : outcome.reason);
        break;
      case 'not-registered':
        if (changed) this.logger.warn(fields, 'hotkey is not registered on the subnet; will keep checking');
        break;
      case 'transient-error':
        this.logger.warn(fields, 'transient failure; will retry');
        break;
      case 'skipped':
        this.logger.warn(fields, 'weights not submitted');
        break;
      case 'up-to-date':
        if (outcome.blocksSinceUpdate !== undefined && (changed || this.staleWarnedAt === null || this.clock.now() - this.staleWarnedAt > 3_600_000)) {
          this.staleWarnedAt = this.clock.now();
          this.logger.warn(fields, `no new weights from the backend: the last ones were set ${outcome.blocksSinceUpdate} blocks ago`);
        } else if (changed) this.logger.info(fields, outcome.kind);
        break;
      default:
        if (changed) this.logger.info(fields, outcome.kind);
        else this.logger.debug(fields, outcome.kind);
    }
    try {
      this.opts.onOutcome?.(outcome);
    } catch (err) {
      this.logger.warn({ err }, 'onOutcome callback failed');
    }
  }

  /** How long to wait after an outcome before the next tick. */
  delayAfter(outcome: TickOutcome): number {
    const { pollIntervalMs, blockMs } = this.opts;
    const untilBlock = (target: number | null, now: number) => (target === null ? blockMs : Math.max(blockMs, (target - now) * blockMs));
    switch (outcome.kind) {
      case 'rate-limited':
        return Math.min(pollIntervalMs, untilBlock(outcome.nextBlock, outcome.block));
      case 'committed':
      case 'reveal-wait':
        return Math.min(pollIntervalMs, untilBlock(outcome.revealFrom, outcome.block));
      case 'awaiting-outcome':
        return Math.min(pollIntervalMs, 2 * blockMs);
      case 'transient-error':
        return Math.min(pollIntervalMs, 5_000 * 2 ** Math.min(this.consecutiveFailures, 6));
      case 'rejected':
        // Conditions such as a validator permit can change, but do not hammer the chain meanwhile.
        return Math.max(pollIntervalMs, Math.min(5 * pollIntervalMs, 600_000));
      default:
        return pollIntervalMs;
    }
  }
}

/**
 * The vector to submit: `weights_u16` as published (uids sorted, uids beyond the subnet dropped), or —
 * for a backend that sends only floats — the floats max-upscaled to u16.
 */
export function prepareWeightVector(response: WeightsResponse, subnetN: number): { uids: number[]; values: number[]; dropped: number[] } | { skip: string } {
  let { uids, values } = response.weights_u16;
  if (uids.length !== values.length) return { skip: 'weights_u16 has different numbers of uids and values' };
  if (uids.length === 0 && Object.keys(response.weights).length > 0) {
    const entries = Object.entries(response.weights).map(([k, v]) => [Number(k), v] as const);
    if (entries.some(([k, v]) => !Number.isInteger(k) || k < 0 || v < 0)) return { skip: 'weights has invalid uids or negative values' };
    uids = entries.map(([k]) => k);
    values = maxUpscaleFloats(entries.map(([, v]) => v));
  }
  if (new Set(uids).size !== uids.length) return { skip: 'the published weights list a uid twice' };
  const dropped = uids.filter((u) => u >= subnetN);
  const pairs = uids
    .map((u, i) => [u, values[i]!] as const)
    .filter(([u]) => u < subnetN)
    .sort((a, b) => a[0] - b[0]);
  if (pairs.length === 0 || pairs.every(([, v]) => v === 0)) return { skip: 'no non-zero weights to set' };
  return { uids: pairs.map(([u]) => u), values: pairs.map(([, v]) => v), dropped };
}

function maxUpscaleFloats(values: number[]): number[] {
  const max = Math.max(...values);
  return max <= 0 ? values.map(() => 0) : values.map((v) => Math.round((v / max) * 65535));
}
