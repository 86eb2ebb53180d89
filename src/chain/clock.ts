/**
 * Time for the chain layer and the validator: `now()` in milliseconds and an abortable `sleep`.
 * Tests inject a `ManualClock`: with `autoAdvance` (the default) a sleep moves virtual time forward
 * and returns at once, like chopsticks' instant block mode, so code that waits for a block or a
 * poll interval runs deterministically and without real delays.
 */
export interface ChainClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export class AbortedError extends Error {
  override name = 'AbortedError';
}

export const systemClock: ChainClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(new AbortedError('aborted'));
      const timer = setTimeout(done, Math.max(0, ms));
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
};

export class ManualClock implements ChainClock {
  private ms: number;
  private readonly waiters: { until: number; resolve: () => void }[] = [];
  readonly autoAdvance: boolean;

  constructor(startMs = Date.parse('2026-01-01T00:00:00Z'), options: { autoAdvance?: boolean } = {}) {
    this.ms = startMs;
    this.autoAdvance = options.autoAdvance ?? true;
  }

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
    for (const w of [...this.waiters]) {
      if (w.until <= this.ms) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new AbortedError('aborted'));
    if (this.autoAdvance) {
      this.advance(Math.max(0, ms));
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter = { until: this.ms + ms, resolve };
      this.waiters.push(waiter);
      signal?.addEventListener(
        'abort',
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(new AbortedError('aborted'));
        },
        { once: true },
      );
    });
  }

  /** Number of sleepers waiting for time to move (manual mode). */
  get pendingSleeps(): number {
    return this.waiters.length;
  }
}
