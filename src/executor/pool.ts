/**
 * The executor pool (main thread): claims tasks from a TaskSource, hands them to worker threads (one
 * simulation backend each, many concurrent episodes per worker), renews leases while they run, and
 * reports results in batches.
 *
 * Failure taxonomy: a miner's failure comes back from the worker as a scored result. A worker that
 * dies takes its in-flight episodes with it and is restarted with back-off. Which episode killed it is
 * unknown, so its episodes become suspects and re-run one at a time, each alone in a worker: a suspect
 * that finishes is reported normally (its neighbours' crash costs it nothing), and one that crashes a
 * worker while alone is reported as an executor fault, which the source puts back for another
 * attempt within its retry budget and never scores. The main thread does no simulation and no miner
 * I/O, so it stays responsive whatever the miners do.
 *
 * How many episodes run at once is decided here, from measurements: per miner, what the miner
 * declares in `GET /health` (`max_concurrent_episodes`; one at a time when it declares nothing),
 * capped by `maxEpisodesPerMiner`; per worker, admission control from the worker's measured CPU per
 * step, its miners' latencies and its miner I/O thread's delay (admission.ts). Among queued tasks,
 * the miner with the fewest episodes running goes first, so a miner that declares a large capacity
 * cannot crowd out the others.
 */
import os from 'node:os';
import { silentLogger, type Logger } from '../log.ts';
import { systemClock, type Cancel, type Clock } from '../clock.ts';
import { DEFAULT_EPISODE_SETTINGS, executorFault, type EpisodeOutcome, type EpisodeSettings, type ExecutorTask } from './types.ts';
import type { TaskSource } from './task-source.ts';
import { defaultAdmission, type AdmissionSettings } from './admission.ts';
import type { WorkerConfig, WorkerStats } from './worker-protocol.ts';
import {
  addCounters,
  admissionStats,
  countersOf,
  meanCpuPerStepMs,
  newSlot,
  recordWorkerStats,
  restartDelayMs,
  runningTotal,
  sendRuns,
  startWorker,
  terminateWorkers,
  workerTotals,
  type RunBatches,
  type Slot,
  type WorkerEvents,
} from './pool-workers.ts';
import { chooseWorker, needsProbe, nextToPlace, placeableCount, workerAdmits, workersRoom, type QueuedTask } from './placement.ts';
import { MinerBook, type MinerState } from './pool-miners.ts';
import { ResultReporter } from './pool-reporting.ts';
import { Wakeups } from './wakeups.ts';
import {
  DEFAULT_BACKEND_URL,
  DEFAULT_MAX_CONCURRENT_PER_WORKER,
  DEFAULT_MAX_EPISODES_PER_MINER,
  type ExecutorPoolOptions,
  type PoolCapacityInputs,
  type PoolStats,
} from './pool-options.ts';

export * from './pool-options.ts';
export type { WorkerCounters } from './pool-workers.ts';
export type { MinerMeasure } from './pool-miners.ts';
/** Queued tasks held back only by their miner's own limit, in claim batches, beyond which the pool stops claiming. */
const MAX_WAITING_ON_MINER_BATCHES = 4;

export class ExecutorPool {
  private readonly source: TaskSource;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly settings: EpisodeSettings;
  private readonly maxConcurrent: number;
  private readonly maxPerMiner: number;
  private readonly batchSize: number;
  private readonly slots: Slot[] = [];
  private readonly queue: QueuedTask[] = [];
  private readonly miners: MinerBook;
  private readonly admission: AdmissionSettings;
  private readonly reporter: ResultReporter;
  private readonly counters = { episodes: 0, successes: 0, minerFaults: 0, executorFaults: 0, workerRestarts: 0 };
  private stopping = false;
  private stopped = false;
  private readonly wakeups: Wakeups;
  private pumpDone: Promise<void> = Promise.resolve();
  private stopHeartbeat: Cancel = () => {};
  private drainedWaiters: (() => void)[] = [];
  private fatal: Error | null = null;
  private drainDeadline = Infinity;
  private stopDone: Promise<void> | null = null;

  private constructor(private readonly options: ExecutorPoolOptions) {
    this.source = options.source;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.wakeups = new Wakeups(this.clock);
    this.settings = { ...DEFAULT_EPISODE_SETTINGS, ...options.settings };
    this.maxConcurrent = options.maxConcurrentPerWorker ?? DEFAULT_MAX_CONCURRENT_PER_WORKER;
    this.maxPerMiner = options.maxEpisodesPerMiner ?? DEFAULT_MAX_EPISODES_PER_MINER;
    this.batchSize = Math.max(1, Math.min(100, options.batchSize ?? 10));
    this.miners = new MinerBook(this.maxPerMiner, options.assumeCapacity);
    this.admission = { ...defaultAdmission(this.settings.actTimeoutMs, this.maxConcurrent), ...options.admission };
    this.reporter = new ResultReporter({
      source: this.source,
      logger: this.logger,
      clock: this.clock,
      reportBatchSize: options.reportBatchSize,
      reportDelayMs: options.reportDelayMs,
      errorBackoffMs: options.errorBackoffMs,
      onFlushed: () => {
        this.wakeups.signal();
        this.checkDrained();
      },
      onNothingToReport: () => this.checkDrained(),
    });
  }

  /** Starts the workers (resolving once all have loaded their simulator) and the claim loop. */
  static async start(options: ExecutorPoolOptions): Promise<ExecutorPool> {
    const pool = new ExecutorPool(options);
    const n = Math.max(1, options.workers ?? os.availableParallelism());
    const started = Array.from({ length: n }, (_, i) => pool.spawn(i));
    const outcomes = await Promise.allSettled(started);
    if (outcomes.every((o) => o.status === 'rejected')) {
      pool.stopping = true;
      pool.stopped = true;
      await terminateWorkers(pool.slots);
      throw new Error(`no executor worker could start: ${((outcomes[0] as PromiseRejectedResult).reason as Error).message}`);
    }
    pool.stopHeartbeat = pool.clock.setInterval(() => void pool.renewLeases(), options.heartbeatIntervalMs ?? 60_000, { unref: true });
    pool.pumpDone = pool.pump().catch((err: unknown) => {
      pool.fatal = err as Error;
      pool.logger.error({ err }, 'executor claim loop failed');
      pool.checkDrained();
    });
    return pool;
  }

  get executorId(): string {
    return this.source.executorId;
  }

  /** Claim now instead of waiting out the poll interval (e.g. a cycle was just created). */
  wake(): void {
    this.wakeups.signal();
  }

  stats(): PoolStats {
    return {
      workers: this.slots.length,
      readyWorkers: this.slots.filter((s) => s.ready).length,
      running: runningTotal(this.slots),
      queued: this.queue.length,
      ...this.counters,
      ...workerTotals(this.slots),
      admission: admissionStats(this.slots),
    };
  }

  /**
   * Resolves once a finite source (ListTaskSource) has nothing left and every outcome is reported.
   * Rejects if the claim loop failed.
   */
  whenDrained(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.drainedWaiters.push(() => (this.fatal ? reject(this.fatal) : resolve()));
    });
  }

  /**
   * Stops claiming, lets running episodes finish for up to `drainTimeoutMs` (default 30 s), reports
   * what finished, gives back what did not (queued or still running), and stops the workers.
   */
  stop(options: { drainTimeoutMs?: number } = {}): Promise<void> {
    // A later call (e.g. a second SIGINT) can only shorten the grace period of one in progress.
    this.drainDeadline = Math.min(this.drainDeadline, this.clock.now() + (options.drainTimeoutMs ?? 30_000));
    this.stopping = true;
    this.wakeups.signal();
    this.stopDone ??= this.shutdown();
    return this.stopDone;
  }

  private async shutdown(): Promise<void> {
    await this.pumpDone;
    while (runningTotal(this.slots) > 0 && this.clock.now() < this.drainDeadline) {
      await this.wakeups.next(Math.max(1, Math.min(1000, this.drainDeadline - this.clock.now())));
    }
    this.stopHeartbeat();
    // From here on, results from workers are ignored: what is still running is abandoned.
    this.stopped = true;
    const abandoned = [...this.queue.map((q) => q.task.taskUuid), ...this.slots.flatMap((s) => [...s.running.keys()])];
    this.queue.length = 0;
    for (const s of this.slots) {
      s.running.clear();
      s.isolated = false;
    }
    await terminateWorkers(this.slots);
    await this.reporter.flush(true);
    this.reporter.cancelTimer();
    if (abandoned.length > 0) {
      this.logger.info({ n: abandoned.length }, 'giving back unfinished tasks');
      try {
        await this.source.abandon(abandoned, 'Executor shut down before the episode finished');
      } catch (err) {
        this.logger.warn({ err }, 'could not give back unfinished tasks (their leases will expire)');
      }
    }
    for (const w of this.drainedWaiters.splice(0)) w();
  }

  // --------------------------------------------------------------------------------------------
  // workers

  private spawn(index: number): Promise<void> {
    const slot = (this.slots[index] ??= newSlot(index));
    const config: WorkerConfig = {
      workerIndex: index,
      backendUrl: this.options.backendUrl ?? DEFAULT_BACKEND_URL,
      settings: this.settings,
      maxConcurrent: this.maxConcurrent,
      ...(this.options.faultInjection ? { faultInjection: this.options.faultInjection } : {}),
    };
    return startWorker(slot, config, this.workerEvents, this.logger);
  }

  private readonly workerEvents: WorkerEvents = {
    ready: () => this.wakeups.signal(),
    stats: (slot, stats) => this.onStats(slot, stats),
    results: (slot, stats, results) => {
      this.onStats(slot, stats);
      slot.consecutiveFailures = 0;
      this.onResults(slot, results);
    },
    capacity: (slot, endpoint, capacity) => {
      slot.probing.delete(endpoint);
      const m = this.miners.get(endpoint);
      m.probing = false;
      m.declared = capacity;
      m.declaredAt = this.clock.now();
      this.wakeups.signal();
    },
    exit: (slot, code, error) => this.onWorkerExit(slot, code, error),
  };

  private onWorkerExit(slot: Slot, code: number, error: Error | null): void {
    const wasReady = slot.ready;
    slot.ready = false;
    slot.worker = null;
    slot.retired = addCounters(slot.retired, countersOf(slot.stats));
    slot.stats = null;
    if (this.stopped) return;
    const reason = error ? `${error.name}: ${error.message}` : `exit code ${code}`;
    const inFlight = [...slot.running.values()];
    const culprit = slot.isolated || inFlight.length === 1;
    slot.running.clear();
    slot.isolated = false;
    for (const task of inFlight) this.miners.release(task.minerEndpoint);
    for (const endpoint of slot.probing) this.miners.get(endpoint).probing = false;
    slot.probing.clear();
    if (inFlight.length > 0) {
      this.logger.warn(
        { worker: slot.index, reason, inFlight: inFlight.length },
        culprit ? 'executor worker died running one episode; reporting an executor fault' : 'executor worker died; re-running its episodes one at a time',
      );
    }
    if (culprit) {
      for (const task of inFlight) this.finishTask(task, executorFault(task.taskUuid, `Executor worker crashed (${reason}) during the episode`));
    } else {
      this.queue.unshift(...inFlight.map((task) => ({ task, isolate: true })));
    }
    if (this.stopping) return;
    slot.consecutiveFailures += 1;
    this.counters.workerRestarts += 1;
    const delay = restartDelayMs(wasReady, slot.consecutiveFailures);
    this.clock.setTimeout(
      () => {
        if (this.stopping) return;
        this.spawn(slot.index).catch((err: unknown) => this.logger.error({ err, worker: slot.index }, 'executor worker failed to restart'));
      },
      delay,
      { unref: true },
    );
    this.wakeups.signal();
  }

  // --------------------------------------------------------------------------------------------
  // claim / dispatch loop

  /** Queued tasks that could start as soon as a worker admits them (placement.ts). */
  private placeableQueued(): number {
    return placeableCount(this.queue, (endpoint) => this.miners.room(endpoint));
  }

  private async pump(): Promise<void> {
    while (!this.stopping) {
      let waitMs = 60_000;
      let claimed = false;
      // Claim while too few queued tasks can start; tasks held back only by their miner's own limit
      // do not count (head-of-line blocking: a cycle's tasks interleave miners, and a miner that runs
      // one episode at a time would otherwise fill the queue and starve the miners behind it), up to
      // a bound on such tasks so one executor does not hoard a slow miner's share of the cycle.
      const placeable = this.placeableQueued();
      const waitingOnMiner = this.queue.length - placeable;
      const room = workersRoom(this.slots, this.maxConcurrent) + this.batchSize - (runningTotal(this.slots) + placeable);
      const exhausted = this.source.exhausted?.() ?? false;
      if (room > 0 && placeable < this.batchSize && waitingOnMiner < MAX_WAITING_ON_MINER_BATCHES * this.batchSize && !exhausted) {
        try {
          const tasks = await this.source.claim(Math.min(this.batchSize, room));
          this.queue.push(...tasks.map((task) => ({ task, isolate: false })));
          if (this.stopping) break;
          if (tasks.length === 0) waitMs = this.options.pollIntervalMs ?? 5000;
          else {
            waitMs = 0;
            claimed = true;
          }
        } catch (err) {
          this.logger.warn({ err }, 'claiming tasks failed; backing off');
          waitMs = this.options.errorBackoffMs ?? 5000;
        }
      }
      this.dispatch();
      this.checkDrained();
      // Something was claimed: see at once whether more may be (the conditions above end it).
      if (claimed) continue;
      if (waitMs > 0 || this.queue.length > 0) await this.wakeups.next(waitMs > 0 ? waitMs : 60_000);
    }
  }

  /**
   * Sends queued tasks to workers that admit them, respecting each miner's limit (the miner with the
   * fewest episodes running goes first); suspects go only to an idle worker, which then takes nothing
   * else until they finish. A miner whose capacity is unknown gets one episode, whose worker reads
   * its `/health` first.
   */
  private dispatch(): void {
    if (this.queue.length === 0) return;
    const batches: RunBatches = new Map();
    // Within one pass, workers only fill up: a miner no worker admits now, or a suspect no idle worker
    // takes, stays out of this pass, and the others go ahead.
    const blockedMiners = new Set<string>();
    const waitingSuspects = new Set<QueuedTask>();
    for (;;) {
      // The next task: among those whose miner has room, the one whose miner runs the fewest (queue order breaks ties).
      const pick = nextToPlace(
        this.queue,
        (q) => waitingSuspects.has(q) || blockedMiners.has(q.task.minerEndpoint),
        (endpoint) => this.miners.room(endpoint),
      );
      if (pick < 0) break;
      const queued = this.queue[pick]!;
      const { task, isolate } = queued;
      const miner = this.miners.get(task.minerEndpoint);
      const best = chooseWorker(
        this.slots,
        isolate,
        (s) => workerAdmits(s, miner.latencyMs, (endpoint) => this.miners.get(endpoint).latencyMs, this.admission),
        (s) => batches.has(s),
      );
      if (!best) {
        if (isolate) waitingSuspects.add(queued);
        else blockedMiners.add(task.minerEndpoint);
        continue;
      }
      this.queue.splice(pick, 1);
      this.assign(best, task, isolate, miner, batches);
    }
    sendRuns(batches);
  }

  private assign(slot: Slot, task: ExecutorTask, isolate: boolean, miner: MinerState, batches: RunBatches): void {
    slot.running.set(task.taskUuid, task);
    if (isolate) slot.isolated = true;
    miner.running += 1;
    if (miner.running > miner.peak) miner.peak = miner.running;
    const batch = batches.get(slot) ?? { tasks: [], probe: [] };
    batch.tasks.push(task);
    if (needsProbe(miner, this.miners.assumeCapacity, this.clock.now())) {
      miner.probing = true;
      slot.probing.add(task.minerEndpoint);
      batch.probe.push(task.minerEndpoint);
    }
    batches.set(slot, batch);
  }

  private onStats(slot: Slot, stats: WorkerStats): void {
    recordWorkerStats(slot, stats, this.admission);
    this.miners.recordLatencies(stats.minerLatencyMs);
  }

  /** What the pool has measured, for the capacity model. */
  capacityInputs(): PoolCapacityInputs {
    return {
      workers: this.slots.filter((s) => s.ready).length,
      maxPerWorker: this.maxConcurrent,
      maxPerMiner: this.maxPerMiner,
      cpuPerStepMs: meanCpuPerStepMs(this.slots),
      miners: this.miners.measures(),
    };
  }

  private onResults(slot: Slot, results: EpisodeOutcome[]): void {
    if (this.stopped) return;
    for (const outcome of results) {
      const task = slot.running.get(outcome.taskUuid);
      if (!task) continue;
      slot.running.delete(outcome.taskUuid);
      this.miners.release(task.minerEndpoint);
      this.finishTask(task, outcome);
    }
    if (slot.running.size === 0) slot.isolated = false;
    this.wakeups.signal();
  }

  private finishTask(task: ExecutorTask, outcome: EpisodeOutcome): void {
    this.counters.episodes += 1;
    this.miners.recordEpisode(task.minerEndpoint, outcome);
    if (outcome.success) this.counters.successes += 1;
    if (outcome.fault === 'miner') this.counters.minerFaults += 1;
    if (outcome.fault === 'executor') this.counters.executorFaults += 1;
    this.reporter.add(outcome);
    try {
      this.options.onOutcome?.(outcome, task);
    } catch (err) {
      this.logger.warn({ err }, 'onOutcome callback failed');
    }
    this.reporter.schedule();
  }

  // --------------------------------------------------------------------------------------------
  // leases (reporting: pool-reporting.ts)

  private async renewLeases(): Promise<void> {
    const held = [...this.queue.map((q) => q.task.taskUuid), ...this.slots.flatMap((s) => [...s.running.keys()]), ...this.reporter.pendingTaskUuids()];
    if (held.length === 0) return;
    try {
      await this.source.renew(held);
    } catch (err) {
      this.logger.warn({ err, n: held.length }, 'renewing task leases failed');
    }
  }

  // --------------------------------------------------------------------------------------------
  // drained

  private isDrained(): boolean {
    return this.fatal !== null || ((this.source.exhausted?.() ?? false) && this.queue.length === 0 && runningTotal(this.slots) === 0 && this.reporter.idle());
  }

  private checkDrained(): void {
    if (this.drainedWaiters.length > 0 && this.isDrained()) for (const w of this.drainedWaiters.splice(0)) w();
  }
}
