/**
 * Submissions whose outcome is still open: attempts sent with no known result, commits awaiting their
 * reveal (ours for hash commit-reveal, the chain's for timelocked commits), and the check that a
 * settled attempt is still on chain. Every answer comes from chain state, never from our record alone.
 */
import type { ChainClient } from '../chain/client.ts';
import { ChainModuleError, isTransientChainError } from '../chain/errors.ts';
import type { HotkeySigner, ValidatorView } from '../chain/types.ts';
import { revealWindow } from '../chain/weights.ts';
import type { Logger } from '../log.ts';
import type { Submission, SubmissionKey, SubmissionLog } from '../store/submissions.ts';
import type { TickOutcome } from './types.ts';

/** What the validator shares with its open submissions: the log, the chain and the write deadline. */
export interface OpenSubmissionsContext {
  log: SubmissionLog;
  /** This validator's (chain, netuid, hotkey); the chain id is known only after the first read. */
  key(): SubmissionKey;
  chain: ChainClient;
  netuid: number;
  hotkey: HotkeySigner;
  /** A sent transaction not seen on chain after this many blocks is considered lost. */
  lostAfterBlocks: number;
  logger: Logger;
  /** Runs a transaction under the validator's deadline. */
  write<T>(work: Promise<T>, what: string): Promise<T>;
}

export class OpenSubmissions {
  constructor(private readonly d: OpenSubmissionsContext) {}

  /**
   * A timelocked commit is revealed by the chain: while it is queued, wait; once it is gone, the
   * weights were applied if LastUpdate moved past the commit (the reveal sets weights), otherwise the
   * chain dropped it (it could not decrypt it, or the pulse never came) and it is made again.
   */
  awaitTimelockedReveal(row: Submission, view: ValidatorView): TickOutcome {
    const queued = view.pendingTimelocked.find((c) => c.hash === row.commitHash);
    if (queued) {
      const window = revealWindow(queued.commitBlock, this.d.netuid, view.hyperparams);
      return { kind: 'reveal-wait', sourceBlock: row.sourceBlock, block: view.block, revealFrom: window.firstBlock };
    }
    const commitBlock = row.commitBlock ?? row.sentAtBlock ?? 0;
    if (view.lastUpdate > commitBlock) {
      this.d.log.update(row.id, { status: 'applied', appliedBlock: view.lastUpdate, error: null });
      return { kind: 'applied', sourceBlock: row.sourceBlock, block: view.lastUpdate, via: 'timelocked' };
    }
    const error = `the chain dropped the timelocked commit of block ${commitBlock} (round ${row.revealRound}) without applying it`;
    this.d.log.update(row.id, { status: 'failed', error });
    return { kind: 'rejected', sourceBlock: row.sourceBlock, error };
  }

  /**
   * The newest settled attempt, after confirming on chain that it is still there: our record is not
   * trusted over the chain. A chain that was reset (a dev chain restarted from genesis) or a fork that
   * dropped the block leaves `LastUpdate` of our uid below the block the weights landed in (or the head
   * below it); such an attempt is marked failed, so the weights are submitted again.
   */
  confirmedSettled(view: ValidatorView): Submission | undefined {
    for (;;) {
      const row = this.d.log.lastSettled(this.d.key());
      if (!row || row.status === 'skipped') return row;
      // A commit sets LastUpdate; a reveal need not (the runtime applies it without the rate limit).
      const landed = (row.mode === 'set' ? row.appliedBlock : row.commitBlock) ?? row.appliedBlock ?? row.sentAtBlock ?? 0;
      if (view.uid !== null && view.block >= landed && view.lastUpdate >= landed) return row;
      const error = `no longer on chain: LastUpdate is ${view.uid === null ? 'unset (hotkey not registered)' : view.lastUpdate} at block ${view.block}, the weights landed in block ${landed} (chain reset or fork)`;
      this.d.logger.warn(
        { sourceBlock: row.sourceBlock, landed, lastUpdate: view.lastUpdate, block: view.block },
        'recorded weights are not on chain any more; submitting again',
      );
      this.d.log.update(row.id, { status: 'failed', error });
    }
  }

  /** Resolves attempts whose outcome is open; returns an outcome when they must be waited for. */
  async resolveOpen(view: ValidatorView): Promise<TickOutcome | null> {
    for (const row of this.d.log.open(this.d.key())) {
      if (row.status === 'sending') {
        const resolved = this.resolveSending(row, view);
        if (resolved) return resolved;
      }
    }
    const open = this.d.log.open(this.d.key()).filter((r) => r.status === 'committed');
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
    for (const old of committed.slice(0, -1)) this.d.log.update(old.id, { status: 'expired', error: 'superseded by a newer commit' });
    const current = committed.at(-1);
    return current ? this.reveal(current, view) : null;
  }

  resolveSending(row: Submission, view: ValidatorView): TickOutcome | null {
    const sentAt = row.sentAtBlock ?? 0;
    if (view.block < sentAt) {
      // The head is below the block we sent at: the chain was reset or reorganised. Waiting for the
      // era to pass would take until the new chain reaches the old height.
      this.d.log.update(row.id, { status: 'failed', error: `the chain head (${view.block}) is below the block it was sent at (${sentAt}); chain reset?` });
      return null;
    }
    if (row.mode === 'set') {
      if (view.lastUpdate > sentAt) {
        this.d.log.update(row.id, { status: 'applied', appliedBlock: view.lastUpdate, error: null });
        this.d.logger.info({ sourceBlock: row.sourceBlock, block: view.lastUpdate }, 'earlier set_weights with unknown outcome is on chain');
        return { kind: 'applied', sourceBlock: row.sourceBlock, block: view.lastUpdate, via: 'set_weights' };
      }
    } else if (row.mode === 'timelocked') {
      const onChain = view.pendingTimelocked.find((c) => c.hash === row.commitHash);
      if (onChain) {
        this.d.log.update(row.id, { status: 'committed', commitBlock: onChain.commitBlock, error: null });
        return null;
      }
    } else {
      const onChain = view.pendingCommits.find((c) => c.hash === row.commitHash);
      if (onChain) {
        this.d.log.update(row.id, { status: 'committed', commitBlock: onChain.commitBlock, error: null });
        return null;
      }
    }
    if (view.block > sentAt + this.d.lostAfterBlocks) {
      this.d.log.update(row.id, { status: 'failed', error: `not on chain ${this.d.lostAfterBlocks} blocks after sending; presumed lost` });
      return null;
    }
    return { kind: 'awaiting-outcome', sourceBlock: row.sourceBlock, block: view.block };
  }

  async reveal(row: Submission, view: ValidatorView): Promise<TickOutcome> {
    const commit = view.pendingCommits.find((c) => c.hash === row.commitHash);
    if (!commit) {
      // Gone from the queue: our reveal landed (if we sent one) or the commit expired.
      if (row.revealAttempts > 0) {
        this.d.log.update(row.id, { status: 'applied', error: null });
        return { kind: 'applied', sourceBlock: row.sourceBlock, block: null, via: 'reveal' };
      }
      this.d.log.update(row.id, { status: 'expired', error: 'the commit is no longer on chain' });
      return { kind: 'transient-error', error: 'commit vanished before its reveal; it will be made again' };
    }
    const window =
      commit.firstRevealBlock !== null && commit.lastRevealBlock !== null
        ? { firstBlock: commit.firstRevealBlock, lastBlock: commit.lastRevealBlock }
        : revealWindow(commit.commitBlock, this.d.netuid, view.hyperparams);
    const landsAt = view.block + 1;
    if (landsAt < window.firstBlock) return { kind: 'reveal-wait', sourceBlock: row.sourceBlock, block: view.block, revealFrom: window.firstBlock };
    if (commit.lastRevealBlock !== null && landsAt > commit.lastRevealBlock) {
      this.d.log.update(row.id, { status: 'expired', error: `reveal window ${window.firstBlock}–${commit.lastRevealBlock} passed` });
      return { kind: 'transient-error', error: 'the reveal window passed; the weights will be committed again' };
    }
    this.d.log.update(row.id, { revealAttempts: row.revealAttempts + 1 });
    this.d.logger.info({ sourceBlock: row.sourceBlock, commitBlock: commit.commitBlock, block: view.block }, 'revealing weights');
    try {
      const receipt = await this.d.write(
        this.d.chain.revealWeights(this.d.netuid, this.d.hotkey, { uids: row.uids, values: row.values, salt: row.salt!, versionKey: row.versionKey }),
        'reveal_weights',
      );
      this.d.log.update(row.id, { status: 'applied', appliedBlock: receipt.block, error: null });
      return { kind: 'applied', sourceBlock: row.sourceBlock, block: receipt.block, via: 'reveal' };
    } catch (err) {
      if (!(err instanceof ChainModuleError)) throw err;
      switch (err.error) {
        case 'RevealTooEarly':
          return { kind: 'reveal-wait', sourceBlock: row.sourceBlock, block: view.block, revealFrom: null };
        case 'ExpiredWeightCommit':
        case 'NoWeightsCommitFound':
        case 'InvalidRevealCommitHashNotMatch':
          this.d.log.update(row.id, { status: 'expired', error: err.message });
          return { kind: 'transient-error', error: `${err.message}; the weights will be committed again` };
        default:
          this.d.log.update(row.id, { status: 'failed', error: err.message });
          return { kind: 'rejected', sourceBlock: row.sourceBlock, error: err.message };
      }
    }
  }

  /**
   * A send that threw: the chain's refusal settles the attempt; a transient failure leaves it open
   * (the transaction may still land) and is rethrown for the tick to report.
   */
  submitFailed(row: Submission, err: unknown, view: ValidatorView): TickOutcome {
    if (err instanceof ChainModuleError) {
      this.d.log.update(row.id, { status: 'failed', error: err.message });
      if (err.error === 'SettingWeightsTooFast' || err.error === 'CommittingWeightsTooFast') {
        return { kind: 'rate-limited', sourceBlock: row.sourceBlock, block: view.block, nextBlock: view.block + 1 };
      }
      return { kind: 'rejected', sourceBlock: row.sourceBlock, error: err.message };
    }
    if (isTransientChainError(err)) {
      // The transaction may still land: the row stays `sending` and is resolved from chain state.
      this.d.log.update(row.id, { error: `outcome unknown: ${(err as Error).message}` });
      throw err;
    }
    this.d.log.update(row.id, { status: 'failed', error: (err as Error).message });
    return { kind: 'rejected', sourceBlock: row.sourceBlock, error: (err as Error).message };
  }
}
