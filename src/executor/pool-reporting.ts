/**
 * The pool's result reporting: final outcomes are buffered and sent to the task source in batches
 * (a full batch at once, a partial one after a short delay), kept for a retry when a report fails,
 * and flushed a last time at shutdown.
 */
import type { Logger } from '../log.ts';
import type { Cancel, Clock } from '../clock.ts';
import type { EpisodeOutcome } from './types.ts';
import type { TaskSource } from './task-source.ts';

export interface ReporterOptions {
  source: TaskSource;
  logger: Logger;
  clock: Clock;
  /** Results per report call (default 32); a partial batch is sent after `reportDelayMs` (default 200). */
  reportBatchSize?: number;
  reportDelayMs?: number;
  /** Wait after a failed report (default 5000 ms). */
  errorBackoffMs?: number;
  /** A flush finished (the pool may be able to claim or be drained now). */
  onFlushed: () => void;
  /** A flush found nothing to report. */
  onNothingToReport: () => void;
}

export class ResultReporter {
  private unreported: EpisodeOutcome[] = [];
  private cancelArmed: Cancel | undefined;
  private reporting: Promise<void> | null = null;

  constructor(private readonly options: ReporterOptions) {}

  /** Buffers a final outcome; `schedule` sends it. */
  add(outcome: EpisodeOutcome): void {
    this.unreported.push(outcome);
  }

  /** The tasks whose outcome is not reported yet (their leases must be kept). */
  pendingTaskUuids(): string[] {
    return this.unreported.map((o) => o.taskUuid);
  }

  /** Nothing buffered and no report in flight. */
  idle(): boolean {
    return this.unreported.length === 0 && !this.reporting;
  }

  /** Sends a full batch now, else arms the delay for a partial one. */
  schedule(): void {
    if (this.unreported.length >= (this.options.reportBatchSize ?? 32)) {
      void this.flush(false);
      return;
    }
    this.arm(this.options.reportDelayMs ?? 200);
  }

  cancelTimer(): void {
    this.cancelArmed?.();
  }

  /** Flushes after `ms` unless a flush is already scheduled. */
  private arm(ms: number, options: { unref?: boolean } = {}): void {
    if (this.cancelArmed) return;
    this.cancelArmed = this.options.clock.setTimeout(
      () => {
        this.cancelArmed = undefined;
        void this.flush(false);
      },
      ms,
      options,
    );
  }

  /** Sends buffered outcomes; on failure keeps them for the next attempt (or gives up when final). */
  async flush(final: boolean): Promise<void> {
    const { source, logger } = this.options;
    while (this.reporting) await this.reporting;
    if (this.unreported.length === 0) {
      this.options.onNothingToReport();
      return;
    }
    if (this.cancelArmed) {
      this.cancelArmed();
      this.cancelArmed = undefined;
    }
    const batch = this.unreported;
    this.unreported = [];
    this.reporting = (async () => {
      try {
        const summary = await source.report(batch);
        if (summary.rejected > 0) logger.warn({ rejected: summary.rejected, errors: summary.errors.slice(0, 5) }, 'results rejected');
      } catch (err) {
        this.unreported = batch.concat(this.unreported);
        logger.warn({ err, n: batch.length }, 'reporting results failed; will retry');
        // A retry after a failed report does not keep the process alive on its own.
        if (!final) this.arm(this.options.errorBackoffMs ?? 5000, { unref: true });
      } finally {
        this.reporting = null;
      }
    })();
    await this.reporting;
    if (final && this.unreported.length > 0) {
      logger.warn({ n: this.unreported.length }, 'dropping unreported results at shutdown (their leases will expire)');
    }
    this.options.onFlushed();
  }
}
