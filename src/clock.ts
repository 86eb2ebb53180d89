/**
 * The one clock of the appliance: domain time (cycle deadlines, lease renewals, poll and back-off
 * waits, report delays, rates) is read and scheduled through an injected `Clock`, so cycles, leases
 * and polls can be tested on virtual time. Production code gets `systemClock`; tests inject a
 * `ManualClock` and move time with `advance`, which fires the timers and sleeps that come due.
 *
 * Not domain time, so not on this clock: `performance.now()` in the executor's episode and miner
 * I/O path (miner latency, step and render timings) is a high-resolution monotonic measurement of
 * real work, and a worker thread's termination grace is about a real OS thread exiting.
 */

/** Cancels a timer; calling it again, or after the timer fired, does nothing. */
export type Cancel = () => void;

export interface TimerOptions {
  /** The timer does not keep the process alive on its own (Node's `timer.unref()`). */
  unref?: boolean;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** `now()` as a Date. */
  date(): Date;
  /** Resolves after `ms`; rejects with `AbortedError` once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): Cancel;
  setInterval(fn: () => void, ms: number, options?: TimerOptions): Cancel;
}

export class AbortedError extends Error {
  override name = 'AbortedError';
}

export const systemClock: Clock = {
  now: () => Date.now(),
  date: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError('aborted'));
      const timer = globalThis.setTimeout(done, Math.max(0, ms));
      function done() {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort() {
        clearTimeout(timer);
        reject(new AbortedError('aborted'));
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  setTimeout: (fn, ms, options) => {
    const timer = globalThis.setTimeout(fn, ms);
    if (options?.unref) timer.unref();
    return () => clearTimeout(timer);
  },
  setInterval: (fn, ms, options) => {
    const timer = globalThis.setInterval(fn, ms);
    if (options?.unref) timer.unref();
    return () => clearInterval(timer);
  },
};

interface ManualTimer {
  due: number;
  /** Creation order: timers due at the same time fire in the order they were set. */
  seq: number;
  fn: () => void;
  /** Period of an interval; undefined for a one-shot timer. */
  every?: number;
  /** A pending `sleep` (counted by `pendingSleeps`). */
  sleep?: boolean;
}

/**
 * Virtual time for tests. With `autoAdvance` (the default) a sleep moves virtual time forward and
 * returns at once, like chopsticks' instant block mode, so code that waits for a block or a poll
 * interval runs deterministically and without real delays. Timers (and, without `autoAdvance`,
 * sleeps) fire only when `advance` reaches their due time, in due order, with `now()` at that time
 * while they run; a zero delay fires on the next `advance`, `advance(0)` included.
 */
export class ManualClock implements Clock {
  private ms: number;
  private seq = 0;
  private readonly timers: ManualTimer[] = [];
  readonly autoAdvance: boolean;

  constructor(startMs = Date.parse('2026-01-01T00:00:00Z'), options: { autoAdvance?: boolean } = {}) {
    this.ms = startMs;
    this.autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.ms;
  }

  date(): Date {
    return new Date(this.ms);
  }

  /** Moves time forward by `ms`, firing every timer and sleep that comes due on the way. */
  advance(ms: number): void {
    const target = this.ms + ms;
    for (let t = this.nextDue(target); t; t = this.nextDue(target)) {
      this.ms = Math.max(this.ms, t.due);
      if (t.every === undefined) this.timers.splice(this.timers.indexOf(t), 1);
      else t.due += t.every;
      t.fn();
    }
    // A timer may itself have moved time further (an auto-advancing sleep): time does not go back for that.
    this.ms = ms < 0 ? target : Math.max(this.ms, target);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('aborted'));
    if (this.autoAdvance) {
      this.advance(Math.max(0, ms));
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = this.add({ due: this.ms + ms, fn: resolve, sleep: true });
      signal?.addEventListener(
        'abort',
        () => {
          this.remove(timer);
          reject(new AbortedError('aborted'));
        },
        { once: true },
      );
    });
  }

  setTimeout(fn: () => void, ms: number): Cancel {
    const timer = this.add({ due: this.ms + Math.max(0, ms), fn });
    return () => this.remove(timer);
  }

  setInterval(fn: () => void, ms: number): Cancel {
    // Like Node, a period under 1 ms is 1 ms (and `advance` cannot loop forever on one instant).
    const every = Math.max(1, ms);
    const timer = this.add({ due: this.ms + every, fn, every });
    return () => this.remove(timer);
  }

  /** Number of sleepers waiting for time to move (manual mode). */
  get pendingSleeps(): number {
    return this.timers.filter((t) => t.sleep).length;
  }

  /** Number of timers set and not yet fired or cancelled (intervals until cancelled). */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.sleep).length;
  }

  private add(timer: Omit<ManualTimer, 'seq'>): ManualTimer {
    const t = { ...timer, seq: this.seq++ };
    this.timers.push(t);
    return t;
  }

  private remove(timer: ManualTimer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
  }

  private nextDue(until: number): ManualTimer | undefined {
    let next: ManualTimer | undefined;
    for (const t of this.timers) if (t.due <= until && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
    return next;
  }
}
