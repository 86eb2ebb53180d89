/**
 * Deployment spot checks (docs/verification.md): for a fraction of the cycle's miners, replay the
 * recorded opening of one of the miner's real episodes against the code the miner committed
 * (`repo@revision` on the Hugging Face Hub), run in the sandbox, and compare the actions with those
 * the live endpoint answered in that episode.
 *
 * The live endpoint is not asked again: its answers were recorded while it could not know the
 * episode would be checked (every episode looks the same to it), so a miner cannot serve the
 * committed code only to checks. Outcomes: `verified`, `mismatch` (the miner's doing: different
 * actions, committed code that crashes, breaks the sandbox rules or cannot be fetched) and
 * `unverifiable` with the reason (our side: no sandbox, Hub unreachable, no recorded episode).
 */
import { randomInt } from 'node:crypto';
import type { Store } from '../store/index.ts';
import type { SpotCheckOutcome, SpotCheckRecord } from '../store/spot-checks.ts';
import type { CycleMiner } from '../store/cycles.ts';
import { silentLogger, type Logger } from '../log.ts';
import { parseAction, type MinerAction } from '../executor/miner-client.ts';
import { compareActions, DEFAULT_TOLERANCE, type Tolerance } from './compare.ts';
import { BubblewrapSandbox, SandboxUnavailable } from './sandbox.ts';
import { CommittedCodeUnavailable, fetchRevision, HubUnreachable, resolveRevision, type HubOptions } from './hub.ts';

export type MismatchConsequence = 'log' | 'zero-weight';

export interface SpotCheckSettings {
  /** Fraction of the cycle's miners checked (0 disables; at least one miner when > 0). */
  fraction: number;
  /** What a mismatch costs: only a log line and the stored outcome (the original), or the cycle's weight. */
  consequence: MismatchConsequence;
  /** Opening steps recorded from one episode per miner (default 8). */
  recordSteps: number;
  tolerance: Tolerance;
  /** Largest repository fetched (bytes; default 2 GiB). */
  maxRepoBytes: number;
  /** Where fetched revisions are kept. */
  cacheDir: string;
  hub: HubOptions;
}

export const DEFAULT_SPOT_CHECK_SETTINGS: Omit<SpotCheckSettings, 'cacheDir'> = {
  fraction: 0,
  consequence: 'log',
  recordSteps: 8,
  tolerance: DEFAULT_TOLERANCE,
  maxRepoBytes: 2 * 1024 ** 3,
  hub: {},
};

/** Chooses ⌈fraction·n⌉ miners (at least one when fraction > 0) uniformly at random. */
export function chooseMiners<T>(miners: readonly T[], fraction: number, draw: (n: number) => number = randomInt): T[] {
  if (!(fraction > 0) || miners.length === 0) return [];
  const k = Math.min(miners.length, Math.max(1, Math.ceil(fraction * miners.length)));
  const pool = [...miners];
  for (let i = 0; i < k; i++) {
    const j = i + draw(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, k);
}

type Verdict = Omit<SpotCheckRecord, 'checkedAt' | 'cycleId' | 'minerUid' | 'hotkey' | 'repo' | 'revision'>;

export class SpotChecker {
  private readonly log: Logger;

  constructor(
    private readonly store: Store,
    readonly settings: SpotCheckSettings,
    private readonly sandbox: BubblewrapSandbox = new BubblewrapSandbox(),
    logger: Logger = silentLogger,
  ) {
    this.log = logger.child({ component: 'spot-check' });
  }

  /** Checks the chosen miners of a cycle one after another; never throws for a miner's failure. */
  async checkCycle(cycleId: number, chosen?: readonly CycleMiner[]): Promise<SpotCheckRecord[]> {
    const miners = chosen ?? chooseMiners(this.store.cycles.miners(cycleId), this.settings.fraction);
    for (const m of miners) {
      let verdict: Verdict;
      try {
        verdict = await this.checkMiner(cycleId, m);
      } catch (err) {
        verdict = unverifiable(`spot check failed on our side: ${(err as Error).message}`);
      }
      this.store.spotChecks.save({ cycleId, minerUid: m.uid, hotkey: m.hotkey, repo: m.repo, revision: m.revision, ...verdict });
      const fields = { uid: m.uid, repo: m.repo, revision: m.revision, outcome: verdict.outcome, reason: verdict.reason, steps: verdict.stepsCompared };
      if (verdict.outcome === 'mismatch') this.log.warn(fields, 'verification_mismatch');
      else if (verdict.outcome === 'verified') this.log.info(fields, 'verification_passed');
      else this.log.warn(fields, 'verification_unverifiable');
    }
    return this.store.spotChecks.forCycle(cycleId);
  }

  /** Uids whose weight this cycle is withheld (only with consequence `zero-weight`). */
  penalized(cycleId: number): Set<number> {
    if (this.settings.consequence !== 'zero-weight') return new Set();
    return new Set(
      this.store.spotChecks
        .forCycle(cycleId)
        .filter((c) => c.outcome === 'mismatch')
        .map((c) => c.minerUid),
    );
  }

  private async checkMiner(cycleId: number, m: CycleMiner): Promise<Verdict> {
    if (!m.repo || !m.revision) return mismatch('the commitment names no Hugging Face repo and revision');
    const sample = this.store.spotChecks.sample(cycleId, m.uid);
    if (!sample) return unverifiable('no episode of this miner was recorded this cycle');
    const noSandbox = await this.sandbox.probe();
    if (noSandbox) return unverifiable(noSandbox);

    let commit: string;
    let dir: string;
    try {
      commit = await resolveRevision(m.repo, m.revision, this.settings.hub);
      dir = (await fetchRevision(m.repo, commit, this.settings.cacheDir, this.settings.maxRepoBytes, this.settings.hub)).dir;
    } catch (err) {
      if (err instanceof CommittedCodeUnavailable) return mismatch(`committed code unavailable: ${err.message}`);
      if (err instanceof HubUnreachable) return unverifiable(`Hugging Face Hub unreachable: ${err.message}`);
      throw err;
    }

    const requests = [
      { path: '/reset', body: { task_config: sample.resetConfig } },
      ...sample.steps.map((s) => ({ path: '/act', body: { obs: JSON.parse(s.observation) as unknown } })),
    ];
    let replay;
    try {
      replay = await this.sandbox.replay(dir, requests);
    } catch (err) {
      if (err instanceof SandboxUnavailable) return unverifiable(err.message, commit);
      throw err;
    }
    // The miner's own output: shown in the API and the TUI, so no control characters (terminal escapes).
    const tail = replay.stderrTail
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ')
      // eslint-disable-next-line no-control-regex -- control characters are exactly what this strips
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
      .slice(0, 400);
    const crashed = (why: string) => mismatch(`the committed code ${why}${tail ? ` (its last output: ${tail})` : ''}`, commit);
    const reset = replay.answers[0];
    if (!reset) return crashed(`failed before answering /reset: ${replay.failure ?? 'no answer'}`);
    if (reset.status !== 200) return crashed(`answered /reset with HTTP ${reset.status}`);
    const committed: MinerAction[] = [];
    for (let i = 1; i < replay.answers.length; i++) {
      const a = replay.answers[i]!;
      if (a.status !== 200) return crashed(`answered /act (step ${i - 1}) with HTTP ${a.status}`);
      try {
        committed.push(parseAction((a.body as { action?: unknown } | null)?.action));
      } catch (err) {
        return crashed(`answered /act (step ${i - 1}) with an invalid action: ${(err as Error).message}`);
      }
    }
    if (replay.failure !== null) return crashed(`stopped after ${committed.length} of ${sample.steps.length} steps: ${replay.failure}`);
    const live = sample.steps.map((s) => s.action);
    const cmp = compareActions(live, committed, this.settings.tolerance);
    if (cmp.agree) return { outcome: 'verified', reason: null, resolvedRevision: commit, stepsCompared: cmp.stepsCompared, maxDifference: cmp.maxDifference };
    return {
      outcome: 'mismatch',
      reason: `the live endpoint's action differs from the committed code's at step ${cmp.firstMismatchStep} (largest difference ${cmp.maxDifference.toPrecision(3)})`,
      resolvedRevision: commit,
      stepsCompared: cmp.stepsCompared,
      maxDifference: cmp.maxDifference,
    };
  }
}

function verdictOf(outcome: SpotCheckOutcome, reason: string, commit: string | null = null): Verdict {
  return { outcome, reason, resolvedRevision: commit, stepsCompared: 0, maxDifference: null };
}
const mismatch = (reason: string, commit: string | null = null) => verdictOf('mismatch', reason, commit);
const unverifiable = (reason: string, commit: string | null = null) => verdictOf('unverifiable', reason, commit);
