/**
 * `kinitro start` with the terminal UI: the dashboard comes up first (so start-up — chain, demo
 * miners, workers — is visible in its log pane), the appliance's pino logs are routed into that
 * pane, and `q` or a signal shuts the whole appliance down in order. Once the dashboard has
 * stopped, logs go back to stderr, so the shutdown is still reported.
 */
import type { DestinationStream } from 'pino';
import { startAppliance, StartupCancelled, type ApplianceConfig, type RunningAppliance } from '../appliance.ts';
import type { createLogger as CreateLogger } from '../log.ts';
import { CANCELLED_EXIT_CODE, untilSignal } from '../cli/lifecycle.ts';
import { startDashboard } from './dashboard.ts';
import { emptySnapshot } from './fake-source.ts';
import { StoreDashboardSource } from './store-source.ts';
import type { DashboardSnapshot, DashboardSource } from './types.ts';

export interface RunWithDashboardDeps {
  /** Where the API key generated for remote executors is kept, if one was (logged; the key itself never is). */
  generatedKeyMessage: string | null;
  createLogger: typeof CreateLogger;
  /** Snapshot interval (default 1000 ms: in-process reads are cheap). */
  refreshMs?: number;
  /** Terminal streams (tests); default the process's. */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** Reads the appliance once it is up; until then, an empty snapshot that says it is starting. */
class ApplianceSource implements DashboardSource {
  label = 'starting…';
  private inner: StoreDashboardSource | null = null;

  constructor(private readonly envIds: readonly string[]) {}

  attach(appliance: RunningAppliance): void {
    this.label = appliance.api.url;
    this.inner = new StoreDashboardSource(appliance.store, {
      origin: appliance.api.url,
      appliance: () => appliance.status(),
      statusExtension: () => appliance.statusExtension(),
    });
  }

  async snapshot(): Promise<DashboardSnapshot> {
    if (this.inner) return this.inner.snapshot();
    return emptySnapshot({
      takenAt: new Date().toISOString(),
      origin: 'in-process',
      environments: [...this.envIds],
      notice: 'starting the appliance (chain, miners, executor workers)… see the log; q or Ctrl-C cancels',
    });
  }
}

export async function runWithDashboard(config: ApplianceConfig, deps: RunWithDashboardDeps): Promise<number> {
  const source = new ApplianceSource(config.envIds);
  let quit!: () => void;
  const quitRequested = new Promise<void>((resolve) => (quit = resolve));
  const dashboard = startDashboard({ source, refreshMs: deps.refreshMs ?? 1000, onQuit: () => quit(), input: deps.input, output: deps.output });
  let dashboardUp = true;
  void dashboard.stopped.then(() => (dashboardUp = false));

  const destination: DestinationStream = {
    write(line: string) {
      if (dashboardUp) dashboard.appendLog(line);
      else process.stderr.write(line);
    },
  };
  const logger = deps.createLogger({ level: config.logLevel, destination });

  // `q` or a signal is honoured from the first moment: during start-up it cancels start-up.
  const finished = new AbortController();
  const stop = Promise.race([quitRequested.then(() => 'quit' as const), untilSignal(finished.signal)]);
  const cancel = new AbortController();
  void stop.then((reason) => {
    if (!cancel.signal.aborted) {
      logger.info({ reason }, 'cancelling start-up');
      cancel.abort();
    }
  });
  let appliance: RunningAppliance;
  try {
    appliance = await startAppliance(config, logger, { signal: cancel.signal });
  } catch (err) {
    // Give the terminal back before main() reports the error.
    dashboard.stop();
    finished.abort();
    if (err instanceof StartupCancelled) {
      logger.info('start-up cancelled; everything started so far has been stopped');
      return CANCELLED_EXIT_CODE;
    }
    throw err;
  }
  source.attach(appliance);
  void dashboard.refresh();
  if (deps.generatedKeyMessage) logger.info(deps.generatedKeyMessage);

  const reason = await stop;
  finished.abort();
  dashboard.stop();
  logger.info({ reason }, 'shutting down');
  await appliance.stop();
  return 0;
}
