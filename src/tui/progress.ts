/**
 * Completion rate and ETA of the running cycle from successive task counts. The rate is measured
 * over a sliding window of recent observations, so it follows the current pace (executors warming
 * up, a slow miner finishing last) instead of averaging over the whole cycle; until the window spans
 * a few seconds it falls back to "done since the cycle started".
 */
export interface ProgressSample {
  atMs: number;
  done: number;
}

const MIN_WINDOW_MS = 5000;

export class ProgressTracker {
  private cycleId: number | null = null;
  private startedMs: number | null = null;
  private samples: ProgressSample[] = [];

  constructor(private readonly windowMs = 60_000) {}

  observe(cycleId: number, startedMs: number | null, done: number, atMs: number): void {
    if (cycleId !== this.cycleId) {
      this.cycleId = cycleId;
      this.samples = [];
    }
    this.startedMs = startedMs;
    const last = this.samples[this.samples.length - 1];
    if (last && atMs <= last.atMs) {
      last.done = Math.max(last.done, done);
      return;
    }
    this.samples.push({ atMs, done });
    const horizon = atMs - this.windowMs;
    // Keep one sample at or before the horizon, so the window always spans windowMs when it can.
    while (this.samples.length > 2 && this.samples[1]!.atMs <= horizon) this.samples.shift();
  }

  /** Tasks finished per second for `cycleId`, or null when unknown. */
  rate(cycleId: number): number | null {
    if (cycleId !== this.cycleId || this.samples.length === 0) return null;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    // A window of a few seconds is a measurement, even of no progress at all (a stall reads 0).
    if (this.samples.length >= 2 && last.atMs - first.atMs >= MIN_WINDOW_MS) {
      return Math.max(0, last.done - first.done) / ((last.atMs - first.atMs) / 1000);
    }
    if (this.startedMs !== null && last.done > 0 && last.atMs - this.startedMs >= 1000) {
      return last.done / ((last.atMs - this.startedMs) / 1000);
    }
    return null;
  }

  /** Seconds left for `remaining` tasks at the measured rate, or null. */
  eta(cycleId: number, remaining: number): number | null {
    if (remaining <= 0) return 0;
    const r = this.rate(cycleId);
    return r && r > 0 ? remaining / r : null;
  }
}
