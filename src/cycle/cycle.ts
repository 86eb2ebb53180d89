/**
 * One evaluation cycle (docs/original.md §3.2, with the fixes of its §13): read the chain head → discover miners → one
 * shared task set → wait for completion (woken by task completions, with stale reclaim and a cycle
 * timeout) → coverage rule → score → store scores, explanation and weights in one transaction.
 *
 * A cycle interrupted by a shutdown or crash stays `running` in the store and is resumed by
 * `resume()` on the next start instead of being cancelled (docs/original.md §13.10).
 */
import type { Store, CycleRow } from '../store/index.ts';
import type { Cancel, Clock } from '../clock.ts';
import { asClock, type Clock as StoreClock } from '../store/clock.ts';
import { silentLogger, type Logger } from '../log.ts';
import { discoverMiners } from '../chain/discovery.ts';
import type { ChainSnapshot } from '../chain/types.ts';
import { aggregateEpisodes, computeWeights, type ScoringParams } from '../scoring/index.ts';
import { buildTaskSet } from './task-set.ts';
import { DEFAULT_RANDOMIZATION, type Randomization } from '../sim/instance.ts';
import { assessCoverage, attributeExecutorFaults } from './coverage.ts';
import type { CapacityMonitor, EstimateReport } from './capacity-monitor.ts';

export interface ChainReader {
  /** Reads the head and the subnet's neurons and commitments, pinned at one block. */
  snapshot(): Promise<Pick<ChainSnapshot, 'block' | 'blockHash' | 'neurons' | 'commitments'>>;
}

export interface CycleSettings {
  envIds: readonly string[];
  episodesPerEnv: number;
  /** The family of task instances (default: cued, the vision-necessary one). */
  randomization: Randomization;
  /** The whole cycle must finish within this (default 7200 s, the original's). */
  cycleTimeoutSeconds: number;
  /** Leases older than this are reclaimed (default 900 s). */
  staleTaskSeconds: number;
  maxTaskAttempts: number;
  /** Minimum fraction of tasks with a miner-attributable result (default 0.9). */
  minCoverage: number;
  scoring: Partial<ScoringParams>;
  backendPrivateKey: string | null;
  /** The operator's own hotkeys: never miners. */
  excludeHotkeys: readonly string[];
  /** Miners allowed a non-public endpoint (see DiscoveryOptions.allowPrivateEndpoint); default none. */
  allowPrivateEndpoint?: boolean | ((hotkey: string, endpoint: string) => boolean);
  /** Housekeeping period while waiting (stale reclaim, timeout check); completions wake earlier. */
  housekeepingMs: number;
  /** How often a running cycle's duration is re-estimated (capacity model). */
  estimateIntervalMs: number;
}

export const DEFAULT_CYCLE_SETTINGS: Omit<CycleSettings, 'envIds'> = {
  episodesPerEnv: 50,
  randomization: DEFAULT_RANDOMIZATION,
  cycleTimeoutSeconds: 7200,
  staleTaskSeconds: 900,
  maxTaskAttempts: 3,
  minCoverage: 0.9,
  scoring: {},
  backendPrivateKey: null,
  excludeHotkeys: [],
  housekeepingMs: 5000,
  estimateIntervalMs: 15_000,
};

/** While a cycle is estimated not to fit its timeout, the warning repeats this often. */
const OVERRUN_WARNING_INTERVAL_MS = 5 * 60_000;

export interface CycleRunnerOptions {
  /** The capacity model's feed; without it no estimates are made. */
  capacity?: CapacityMonitor;
  /** Every estimate, as it is made (metrics). */
  onEstimate?: (report: EstimateReport) => void;
  /** Spot checks between the last task and the weights (src/verification); none without it. */
  spotCheck?: CycleSpotCheck | null;
}

export type CycleOutcome =
  | { cycleId: number; status: 'completed'; blockNumber: number; weights: Record<string, number> }
  | { cycleId: number | null; status: 'failed'; error: string }
  | { cycleId: number; status: 'interrupted' };

/** Runs between the last task and the weights (src/verification): checks, then names uids to leave out. */
export interface CycleSpotCheck {
  checkCycle(cycleId: number): Promise<unknown>;
  /** Miners whose weight this cycle is withheld. */
  penalized(cycleId: number): ReadonlySet<number>;
}

export class CycleRunner {
  private readonly log: Logger;
  private latest: EstimateReport | null = null;
  private lastOverrunWarning = -Infinity;
  private readonly clock: Clock;

  /**
   * `clock` drives the deadline, the housekeeping timer and the estimates. A store clock (the
   * store's `now(): Date` view, until the store takes the one clock) is read for the time and
   * keeps real timers; it should be the store's own, as the cycle's start time comes from the store.
   */
  constructor(
    private readonly store: Store,
    private readonly chain: ChainReader,
    private readonly settings: CycleSettings,
    clock: Clock | StoreClock,
    logger: Logger = silentLogger,
    private readonly options: CycleRunnerOptions = {},
  ) {
    this.clock = asClock(clock);
    this.log = logger;
  }

  /** The latest duration estimate of the running cycle (null when none runs or no model is fed). */
  lastEstimate(): EstimateReport | null {
    const current = this.store.cycles.current();
    return current && this.latest && this.latest.json.cycle_id === current.id ? this.latest : null;
  }

  /** Estimates the cycle's duration, logs it, and warns when it cannot finish before its timeout. */
  private estimate(cycle: CycleRow, phase: 'start' | 'running', log: Logger): void {
    const monitor = this.options.capacity;
    if (!monitor) return;
    let report: EstimateReport;
    try {
      report = monitor.estimate(cycle, this.settings.cycleTimeoutSeconds, phase, this.clock.date());
    } catch (err) {
      log.warn({ err }, 'could not estimate the cycle duration');
      return;
    }
    const wasFitting = this.latest?.json.cycle_id !== cycle.id || this.latest.estimate.fits;
    this.latest = report;
    this.options.onEstimate?.(report);
    const e = report.estimate;
    const fields = {
      estimatedSeconds: Math.round(e.totalSeconds),
      remainingSeconds: Math.round(e.remainingSeconds),
      timeoutSeconds: e.timeoutSeconds,
      bottleneck: e.bottleneck,
      slowestMinerUid: e.slowestMiner?.uid ?? null,
      remainingEpisodes: e.remainingEpisodes,
    };
    if (!e.fits) {
      const now = this.clock.now();
      if (wasFitting || phase === 'start' || now - this.lastOverrunWarning >= OVERRUN_WARNING_INTERVAL_MS) {
        this.lastOverrunWarning = now;
        log.warn(fields, 'the cycle is estimated not to finish before its timeout');
      }
    } else if (phase === 'start') {
      log.info(fields, 'cycle duration estimated');
    }
  }

  /** Starts a new cycle at the current chain head and runs it to the end (or until `signal` aborts). */
  async runNew(signal?: AbortSignal): Promise<CycleOutcome> {
    const s = this.settings;
    const snapshot = await this.chain.snapshot();
    const discovery = discoverMiners(snapshot, {
      backendPrivateKey: s.backendPrivateKey,
      excludeHotkeys: s.excludeHotkeys,
      allowPrivateEndpoint: s.allowPrivateEndpoint ?? false,
      logger: this.log,
    });
    for (const skipped of discovery.skipped) {
      if (skipped.reason !== 'no commitment') this.log.info({ uid: skipped.uid, hotkey: skipped.hotkey, reason: skipped.reason }, 'neuron skipped');
    }
    this.store.miners.replaceAll([
      ...discovery.miners.map((m) => ({
        uid: m.uid,
        hotkey: m.hotkey,
        commitment: m.raw,
        repo: m.repo,
        revision: m.revision,
        endpoint: m.endpoint,
        commitBlock: m.commitBlock,
        status: 'active' as const,
        skipReason: null,
        lastSeenBlock: snapshot.block,
      })),
      ...discovery.skipped.map((m) => ({
        uid: m.uid,
        hotkey: m.hotkey,
        commitment: m.raw,
        repo: null,
        revision: null,
        endpoint: null,
        commitBlock: m.commitBlock,
        status: 'skipped' as const,
        skipReason: m.reason,
        lastSeenBlock: snapshot.block,
      })),
    ]);

    const cycle = this.store.cycles.start({ blockNumber: snapshot.block, blockHash: snapshot.blockHash, envIds: s.envIds, episodesPerEnv: s.episodesPerEnv });
    const log = this.log.child({ cycle: cycle.id, block: snapshot.block });
    if (discovery.miners.length === 0) {
      this.store.cycles.fail(cycle.id, 'No miners with commitments');
      log.warn({ skipped: discovery.skipped.length }, 'cycle failed: no miners with commitments');
      return { cycleId: cycle.id, status: 'failed', error: 'No miners with commitments' };
    }
    let tasks: ReturnType<typeof buildTaskSet>;
    try {
      tasks = buildTaskSet({
        miners: discovery.miners,
        envIds: s.envIds,
        episodesPerEnv: s.episodesPerEnv,
        blockHash: snapshot.blockHash,
        secret: this.store.settings.seedSecret(),
        randomization: s.randomization,
      });
      this.store.transaction(() => {
        this.store.cycles.setMinerCount(cycle.id, discovery.miners.length);
        this.store.cycles.saveMiners(
          cycle.id,
          discovery.miners.map((m) => ({ uid: m.uid, hotkey: m.hotkey, endpoint: m.endpoint, repo: m.repo, revision: m.revision, commitBlock: m.commitBlock })),
        );
        this.store.tasks.enqueue(cycle.id, tasks);
      });
    } catch (err) {
      // Never leave an empty cycle `running`: it would be "resumed" with nothing to wait for.
      const message = `Could not create the cycle's tasks: ${(err as Error).message}`;
      this.store.cycles.fail(cycle.id, message);
      log.error({ err }, message);
      return { cycleId: cycle.id, status: 'failed', error: message };
    }
    log.info({ miners: discovery.miners.length, envs: s.envIds.length, episodes: s.episodesPerEnv, tasks: tasks.length }, 'cycle started');
    this.estimate(cycle, 'start', log);
    return this.finish(cycle, signal);
  }

  /** Continues a cycle a previous process left running: its tasks and miners are already stored. */
  async resume(cycle: CycleRow, signal?: AbortSignal): Promise<CycleOutcome> {
    this.log.info({ cycle: cycle.id, block: cycle.blockNumber, stats: this.store.tasks.stats(cycle.id) }, 'resuming interrupted cycle');
    this.estimate(cycle, 'running', this.log.child({ cycle: cycle.id, block: cycle.blockNumber }));
    return this.finish(cycle, signal);
  }

  private async finish(cycle: CycleRow, signal?: AbortSignal): Promise<CycleOutcome> {
    const log = this.log.child({ cycle: cycle.id, block: cycle.blockNumber });
    try {
      const waited = await this.waitForTasks(cycle, signal);
      if (waited === 'interrupted') {
        log.info('cycle interrupted; it will resume on the next start');
        return { cycleId: cycle.id, status: 'interrupted' };
      }
      if (waited === 'timeout') {
        const message = 'Cycle timed out waiting for tasks';
        this.store.transaction(() => {
          this.store.tasks.cancelUnfinished(cycle.id, message);
          this.store.cycles.fail(cycle.id, message);
        });
        log.warn(message);
        return { cycleId: cycle.id, status: 'failed', error: message };
      }
      if (this.options.spotCheck) {
        try {
          await this.options.spotCheck.checkCycle(cycle.id);
        } catch (err) {
          // Our own failure (the checks never blame a miner for it): publish without them.
          log.warn({ err }, 'spot checks failed; publishing without them');
        }
      }
      return this.publish(cycle, log);
    } catch (err) {
      const message = (err as Error).message;
      this.store.cycles.fail(cycle.id, message);
      log.error({ err }, 'cycle failed');
      return { cycleId: cycle.id, status: 'failed', error: message };
    }
  }

  private waitForTasks(cycle: CycleRow, signal?: AbortSignal): Promise<'done' | 'timeout' | 'interrupted'> {
    const deadline = Date.parse(cycle.startedAt) + this.settings.cycleTimeoutSeconds * 1000;
    const log = this.log.child({ cycle: cycle.id, block: cycle.blockNumber });
    let lastEstimate = this.clock.now();
    return new Promise((resolve) => {
      let cancelTimer: Cancel | undefined;
      let settled = false;
      const finish = (result: 'done' | 'timeout' | 'interrupted') => {
        if (settled) return;
        settled = true;
        cancelTimer?.();
        unsubscribe();
        signal?.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const check = () => {
        if (settled) return;
        if (signal?.aborted) return finish('interrupted');
        if (this.store.tasks.isCycleDone(cycle.id)) return finish('done');
        if (this.clock.now() >= deadline) return finish('timeout');
      };
      // These run from timers and store notifications, where a throw would be an uncaught exception:
      // a store error (e.g. a busy database) is logged and the next housekeeping tick tries again.
      const guarded = (fn: () => void) => {
        try {
          fn();
        } catch (err) {
          this.log.warn({ err, cycle: cycle.id }, 'cycle housekeeping failed; retrying');
        }
      };
      const housekeeping = () => {
        if (settled) return;
        guarded(() => {
          this.store.tasks.reclaimStale(this.settings.staleTaskSeconds, this.settings.maxTaskAttempts);
          check();
        });
        const now = this.clock.now();
        if (!settled && now - lastEstimate >= this.settings.estimateIntervalMs) {
          lastEstimate = now;
          this.estimate(cycle, 'running', log);
        }
        if (!settled) cancelTimer = this.clock.setTimeout(housekeeping, this.settings.housekeepingMs);
      };
      const onAbort = () => finish('interrupted');
      // Completions wake the wait at once; the timer only drives reclaim and the deadline.
      const unsubscribe = this.store.tasks.onChange(() => setImmediate(() => guarded(check)));
      signal?.addEventListener('abort', onAbort);
      housekeeping();
    });
  }

  private publish(cycle: CycleRow, log: Logger): CycleOutcome {
    const stats = this.store.tasks.stats(cycle.id);
    const finished = this.store.tasks.finishedForCycle(cycle.id);
    const resultOf = (t: (typeof finished)[number]) => t.result as { success?: boolean; total_reward?: number; error?: string | null } | null;
    const attribution = attributeExecutorFaults(
      finished.map((t) => ({
        uid: t.minerUid,
        envId: t.envId,
        episodeIndex: t.episodeIndex,
        outcome:
          t.fault === 'executor' ? 'executor-fault' : t.fault === 'cancelled' ? 'not-run' : (resultOf(t)?.error ?? null) === null ? 'clean' : 'miner-error',
      })),
    );
    const charged = finished.filter((_, i) => attribution.charged.has(i));
    const verdict = assessCoverage({ totalTasks: stats.totalTasks, infraFailedTasks: stats.infraFailedTasks - charged.length }, this.settings.minCoverage);
    if (charged.length > 0) {
      log.warn(
        { charged: charged.length, uids: [...new Set(charged.map((t) => t.minerUid))] },
        'executor faults charged to miners: the same task instances ran cleanly for a strict majority of the other miners that ran them',
      );
    }
    if (!verdict.ok) {
      this.store.cycles.fail(cycle.id, verdict.message);
      log.warn({ stats }, verdict.message);
      return { cycleId: cycle.id, status: 'failed', error: verdict.message };
    }
    const envIds = cycle.envIds ?? [...this.settings.envIds];
    const episodesPerEnv = cycle.episodesPerEnv ?? this.settings.episodesPerEnv;
    const scoredTasks = finished.filter((t, i) => (t.fault !== 'executor' && t.fault !== 'cancelled') || attribution.charged.has(i));
    const aggregates = aggregateEpisodes(
      scoredTasks.map((t) => {
        const r = resultOf(t);
        if (t.fault === 'executor')
          return { uid: t.minerUid, envId: t.envId, success: false, totalReward: 0, error: `Charged to the miner: ${r?.error ?? 'executor fault'}` };
        return { uid: t.minerUid, envId: t.envId, success: r?.success === true, totalReward: r?.total_reward ?? 0, error: r?.error ?? null };
      }),
      envIds,
    );
    const miners = this.store.cycles.miners(cycle.id);
    const hotkeys = new Map(miners.map((m) => [m.uid, m.hotkey]));
    const scored = new Set(aggregates.map((a) => a.uid));
    // A failed spot check (with the zero-weight consequence) takes the miner out of this cycle's weights.
    const penalized = this.options.spotCheck?.penalized(cycle.id) ?? new Set<number>();
    if (penalized.size > 0) log.warn({ uids: [...penalized] }, 'spot-check mismatch: weight withheld this cycle');
    const result = computeWeights({
      environments: envIds,
      episodesPerEnv,
      miners: miners
        .filter((m) => scored.has(m.uid) && !penalized.has(m.uid))
        .map((m) => ({
          uid: m.uid,
          firstBlock: m.commitBlock,
          scores: Object.fromEntries(aggregates.filter((a) => a.uid === m.uid).map((a) => [a.envId, a.successRate])),
        })),
      params: this.settings.scoring,
    });
    const weights = Object.fromEntries(Object.entries(result.weights).map(([uid, w]) => [String(uid), w]));
    this.store.transaction(() => {
      this.store.results.save(cycle.id, {
        scores: aggregates.map((a) => ({
          uid: a.uid,
          hotkey: hotkeys.get(a.uid) ?? 'unknown',
          envId: a.envId,
          successRate: a.successRate,
          meanReward: a.meanReward,
          episodesCompleted: a.episodesCompleted,
          episodesFailed: a.episodesFailed,
        })),
        weights,
        weightsU16: result.weightsU16,
        blockNumber: cycle.blockNumber,
        points: Object.fromEntries(Object.entries(result.points).map(([uid, p]) => [String(uid), p])),
        explanation: { frontier: result.frontier, epsilons: result.epsilons, ...result.explanation },
      });
      this.store.cycles.complete(cycle.id);
    });
    log.info({ miners: scored.size, weights: result.weightsU16, coverage: verdict.coverage }, 'cycle completed: weights published');
    return { cycleId: cycle.id, status: 'completed', blockNumber: cycle.blockNumber, weights };
  }
}
