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
import { Worker } from 'node:worker_threads';
import { silentLogger, type Logger } from '../log.ts';
import { DEFAULT_EPISODE_SETTINGS, executorFault, type EpisodeOutcome, type EpisodeSettings, type ExecutorTask } from './types.ts';
import type { TaskSource } from './task-source.ts';
import { admits, defaultAdmission, nextLagFactor, type AdmissionSettings } from './admission.ts';
import type { FaultInjection, FromWorker, ToWorker, WorkerConfig, WorkerStats } from './worker-protocol.ts';

const BOOTSTRAP_URL = new URL('./worker-bootstrap.mjs', import.meta.url);
export const DEFAULT_MAX_CONCURRENT_PER_WORKER = 16;
/** The most episodes of one miner at once, whatever it declares. */
export const DEFAULT_MAX_EPISODES_PER_MINER = 16;
export const DEFAULT_BACKEND_URL = new URL('./sim-backend.ts', import.meta.url).href;

export interface ExecutorPoolOptions {
  source: TaskSource;
  /** Worker threads (default: one per core). */
  workers?: number;
  /** Most episodes each worker runs at once (default 16); admission control usually admits fewer. */
  maxConcurrentPerWorker?: number;
  /** Most episodes of one miner endpoint at once across the pool, whatever it declares (default 16). */
  maxEpisodesPerMiner?: number;
  /**
   * Treat every miner as declaring this capacity instead of asking its `/health` (an operator's
   * `kinitro eval --endpoint --concurrency N`, benchmarks). Still capped by `maxEpisodesPerMiner`.
   */
  assumeCapacity?: number;
  /** Admission-control overrides (tests, benchmarks). */
  admission?: Partial<AdmissionSettings>;
  /** Tasks per claim (default 10, the original's batch size; at most 100). */
  batchSize?: number;
  /** Wait after an empty claim (default 5000 ms). */
  pollIntervalMs?: number;
  /** Wait after a failed claim or report (default 5000 ms). */
  errorBackoffMs?: number;
  /** Lease renewal period for held tasks (default 60 s). */
  heartbeatIntervalMs?: number;
  /** Results per report call (default 32); a partial batch is sent after `reportDelayMs`. */
  reportBatchSize?: number;
  reportDelayMs?: number;
  settings?: Partial<EpisodeSettings>;
  /** Module exporting `createBackend` (default: the MuJoCo simulator). */
  backendUrl?: string;
  logger?: Logger;
  /** Called for every final outcome, in the main thread. */
  onOutcome?: (outcome: EpisodeOutcome, task: ExecutorTask) => void;
  /** Test-only fault injection. */
  faultInjection?: FaultInjection;
}

/** Counters the workers keep (summed over workers, including crashed incarnations). */
export interface WorkerCounters {
  steps: number;
  renderBatches: number;
  renderedScenes: number;
  /** Time spent in renderer calls (drawing and encoding images). */
  renderMs: number;
  /** Time the workers' event loops were busy (their CPU use, roughly). */
  workerActiveMs: number;
  /** Time spent in physics and in building observation JSON. */
  simMs: number;
  encodeMs: number;
  /** Time the workers' miner I/O threads were busy (HTTP to miners). */
  ioActiveMs: number;
}

/** What the pool has measured about one miner endpoint. */
export interface MinerMeasure {
  /** Declared `max_concurrent_episodes` (null: declares nothing; undefined: not asked yet). */
  declared: number | null | undefined;
  /** Episodes the pool allows it at once now. */
  limit: number;
  /** Smoothed miner time per `/act` (ms); null until measured. */
  latencyMs: number | null;
  /** Smoothed wall time per step of its episodes (ms); null until an episode finished. */
  stepMs: number | null;
  running: number;
  peak: number;
}

/** The inputs of the capacity model (src/cycle/capacity.ts) as this pool measures them. */
export interface PoolCapacityInputs {
  workers: number;
  maxPerWorker: number;
  maxPerMiner: number;
  /** Mean measured CPU per step of a worker and its miner I/O thread (ms); null until measured. */
  cpuPerStepMs: number | null;
  /** Every miner endpoint the pool has run, with what it measured. */
  miners: Map<string, MinerMeasure>;
}

export interface PoolStats extends WorkerCounters {
  workers: number;
  readyWorkers: number;
  running: number;
  queued: number;
  /** Episodes finished (final outcomes and executor faults). */
  episodes: number;
  successes: number;
  minerFaults: number;
  executorFaults: number;
  workerRestarts: number;
  /** Per worker: what its admission control reads now. */
  admission: { running: number; cpuPerStepMs: number | null; ioLagP99Ms: number | null; lagFactor: number }[];
}

function countersOf(stats: WorkerStats | null): WorkerCounters {
  return {
    steps: stats?.steps ?? 0,
    renderBatches: stats?.render.batches ?? 0,
    renderedScenes: stats?.render.scenes ?? 0,
    renderMs: stats?.render.renderMs ?? 0,
    workerActiveMs: stats?.activeMs ?? 0,
    simMs: stats?.phases.simMs ?? 0,
    encodeMs: stats?.phases.encodeMs ?? 0,
    ioActiveMs: stats?.ioActiveMs ?? 0,
  };
}

function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
  return {
    steps: a.steps + b.steps,
    renderBatches: a.renderBatches + b.renderBatches,
    renderedScenes: a.renderedScenes + b.renderedScenes,
    renderMs: a.renderMs + b.renderMs,
    workerActiveMs: a.workerActiveMs + b.workerActiveMs,
    simMs: a.simMs + b.simMs,
    encodeMs: a.encodeMs + b.encodeMs,
    ioActiveMs: a.ioActiveMs + b.ioActiveMs,
  };
}

interface QueuedTask {
  task: ExecutorTask;
  /** Run alone in a worker (it was in flight when a worker died). */
  isolate: boolean;
}

interface Slot {
  index: number;
  worker: Worker | null;
  ready: boolean;
  running: Map<string, ExecutorTask>;
  /** Running a suspect alone: nothing else is dispatched to this worker meanwhile. */
  isolated: boolean;
  consecutiveFailures: number;
  stats: WorkerStats | null;
  /** Counters of earlier (crashed) incarnations of this slot's worker. */
  retired: WorkerCounters;
  exited: Promise<void>;
  /** Admission back-off from the worker's I/O-thread delay (1 = none). */
  lagFactor: number;
  /** Endpoints whose capacity probe this worker is running. */
  probing: Set<string>;
  /** The worker's miner I/O thread's CPU per step (ms; smoothed), and the counters it is computed from. */
  ioPerStepMs: number | null;
  ioMark: { steps: number; activeMs: number };
}

/** Re-read a miner's declared capacity this often (it may change with a redeploy). */
const CAPACITY_TTL_MS = 10 * 60_000;
/** Queued tasks held back only by their miner's own limit, in claim batches, beyond which the pool stops claiming. */
const MAX_WAITING_ON_MINER_BATCHES = 4;

interface MinerState {
  declared: number | null | undefined;
  declaredAt: number;
  probing: boolean;
  latencyMs: number | null;
  /** Smoothed wall time of one step of its episodes (its latency plus our turnaround), ms. */
  stepMs: number | null;
  running: number;
  /** Most episodes it ever had running at once. */
  peak: number;
}

export class ExecutorPool {
  private readonly source: TaskSource;
  private readonly logger: Logger;
  private readonly settings: EpisodeSettings;
  private readonly maxConcurrent: number;
  private readonly maxPerMiner: number;
  private readonly batchSize: number;
  private readonly slots: Slot[] = [];
  private readonly queue: QueuedTask[] = [];
  private readonly miners = new Map<string, MinerState>();
  private readonly admission: AdmissionSettings;
  private unreported: EpisodeOutcome[] = [];
  private readonly counters = { episodes: 0, successes: 0, minerFaults: 0, executorFaults: 0, workerRestarts: 0 };
  private stopping = false;
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  private pumpDone: Promise<void> = Promise.resolve();
  private heartbeat: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private reporting: Promise<void> | null = null;
  private drainedWaiters: (() => void)[] = [];
  private fatal: Error | null = null;
  private drainDeadline = Infinity;
  private stopDone: Promise<void> | null = null;

  private constructor(private readonly options: ExecutorPoolOptions) {
    this.source = options.source;
    this.logger = options.logger ?? silentLogger;
    this.settings = { ...DEFAULT_EPISODE_SETTINGS, ...options.settings };
    this.maxConcurrent = options.maxConcurrentPerWorker ?? DEFAULT_MAX_CONCURRENT_PER_WORKER;
    this.maxPerMiner = options.maxEpisodesPerMiner ?? DEFAULT_MAX_EPISODES_PER_MINER;
    this.batchSize = Math.max(1, Math.min(100, options.batchSize ?? 10));
    this.admission = { ...defaultAdmission(this.settings.actTimeoutMs, this.maxConcurrent), ...options.admission };
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
      await pool.terminateAll();
      throw new Error(`no executor worker could start: ${((outcomes[0] as PromiseRejectedResult).reason as Error).message}`);
    }
    pool.heartbeat = setInterval(() => void pool.renewLeases(), options.heartbeatIntervalMs ?? 60_000);
    pool.heartbeat.unref();
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
    this.signal();
  }

  stats(): PoolStats {
    let totals = countersOf(null);
    for (const s of this.slots) totals = addCounters(totals, addCounters(s.retired, countersOf(s.stats)));
    return {
      workers: this.slots.length,
      readyWorkers: this.slots.filter((s) => s.ready).length,
      running: this.runningCount(),
      queued: this.queue.length,
      ...this.counters,
      ...totals,
      admission: this.slots.map((s) => ({
        running: s.running.size,
        cpuPerStepMs: s.stats?.cpuPerStepMs ?? null,
        ioLagP99Ms: s.stats?.ioLagP99Ms ?? null,
        lagFactor: s.lagFactor,
      })),
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
    this.drainDeadline = Math.min(this.drainDeadline, Date.now() + (options.drainTimeoutMs ?? 30_000));
    this.stopping = true;
    this.signal();
    this.stopDone ??= this.shutdown();
    return this.stopDone;
  }

  private async shutdown(): Promise<void> {
    await this.pumpDone;
    while (this.runningCount() > 0 && Date.now() < this.drainDeadline) {
      await this.nextEvent(Math.max(1, Math.min(1000, this.drainDeadline - Date.now())));
    }
    clearInterval(this.heartbeat);
    // From here on, results from workers are ignored: what is still running is abandoned.
    this.stopped = true;
    const abandoned = [...this.queue.map((q) => q.task.taskUuid), ...this.slots.flatMap((s) => [...s.running.keys()])];
    this.queue.length = 0;
    for (const s of this.slots) {
      s.running.clear();
      s.isolated = false;
    }
    await this.terminateAll();
    await this.flushReports(true);
    if (this.reportTimer) clearTimeout(this.reportTimer);
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
    let slot = this.slots[index];
    if (!slot) {
      slot = {
        index,
        worker: null,
        ready: false,
        running: new Map(),
        isolated: false,
        consecutiveFailures: 0,
        stats: null,
        retired: countersOf(null),
        exited: Promise.resolve(),
        lagFactor: 1,
        probing: new Set(),
        ioPerStepMs: null,
        ioMark: { steps: 0, activeMs: 0 },
      };
      this.slots[index] = slot;
    }
    const config: WorkerConfig = {
      workerIndex: index,
      backendUrl: this.options.backendUrl ?? DEFAULT_BACKEND_URL,
      settings: this.settings,
      maxConcurrent: this.maxConcurrent,
      ...(this.options.faultInjection ? { faultInjection: this.options.faultInjection } : {}),
    };
    const worker = new Worker(BOOTSTRAP_URL, { workerData: config, name: `kinitro-executor-${index}` });
    slot.worker = worker;
    const s = slot;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let lastError: Error | null = null;
      s.exited = new Promise<void>((exitResolve) => {
        worker.on('exit', (code) => {
          exitResolve();
          if (s.worker !== worker) return;
          this.onWorkerExit(s, code, lastError);
          if (!settled) {
            settled = true;
            reject(lastError ?? new Error(`worker exited with code ${code} before it was ready`));
          }
        });
      });
      worker.on('error', (err) => {
        lastError = err;
        this.logger.error({ err, worker: index }, 'executor worker error');
      });
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          s.ready = true;
          this.logger.debug({ worker: index, loadMs: Math.round(message.loadMs) }, 'executor worker ready');
          if (!settled) {
            settled = true;
            resolve();
          }
          this.signal();
        } else if (message.type === 'stats') {
          this.onStats(s, message.stats);
        } else if (message.type === 'results') {
          this.onStats(s, message.stats);
          s.consecutiveFailures = 0;
          this.onResults(s, message.results);
        } else if (message.type === 'capacity') {
          s.probing.delete(message.endpoint);
          const m = this.minerState(message.endpoint);
          m.probing = false;
          m.declared = message.capacity;
          m.declaredAt = Date.now();
          this.signal();
        }
      });
    });
  }

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
    for (const task of inFlight) this.releaseMinerSlot(task);
    for (const endpoint of slot.probing) this.minerState(endpoint).probing = false;
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
    const delay = wasReady && slot.consecutiveFailures === 1 ? 0 : Math.min(30_000, 250 * 2 ** Math.min(slot.consecutiveFailures, 7));
    setTimeout(() => {
      if (this.stopping) return;
      this.spawn(slot.index).catch((err: unknown) => this.logger.error({ err, worker: slot.index }, 'executor worker failed to restart'));
    }, delay).unref();
    this.signal();
  }

  private async terminateAll(): Promise<void> {
    await Promise.all(
      this.slots.map(async (s) => {
        const worker = s.worker;
        if (!worker) return;
        s.ready = false;
        const message: ToWorker = { type: 'shutdown' };
        worker.postMessage(message);
        const timer = setTimeout(() => void worker.terminate(), 5000);
        await s.exited;
        clearTimeout(timer);
        s.worker = null;
      }),
    );
  }

  // --------------------------------------------------------------------------------------------
  // claim / dispatch loop

  private runningCount(): number {
    let n = 0;
    for (const s of this.slots) n += s.running.size;
    return n;
  }

  /** Episodes the ready workers could take now (their current admission limits). */
  private capacity(): number {
    let n = 0;
    for (const s of this.slots) if (s.ready) n += Math.max(1, Math.min(this.maxConcurrent, Math.floor(this.maxConcurrent * s.lagFactor)));
    return n;
  }

  /**
   * Queued tasks that could start as soon as a worker admits them: per miner, no more than its limit
   * leaves room for. The rest wait on their own miner (one that declares nothing runs one episode at
   * a time) and must not stop the pool from claiming other miners' tasks behind them.
   */
  private placeableQueued(): number {
    const taken = new Map<string, number>();
    let n = 0;
    for (const q of this.queue) {
      if (q.isolate) {
        n += 1;
        continue;
      }
      const endpoint = q.task.minerEndpoint;
      const m = this.minerState(endpoint);
      const already = taken.get(endpoint) ?? 0;
      if (m.running + already < this.minerLimit(m)) {
        taken.set(endpoint, already + 1);
        n += 1;
      }
    }
    return n;
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
      const room = this.capacity() + this.batchSize - (this.runningCount() + placeable);
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
      if (waitMs > 0 || this.queue.length > 0) await this.nextEvent(waitMs > 0 ? waitMs : 60_000);
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
    const batches = new Map<Slot, { tasks: ExecutorTask[]; probe: string[] }>();
    // Within one pass, workers only fill up: a miner no worker admits now, or a suspect no idle worker
    // takes, stays out of this pass, and the others go ahead.
    const blockedMiners = new Set<string>();
    const waitingSuspects = new Set<QueuedTask>();
    for (;;) {
      // The next task: among those whose miner has room, the one whose miner runs the fewest (queue order breaks ties).
      let pick = -1;
      let pickRunning = Infinity;
      for (let i = 0; i < this.queue.length; i++) {
        const q = this.queue[i]!;
        if (waitingSuspects.has(q) || blockedMiners.has(q.task.minerEndpoint)) continue;
        const m = this.minerState(q.task.minerEndpoint);
        if (m.running >= this.minerLimit(m) || m.running >= pickRunning) continue;
        pick = i;
        pickRunning = m.running;
        if (pickRunning === 0) break;
      }
      if (pick < 0) break;
      const queued = this.queue[pick]!;
      const { task, isolate } = queued;
      const miner = this.minerState(task.minerEndpoint);
      let best: Slot | null = null;
      for (const s of this.slots) {
        if (!s.ready || s.isolated) continue;
        if (isolate ? s.running.size > 0 || batches.has(s) : !this.admitted(s, miner)) continue;
        if (!best || s.running.size < best.running.size) best = s;
      }
      if (!best) {
        if (isolate) waitingSuspects.add(queued);
        else blockedMiners.add(task.minerEndpoint);
        continue;
      }
      this.queue.splice(pick, 1);
      this.assign(best, task, isolate, miner, batches);
    }
    this.send(batches);
  }

  private assign(slot: Slot, task: ExecutorTask, isolate: boolean, miner: MinerState, batches: Map<Slot, { tasks: ExecutorTask[]; probe: string[] }>): void {
    slot.running.set(task.taskUuid, task);
    if (isolate) slot.isolated = true;
    miner.running += 1;
    if (miner.running > miner.peak) miner.peak = miner.running;
    const batch = batches.get(slot) ?? { tasks: [], probe: [] };
    batch.tasks.push(task);
    if (this.needsProbe(miner)) {
      miner.probing = true;
      slot.probing.add(task.minerEndpoint);
      batch.probe.push(task.minerEndpoint);
    }
    batches.set(slot, batch);
  }

  private send(batches: Map<Slot, { tasks: ExecutorTask[]; probe: string[] }>): void {
    for (const [slot, { tasks, probe }] of batches) {
      const message: ToWorker = { type: 'run', tasks, ...(probe.length > 0 ? { probe } : {}) };
      slot.worker!.postMessage(message);
    }
  }

  private minerState(endpoint: string): MinerState {
    let m = this.miners.get(endpoint);
    if (!m) {
      if (this.miners.size >= 4096) {
        // Endpoints come and go with commitments: forget idle ones rather than grow without bound.
        for (const [e, x] of this.miners) if (x.running === 0 && !x.probing) this.miners.delete(e);
      }
      m = { declared: undefined, declaredAt: 0, probing: false, latencyMs: null, stepMs: null, running: 0, peak: 0 };
      this.miners.set(endpoint, m);
    }
    return m;
  }

  /** Episodes a miner may have running now. */
  private minerLimit(m: MinerState): number {
    if (this.options.assumeCapacity !== undefined) return Math.max(1, Math.min(this.maxPerMiner, this.options.assumeCapacity));
    // Unknown or not declared: one at a time, as the original protocol implies.
    return Math.max(1, Math.min(this.maxPerMiner, m.declared ?? 1));
  }

  private needsProbe(m: MinerState): boolean {
    if (this.options.assumeCapacity !== undefined || m.probing) return false;
    return m.declared === undefined || Date.now() - m.declaredAt > CAPACITY_TTL_MS;
  }

  private admitted(slot: Slot, miner: MinerState): boolean {
    const latencies: (number | null)[] = [];
    for (const t of slot.running.values()) latencies.push(this.minerState(t.minerEndpoint).latencyMs);
    return admits(
      { cpuPerStepMs: slot.stats?.cpuPerStepMs ?? null, runningLatenciesMs: latencies, lagFactor: slot.lagFactor },
      miner.latencyMs,
      this.admission,
    );
  }

  private onStats(slot: Slot, stats: WorkerStats): void {
    if (!slot.stats || stats.steps < slot.ioMark.steps) slot.ioMark = { steps: stats.steps, activeMs: stats.ioActiveMs };
    const steps = stats.steps - slot.ioMark.steps;
    if (steps >= 20) {
      const perStep = Math.max(0, stats.ioActiveMs - slot.ioMark.activeMs) / steps;
      slot.ioPerStepMs = slot.ioPerStepMs === null ? perStep : 0.5 * slot.ioPerStepMs + 0.5 * perStep;
      slot.ioMark = { steps: stats.steps, activeMs: stats.ioActiveMs };
    }
    slot.stats = stats;
    slot.lagFactor = nextLagFactor(slot.lagFactor, stats.ioLagP99Ms, this.admission);
    for (const [endpoint, w] of Object.entries(stats.minerLatencyMs)) {
      const m = this.minerState(endpoint);
      // Smoothed, weighted by how many answers the window holds.
      const a = Math.min(0.8, w.n / 50);
      m.latencyMs = m.latencyMs === null ? w.meanMs : (1 - a) * m.latencyMs + a * w.meanMs;
    }
  }

  /** What the pool has measured, for the capacity model. */
  capacityInputs(): PoolCapacityInputs {
    const measured = this.slots.filter((s) => typeof s.stats?.cpuPerStepMs === 'number').map((s) => s.stats!.cpuPerStepMs! + (s.ioPerStepMs ?? 0));
    const miners = new Map<string, MinerMeasure>();
    for (const [endpoint, m] of this.miners)
      miners.set(endpoint, { declared: m.declared, limit: this.minerLimit(m), latencyMs: m.latencyMs, stepMs: m.stepMs, running: m.running, peak: m.peak });
    return {
      workers: this.slots.filter((s) => s.ready).length,
      maxPerWorker: this.maxConcurrent,
      maxPerMiner: this.maxPerMiner,
      cpuPerStepMs: measured.length > 0 ? measured.reduce((a, b) => a + b, 0) / measured.length : null,
      miners,
    };
  }

  private onResults(slot: Slot, results: EpisodeOutcome[]): void {
    if (this.stopped) return;
    for (const outcome of results) {
      const task = slot.running.get(outcome.taskUuid);
      if (!task) continue;
      slot.running.delete(outcome.taskUuid);
      this.releaseMinerSlot(task);
      this.finishTask(task, outcome);
    }
    if (slot.running.size === 0) slot.isolated = false;
    this.signal();
  }

  private releaseMinerSlot(task: ExecutorTask): void {
    const m = this.minerState(task.minerEndpoint);
    m.running = Math.max(0, m.running - 1);
  }

  private finishTask(task: ExecutorTask, outcome: EpisodeOutcome): void {
    this.counters.episodes += 1;
    if (outcome.stepsRun >= 5) {
      const t = outcome.timings;
      const stepMs = (t.simMs + t.renderMs + t.encodeMs + t.waitMs) / outcome.stepsRun;
      const m = this.minerState(task.minerEndpoint);
      m.stepMs = m.stepMs === null ? stepMs : 0.7 * m.stepMs + 0.3 * stepMs;
    }
    if (outcome.success) this.counters.successes += 1;
    if (outcome.fault === 'miner') this.counters.minerFaults += 1;
    if (outcome.fault === 'executor') this.counters.executorFaults += 1;
    this.unreported.push(outcome);
    try {
      this.options.onOutcome?.(outcome, task);
    } catch (err) {
      this.logger.warn({ err }, 'onOutcome callback failed');
    }
    this.scheduleReport();
  }

  // --------------------------------------------------------------------------------------------
  // reporting and leases

  private scheduleReport(): void {
    if (this.unreported.length >= (this.options.reportBatchSize ?? 32)) {
      void this.flushReports(false);
      return;
    }
    this.armReportTimer(this.options.reportDelayMs ?? 200);
  }

  /** Flushes after `ms` unless a flush is already scheduled. */
  private armReportTimer(ms: number, options: { unref?: boolean } = {}): void {
    if (this.reportTimer) return;
    this.reportTimer = setTimeout(() => {
      this.reportTimer = undefined;
      void this.flushReports(false);
    }, ms);
    if (options.unref) this.reportTimer.unref();
  }

  /** Sends buffered outcomes; on failure keeps them for the next attempt (or gives up when final). */
  private async flushReports(final: boolean): Promise<void> {
    while (this.reporting) await this.reporting;
    if (this.unreported.length === 0) {
      this.checkDrained();
      return;
    }
    if (this.reportTimer) {
      clearTimeout(this.reportTimer);
      this.reportTimer = undefined;
    }
    const batch = this.unreported;
    this.unreported = [];
    this.reporting = (async () => {
      try {
        const summary = await this.source.report(batch);
        if (summary.rejected > 0) this.logger.warn({ rejected: summary.rejected, errors: summary.errors.slice(0, 5) }, 'results rejected');
      } catch (err) {
        this.unreported = batch.concat(this.unreported);
        this.logger.warn({ err, n: batch.length }, 'reporting results failed; will retry');
        // A retry after a failed report does not keep the process alive on its own.
        if (!final) this.armReportTimer(this.options.errorBackoffMs ?? 5000, { unref: true });
      } finally {
        this.reporting = null;
      }
    })();
    await this.reporting;
    if (final && this.unreported.length > 0) {
      this.logger.warn({ n: this.unreported.length }, 'dropping unreported results at shutdown (their leases will expire)');
    }
    this.signal();
    this.checkDrained();
  }

  private async renewLeases(): Promise<void> {
    const held = [...this.queue.map((q) => q.task.taskUuid), ...this.slots.flatMap((s) => [...s.running.keys()]), ...this.unreported.map((o) => o.taskUuid)];
    if (held.length === 0) return;
    try {
      await this.source.renew(held);
    } catch (err) {
      this.logger.warn({ err, n: held.length }, 'renewing task leases failed');
    }
  }

  // --------------------------------------------------------------------------------------------
  // events

  /** Wakes everything waiting in `nextEvent` (a result arrived, a worker became ready, …). */
  private signal(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  private nextEvent(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  private isDrained(): boolean {
    return (
      this.fatal !== null ||
      ((this.source.exhausted?.() ?? false) && this.queue.length === 0 && this.runningCount() === 0 && this.unreported.length === 0 && !this.reporting)
    );
  }

  private checkDrained(): void {
    if (this.drainedWaiters.length > 0 && this.isDrained()) for (const w of this.drainedWaiters.splice(0)) w();
  }
}
