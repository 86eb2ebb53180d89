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
 * (LastUpdate, the commit queues): a reset chain or a fork never leaves weights "already submitted".
 * Each chain/backend call has a hard deadline, and a watchdog reconnects when the head stops advancing.
 * Attempts with an open outcome are followed in open-submissions.ts; the vector is weight-vector.ts.
 */
import { silentLogger, type Logger } from '../log.ts';
import { systemClock, AbortedError, type ChainClock } from '../chain/clock.ts';
import { ChainModuleError } from '../chain/errors.ts';
import { withTimeout } from '../chain/timeout.ts';
import type { ValidatorView } from '../chain/types.ts';
import { checkWeightsVector, commitHashV2, nextAllowedBlock, randomSalt, revealWindow } from '../chain/weights.ts';
import { encodeWeightsTlockPayload, revealRoundFor, tlockEncrypt } from '../chain/tlock.ts';
import { blake2AsHex, decodeAddress } from '@polkadot/util-crypto';
import { SubmissionLog, type SubmissionKey } from '../store/submissions.ts';
import { WeightsResponseSchema, type WeightsResponse } from './weights-source.ts';
import { OpenSubmissions } from './open-submissions.ts';
import type { TickOutcome, ValidatorOptions, ValidatorStatus } from './types.ts';
import { prepareWeightVector } from './weight-vector.ts';

export type { TickOutcome, ValidatorOptions, ValidatorStatus } from './types.ts';
export { prepareWeightVector } from './weight-vector.ts';

/** Outcomes after which `runOnce` stops. */
const TERMINAL = new Set<TickOutcome['kind']>(['no-weights', 'up-to-date', 'not-registered', 'applied', 'skipped', 'rejected', 'unsupported']);

export class Validator {
  readonly log: SubmissionLog;
  private readonly submissions: OpenSubmissions;
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
    this.submissions = new OpenSubmissions({
      log: this.log,
      key: () => this.key(),
      chain: this.opts.chain,
      netuid: this.opts.netuid,
      hotkey: this.opts.hotkey,
      lostAfterBlocks: this.opts.lostAfterBlocks,
      logger: this.logger,
      write: (work, what) => this.write(work, what),
    });
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

    const pending = await this.submissions.resolveOpen(view);
    if (pending) return pending;

    const latest = await this.latestWeights();
    if (!latest) return { kind: 'no-weights' };
    const source = latest.block_number;
    const settledRow = this.submissions.confirmedSettled(view);
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
      return this.submissions.submitFailed(row, err, view);
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
      return this.submissions.submitFailed(row, err, view);
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
      return this.submissions.submitFailed(row, err, view);
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
