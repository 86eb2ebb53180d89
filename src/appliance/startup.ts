/**
 * Cancellable start-up: each step can be cut short by an abort signal (`q` or a signal while
 * starting), and every service started so far is stopped in reverse order, on cancellation, on a
 * failed step, or on a normal stop.
 */
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';

/** Start-up was cancelled (`q` or a signal while starting): everything started so far has been stopped. */
export class StartupCancelled extends Error {
  override name = 'StartupCancelled';
  constructor() {
    super('start-up cancelled');
  }
}

export interface StartOptions {
  /** Aborting cancels start-up: the step in progress is cut short and what was started is stopped. */
  signal?: AbortSignal;
  /**
   * The one clock the store, the metrics, the cycle runner and the in-process executor pool read
   * (default: the system clock).
   */
  clock?: Clock;
}

interface Closer {
  name: string;
  close(): Promise<void> | void;
}

export interface Startup {
  /** Throws `StartupCancelled` once start-up has been cancelled. */
  cancelled(): void;
  /**
   * Awaits one start-up step unless start-up is cancelled first. A cancelled step is abandoned (a
   * chain that does not answer, a block that has not come) and whatever it yields later is disposed
   * of. A step whose service uses the store (`finishFirst`: executors, validator, API) is instead let
   * finish and then stopped, so that nothing touches the database after it is closed. No step holds a
   * database write open across an await, so cancelling leaves nothing half-written.
   */
  step<T>(work: Promise<T>, dispose?: (value: T) => unknown, finishFirst?: boolean): Promise<T>;
  /** Registers a started service; `closeAll` stops them in reverse order. */
  started(name: string, close: () => Promise<void> | void): void;
  closeAll(): Promise<void>;
}

export function cancellableStartup(signal: AbortSignal | undefined, logger: Logger): Startup {
  const cancelled = () => {
    if (signal?.aborted) throw new StartupCancelled();
  };
  const step = <T>(work: Promise<T>, dispose?: (value: T) => unknown, finishFirst = false): Promise<T> => {
    cancelled();
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const disposeLate = (value: T) =>
        Promise.resolve()
          .then(() => dispose?.(value))
          .catch((err: unknown) => logger.debug({ err }, 'stopping a cancelled start-up step failed'));
      const onAbort = () => {
        if (!finishFirst) reject(new StartupCancelled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          if (!signal.aborted) return resolve(value);
          if (finishFirst) void disposeLate(value).then(() => reject(new StartupCancelled()));
          else void disposeLate(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(signal.aborted ? new StartupCancelled() : err);
        },
      );
    });
  };
  const closers: Closer[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
      } catch (err) {
        logger.warn({ err, service: c.name }, 'error while stopping');
      }
    }
    closers.length = 0;
  };
  return { cancelled, step, started: (name, close) => void closers.push({ name, close }), closeAll };
}
