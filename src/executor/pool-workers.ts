/**
 * The pool's worker threads: one slot per worker (surviving its restarts), starting a worker and
 * routing its messages, stopping them all, and the counters a slot keeps across incarnations. What a
 * worker's messages mean for tasks and miners is the pool's business (pool.ts).
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import { nextLagFactor, type AdmissionSettings } from './admission.ts';
import type { EpisodeOutcome, ExecutorTask } from './types.ts';
import type { FromWorker, ToWorker, WorkerConfig, WorkerStats } from './worker-protocol.ts';
import type { PoolStats } from './pool-options.ts';

const BOOTSTRAP_URL = new URL('./worker-bootstrap.mjs', import.meta.url);

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

export function countersOf(stats: WorkerStats | null): WorkerCounters {
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

export function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
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

export interface Slot {
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

export function newSlot(index: number): Slot {
  return {
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
}

/** What a slot's current worker reports; `exit` only for the slot's current worker. */
export interface WorkerEvents {
  ready(slot: Slot): void;
  stats(slot: Slot, stats: WorkerStats): void;
  results(slot: Slot, stats: WorkerStats, results: EpisodeOutcome[]): void;
  capacity(slot: Slot, endpoint: string, capacity: number | null): void;
  exit(slot: Slot, code: number, error: Error | null): void;
}

/** Starts `slot`'s worker; resolves once it has loaded its simulator, rejects if it exits before. */
export function startWorker(slot: Slot, config: WorkerConfig, events: WorkerEvents, logger: Logger): Promise<void> {
  const index = slot.index;
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
        events.exit(s, code, lastError);
        if (!settled) {
          settled = true;
          reject(lastError ?? new Error(`worker exited with code ${code} before it was ready`));
        }
      });
    });
    worker.on('error', (err) => {
      lastError = err;
      logger.error({ err, worker: index }, 'executor worker error');
    });
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        s.ready = true;
        logger.debug({ worker: index, loadMs: Math.round(message.loadMs) }, 'executor worker ready');
        if (!settled) {
          settled = true;
          resolve();
        }
        events.ready(s);
      } else if (message.type === 'stats') {
        events.stats(s, message.stats);
      } else if (message.type === 'results') {
        events.results(s, message.stats, message.results);
      } else if (message.type === 'capacity') {
        events.capacity(s, message.endpoint, message.capacity);
      }
    });
  });
}

/** Asks every worker to shut down, terminating one that has not exited within 5 s. */
export async function terminateWorkers(slots: readonly Slot[]): Promise<void> {
  await Promise.all(
    slots.map(async (s) => {
      const worker = s.worker;
      if (!worker) return;
      s.ready = false;
      const message: ToWorker = { type: 'shutdown' };
      worker.postMessage(message);
      // Real time, not the pool's clock: this is a grace period for an OS thread to exit.
      const timer = setTimeout(() => void worker.terminate(), 5000);
      await s.exited;
      clearTimeout(timer);
      s.worker = null;
    }),
  );
}

/** Back-off before restarting a worker that died: none after a first failure of a worker that was running. */
export function restartDelayMs(wasReady: boolean, consecutiveFailures: number): number {
  return wasReady && consecutiveFailures === 1 ? 0 : Math.min(30_000, 250 * 2 ** Math.min(consecutiveFailures, 7));
}

/** Takes in a worker's periodic stats: its miner I/O thread's CPU per step (smoothed) and its admission back-off. */
export function recordWorkerStats(slot: Slot, stats: WorkerStats, admission: AdmissionSettings): void {
  if (!slot.stats || stats.steps < slot.ioMark.steps) slot.ioMark = { steps: stats.steps, activeMs: stats.ioActiveMs };
  const steps = stats.steps - slot.ioMark.steps;
  if (steps >= 20) {
    const perStep = Math.max(0, stats.ioActiveMs - slot.ioMark.activeMs) / steps;
    slot.ioPerStepMs = slot.ioPerStepMs === null ? perStep : 0.5 * slot.ioPerStepMs + 0.5 * perStep;
    slot.ioMark = { steps: stats.steps, activeMs: stats.ioActiveMs };
  }
  slot.stats = stats;
  slot.lagFactor = nextLagFactor(slot.lagFactor, stats.ioLagP99Ms, admission);
}

/** The tasks (and the miners whose capacity to read first) each worker is sent in one dispatch pass. */
export type RunBatches = Map<Slot, { tasks: ExecutorTask[]; probe: string[] }>;

export function sendRuns(batches: RunBatches): void {
  for (const [slot, { tasks, probe }] of batches) {
    const message: ToWorker = { type: 'run', tasks, ...(probe.length > 0 ? { probe } : {}) };
    slot.worker!.postMessage(message);
  }
}

/** The workers' counters, summed over slots and their crashed incarnations. */
export function workerTotals(slots: readonly Slot[]): WorkerCounters {
  let totals = countersOf(null);
  for (const s of slots) totals = addCounters(totals, addCounters(s.retired, countersOf(s.stats)));
  return totals;
}

/** Episodes running across the workers. */
export function runningTotal(slots: readonly Slot[]): number {
  let n = 0;
  for (const s of slots) n += s.running.size;
  return n;
}

/** Each worker's admission figures, for `PoolStats.admission`. */
export function admissionStats(slots: readonly Slot[]): PoolStats['admission'] {
  return slots.map((s) => ({
    running: s.running.size,
    cpuPerStepMs: s.stats?.cpuPerStepMs ?? null,
    ioLagP99Ms: s.stats?.ioLagP99Ms ?? null,
    lagFactor: s.lagFactor,
  }));
}

/** Mean measured CPU per step of a worker and its miner I/O thread (ms); null until measured. */
export function meanCpuPerStepMs(slots: readonly Slot[]): number | null {
  const measured = slots.filter((s) => typeof s.stats?.cpuPerStepMs === 'number').map((s) => s.stats!.cpuPerStepMs! + (s.ioPerStepMs ?? 0));
  return measured.length > 0 ? measured.reduce((a, b) => a + b, 0) / measured.length : null;
}
