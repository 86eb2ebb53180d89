/**
 * What the pool knows about each miner endpoint: the capacity it declares, its measured latency and
 * step time, and the episodes it has running. The limits themselves are placement policy (placement.ts).
 */
import type { EpisodeOutcome } from './types.ts';
import type { WorkerStats } from './worker-protocol.ts';
import { minerLimit, type MinerRoom } from './placement.ts';

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

export interface MinerState {
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

export class MinerBook {
  private readonly miners = new Map<string, MinerState>();

  constructor(
    private readonly maxPerMiner: number,
    /** Every miner is treated as declaring this (see ExecutorPoolOptions.assumeCapacity). */
    readonly assumeCapacity: number | undefined,
  ) {}

  get(endpoint: string): MinerState {
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
  limit(m: MinerState): number {
    return minerLimit(m.declared, this.maxPerMiner, this.assumeCapacity);
  }

  room(endpoint: string): MinerRoom {
    const m = this.get(endpoint);
    return { running: m.running, limit: this.limit(m) };
  }

  /** One of its episodes ended (finished or lost with its worker). */
  release(endpoint: string): void {
    const m = this.get(endpoint);
    m.running = Math.max(0, m.running - 1);
  }

  /** A worker's window of `/act` latencies per miner. */
  recordLatencies(minerLatencyMs: WorkerStats['minerLatencyMs']): void {
    for (const [endpoint, w] of Object.entries(minerLatencyMs)) {
      const m = this.get(endpoint);
      // Smoothed, weighted by how many answers the window holds.
      const a = Math.min(0.8, w.n / 50);
      m.latencyMs = m.latencyMs === null ? w.meanMs : (1 - a) * m.latencyMs + a * w.meanMs;
    }
  }

  /** The wall time per step of one of its finished episodes (too short an episode says nothing). */
  recordEpisode(endpoint: string, outcome: EpisodeOutcome): void {
    if (outcome.stepsRun < 5) return;
    const t = outcome.timings;
    const stepMs = (t.simMs + t.renderMs + t.encodeMs + t.waitMs) / outcome.stepsRun;
    const m = this.get(endpoint);
    m.stepMs = m.stepMs === null ? stepMs : 0.7 * m.stepMs + 0.3 * stepMs;
  }

  /** Every miner endpoint the pool has run, with what it measured. */
  measures(): Map<string, MinerMeasure> {
    const out = new Map<string, MinerMeasure>();
    for (const [endpoint, m] of this.miners)
      out.set(endpoint, { declared: m.declared, limit: this.limit(m), latencyMs: m.latencyMs, stepMs: m.stepMs, running: m.running, peak: m.peak });
    return out;
  }
}
