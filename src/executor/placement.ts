/**
 * The pool's placement policy, as pure functions of what the pool knows: which queued task goes next,
 * to which worker, and how many episodes a miner may have running. No I/O and no state of its own;
 * the pool (pool.ts) applies the decisions.
 */
import type { ExecutorTask } from './types.ts';
import { admits, type AdmissionSettings } from './admission.ts';

/** Re-read a miner's declared capacity this often (it may change with a redeploy). */
export const CAPACITY_TTL_MS = 10 * 60_000;

export interface QueuedTask {
  task: ExecutorTask;
  /** Run alone in a worker (it was in flight when a worker died). */
  isolate: boolean;
}

/** A miner as placement sees it: episodes running now and how many it may have. */
export interface MinerRoom {
  running: number;
  limit: number;
}

/** A worker as placement sees it. */
export interface PlacementSlot {
  ready: boolean;
  /** Running a suspect alone: takes nothing else meanwhile. */
  isolated: boolean;
  running: { readonly size: number };
}

/**
 * Episodes a miner may have running now: what it declares (unknown or not declared: one at a time, as
 * the original protocol implies), or what the operator assumes for every miner, capped by `maxPerMiner`.
 */
export function minerLimit(declared: number | null | undefined, maxPerMiner: number, assumeCapacity: number | undefined): number {
  if (assumeCapacity !== undefined) return Math.max(1, Math.min(maxPerMiner, assumeCapacity));
  return Math.max(1, Math.min(maxPerMiner, declared ?? 1));
}

/** Whether a miner's declared capacity must be (re-)read before or with its next episode. */
export function needsProbe(
  m: { declared: number | null | undefined; declaredAt: number; probing: boolean },
  assumeCapacity: number | undefined,
  nowMs: number,
): boolean {
  if (assumeCapacity !== undefined || m.probing) return false;
  return m.declared === undefined || nowMs - m.declaredAt > CAPACITY_TTL_MS;
}

/**
 * Queued tasks that could start as soon as a worker admits them: per miner, no more than its limit
 * leaves room for. The rest wait on their own miner (one that declares nothing runs one episode at
 * a time) and must not stop the pool from claiming other miners' tasks behind them.
 */
export function placeableCount(queue: readonly QueuedTask[], miner: (endpoint: string) => MinerRoom): number {
  const taken = new Map<string, number>();
  let n = 0;
  for (const q of queue) {
    if (q.isolate) {
      n += 1;
      continue;
    }
    const endpoint = q.task.minerEndpoint;
    const m = miner(endpoint);
    const already = taken.get(endpoint) ?? 0;
    if (m.running + already < m.limit) {
      taken.set(endpoint, already + 1);
      n += 1;
    }
  }
  return n;
}

/**
 * The index of the next task to place: among those not `skipped` whose miner has room, the one whose
 * miner runs the fewest (queue order breaks ties), so a miner that declares a large capacity cannot
 * crowd out the others; -1 when there is none.
 */
export function nextToPlace(queue: readonly QueuedTask[], skipped: (q: QueuedTask) => boolean, miner: (endpoint: string) => MinerRoom): number {
  let pick = -1;
  let pickRunning = Infinity;
  for (let i = 0; i < queue.length; i++) {
    const q = queue[i]!;
    if (skipped(q)) continue;
    const m = miner(q.task.minerEndpoint);
    if (m.running >= m.limit || m.running >= pickRunning) continue;
    pick = i;
    pickRunning = m.running;
    if (pickRunning === 0) break;
  }
  return pick;
}

/**
 * The worker for a task: the least-loaded ready worker that is not running a suspect. A suspect
 * (`isolate`) goes only to an idle worker given nothing else in this pass (`takenThisPass`); any other
 * task only to a worker whose admission control `admits` it. Null: no worker takes it now.
 */
export function chooseWorker<S extends PlacementSlot>(
  slots: readonly S[],
  isolate: boolean,
  admits: (slot: S) => boolean,
  takenThisPass: (slot: S) => boolean,
): S | null {
  let best: S | null = null;
  for (const s of slots) {
    if (!s.ready || s.isolated) continue;
    if (isolate ? s.running.size > 0 || takenThisPass(s) : !admits(s)) continue;
    if (!best || s.running.size < best.running.size) best = s;
  }
  return best;
}

/** Episodes the ready workers could take now: each its share of `maxConcurrent` after its admission back-off, at least one. */
export function workersRoom(slots: readonly { ready: boolean; lagFactor: number }[], maxConcurrent: number): number {
  let n = 0;
  for (const s of slots) if (s.ready) n += Math.max(1, Math.min(maxConcurrent, Math.floor(maxConcurrent * s.lagFactor)));
  return n;
}

/**
 * Whether a worker's admission control (admission.ts) takes one more episode of a miner whose `/act`
 * takes `latencyMs`, given the latencies of the miners it is already running (`latencyOf`).
 */
export function workerAdmits(
  slot: { running: ReadonlyMap<string, ExecutorTask>; stats: { cpuPerStepMs: number | null } | null; lagFactor: number },
  latencyMs: number | null,
  latencyOf: (endpoint: string) => number | null,
  admission: AdmissionSettings,
): boolean {
  const latencies: (number | null)[] = [];
  for (const t of slot.running.values()) latencies.push(latencyOf(t.minerEndpoint));
  return admits({ cpuPerStepMs: slot.stats?.cpuPerStepMs ?? null, runningLatenciesMs: latencies, lagFactor: slot.lagFactor }, latencyMs, admission);
}
