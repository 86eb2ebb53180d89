/**
 * Runs evaluation cycles on a cron schedule (node-cron), never two at once: a tick that arrives while
 * a cycle is still running is skipped and logged. On start it first resumes a cycle a previous
 * process left running, then starts a fresh one right away, then follows the schedule.
 */
import cron, { type ScheduledTask } from 'node-cron';
import { silentLogger, type Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { CycleOutcome, CycleRunner } from './cycle.ts';

export const DEFAULT_CYCLE_CRON = '0 * * * *';

export function validateCron(expression: string): string | null {
  const r = cron.validate(expression);
  return r ? null : `invalid cron expression ${JSON.stringify(expression)}`;
}

export interface SchedulerStatus {
  cron: string;
  running: boolean;
  nextRun: string | null;
  lastOutcome: CycleOutcome | null;
}

export class Scheduler {
  private task: ScheduledTask | null = null;
  private current: Promise<CycleOutcome | null> | null = null;
  private readonly abort = new AbortController();
  private lastOutcome: CycleOutcome | null = null;
  private readonly listeners = new Set<(o: CycleOutcome) => void>();

  constructor(
    private readonly store: Store,
    private readonly runner: CycleRunner,
    private readonly cronExpression: string = DEFAULT_CYCLE_CRON,
    private readonly logger: Logger = silentLogger,
  ) {
    const invalid = validateCron(cronExpression);
    if (invalid) throw new Error(invalid);
  }

  onCycleEnd(listener: (o: CycleOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resumes interrupted cycles, starts the first cycle and arms the schedule. Returns at once. */
  start(options: { runImmediately?: boolean } = {}): void {
    this.task = cron.schedule(this.cronExpression, () => void this.trigger('schedule'), { name: 'kinitro-cycle', noOverlap: true });
    if (options.runImmediately ?? true) void this.trigger('start-up');
  }

  /** Runs one cycle now unless one is already running; resolves with its outcome (null if skipped). */
  trigger(reason: string): Promise<CycleOutcome | null> {
    if (this.current) {
      this.logger.info({ reason }, 'cycle still running; tick skipped');
      return Promise.resolve(null);
    }
    this.current = this.runOnce(reason).finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async runOnce(reason: string): Promise<CycleOutcome | null> {
    const signal = this.abort.signal;
    try {
      // Interrupted cycles first, newest last; only the newest is resumed, older ones were superseded.
      const incomplete = this.store.cycles.incomplete();
      for (const stale of incomplete.slice(0, -1)) {
        this.store.transaction(() => {
          this.store.tasks.cancelUnfinished(stale.id, 'Cycle superseded by a newer interrupted cycle');
          this.store.cycles.fail(stale.id, 'Superseded by a newer interrupted cycle');
        });
      }
      const resumable = incomplete.at(-1);
      if (resumable) {
        const outcome = await this.runner.resume(resumable, signal);
        this.record(outcome);
        if (outcome.status === 'interrupted' || signal.aborted) return outcome;
      }
      if (signal.aborted) return null;
      this.logger.info({ reason }, 'starting evaluation cycle');
      const outcome = await this.runner.runNew(signal);
      this.record(outcome);
      return outcome;
    } catch (err) {
      // A chain outage or similar: log and wait for the next tick; the scheduler never dies.
      this.logger.error({ err }, 'evaluation cycle could not run');
      const outcome: CycleOutcome = { cycleId: null, status: 'failed', error: (err as Error).message };
      this.record(outcome);
      return outcome;
    }
  }

  private record(outcome: CycleOutcome): void {
    this.lastOutcome = outcome;
    for (const l of this.listeners) l(outcome);
  }

  status(): SchedulerStatus {
    let nextRun: string | null = null;
    try {
      nextRun = this.task?.getNextRun()?.toISOString() ?? null;
    } catch {
      nextRun = null;
    }
    return { cron: this.cronExpression, running: this.current !== null, nextRun, lastOutcome: this.lastOutcome };
  }

  /** Stops the schedule and interrupts a running cycle (left `running`, to resume on next start). */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.task?.destroy();
    this.task = null;
    await this.current;
  }
}
