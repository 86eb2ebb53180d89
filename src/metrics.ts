/**
 * Prometheus metrics of the appliance (prom-client), served at `GET /metrics`. Task counts are read
 * from the store when scraped; the executor and scheduler report events as they happen.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from './store/index.ts';
import { systemClock, type Clock } from './clock.ts';

export interface EpisodeSample {
  envId: string;
  durationSeconds: number;
  steps: number;
  /** Mean and max action latency of the episode, milliseconds. */
  meanActionLatencyMs?: number;
  success: boolean;
  /** 'miner' (scored failure), 'executor' (retried) or null (no fault). */
  fault: 'miner' | 'executor' | null;
}

/** Evaluated env steps per second over a sliding window. */
class StepRate {
  private readonly buckets: { at: number; steps: number }[] = [];
  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 10_000,
  ) {}
  add(steps: number, now = this.clock.now()): void {
    this.buckets.push({ at: now, steps });
    this.prune(now);
  }
  rate(now = this.clock.now()): number {
    this.prune(now);
    const total = this.buckets.reduce((a, b) => a + b.steps, 0);
    return total / (this.windowMs / 1000);
  }
  private prune(now: number): void {
    while (this.buckets.length > 0 && this.buckets[0]!.at < now - this.windowMs) this.buckets.shift();
  }
}

export class ApplianceMetrics {
  readonly registry = new Registry();
  private readonly steps: StepRate;
  readonly cycles: Counter<'outcome'>;
  readonly episodes: Counter<'env_id' | 'outcome'>;
  readonly episodeDuration: Histogram<'env_id'>;
  readonly actionLatency: Histogram;
  readonly weightsPublished: Counter;
  readonly weightSubmissions: Counter<'outcome'>;
  readonly cycleEstimatedSeconds: Gauge;
  readonly cycleOverrunExpected: Gauge;

  /** `clock` times the steps-per-second window (default: the system clock). */
  constructor(store: Store | null, options: { defaultMetrics?: boolean; clock?: Clock } = {}) {
    this.steps = new StepRate(options.clock ?? systemClock);
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'kinitro_process_' });
    this.cycles = new Counter({ name: 'kinitro_cycles_total', help: 'Evaluation cycles by outcome', labelNames: ['outcome'], registers });
    this.episodes = new Counter({
      name: 'kinitro_episodes_total',
      help: 'Episodes run by environment and outcome',
      labelNames: ['env_id', 'outcome'],
      registers,
    });
    this.episodeDuration = new Histogram({
      name: 'kinitro_episode_duration_seconds',
      help: 'Wall time of an episode',
      labelNames: ['env_id'],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.actionLatency = new Histogram({
      name: 'kinitro_action_latency_seconds',
      help: 'Mean miner /act latency per episode',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5],
      registers,
    });
    this.weightsPublished = new Counter({ name: 'kinitro_weights_published_total', help: 'Weight sets published by completed cycles', registers });
    this.weightSubmissions = new Counter({
      name: 'kinitro_weight_submissions_total',
      help: 'Chain weight submissions by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.cycleEstimatedSeconds = new Gauge({
      name: 'kinitro_cycle_estimated_seconds',
      help: 'Estimated total duration of the running cycle (capacity model), seconds',
      registers,
    });
    this.cycleOverrunExpected = new Gauge({
      name: 'kinitro_cycle_overrun_expected',
      help: 'Whether the running cycle is estimated to miss its timeout (1) or not (0)',
      registers,
    });
    const steps = this.steps;
    new Gauge({
      name: 'kinitro_steps_per_second',
      help: 'Evaluated environment steps per second (10 s window)',
      registers,
      collect() {
        this.set(steps.rate());
      },
    });
    if (store) {
      new Gauge({
        name: 'kinitro_tasks',
        help: 'Tasks in the pool by status (whole pool)',
        labelNames: ['status'],
        registers,
        collect() {
          for (const [status, n] of Object.entries(store.tasks.counts(null))) this.set({ status }, n);
        },
      });
    }
  }

  recordEpisode(e: EpisodeSample): void {
    const outcome = e.fault === 'executor' ? 'executor_fault' : e.success ? 'success' : e.fault === 'miner' ? 'miner_fault' : 'failure';
    this.episodes.inc({ env_id: e.envId, outcome });
    this.episodeDuration.observe({ env_id: e.envId }, e.durationSeconds);
    if (e.meanActionLatencyMs !== undefined) this.actionLatency.observe(e.meanActionLatencyMs / 1000);
    this.steps.add(e.steps);
  }

  /** Steps evaluated recently (per-step progress, so the rate is smooth even with long episodes). */
  recordSteps(steps: number): void {
    this.steps.add(steps);
  }

  /** The capacity model's latest estimate of the running cycle. */
  recordCycleEstimate(totalSeconds: number, fits: boolean): void {
    this.cycleEstimatedSeconds.set(totalSeconds);
    this.cycleOverrunExpected.set(fits ? 0 : 1);
  }

  stepsPerSecond(): number {
    return this.steps.rate();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
