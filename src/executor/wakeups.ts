import { systemClock, type Clock } from '../clock.ts';

/** The pool's event wait: its loops sleep until something happens (a result, a ready worker, a wake-up) or a timeout. */
export class Wakeups {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** Wakes everything waiting in `next` (a result arrived, a worker became ready, …). */
  signal(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  /** Resolves at the next `signal`, or after `timeoutMs`. */
  next(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        cancel();
        this.waiters.delete(done);
        resolve();
      };
      const cancel = this.clock.setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }
}
