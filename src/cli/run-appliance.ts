/**
 * `kinitro start`'s process lifecycle: start the appliance, honour `q` or a signal from the first
 * moment (during start-up it cancels start-up: what was started is stopped in order), and stop the
 * appliance in order on the way out. The terminal UI only renders what it is handed (logs, snapshots)
 * and reports `q`; it starts and stops nothing.
 */
import type { DestinationStream } from 'pino';
import { startAppliance, StartupCancelled, type ApplianceConfig, type RunningAppliance } from '../appliance.ts';
import type { createLogger as CreateLogger, Logger } from '../log.ts';
import { CANCELLED_EXIT_CODE, exitPromptlyAfterCancel, untilSignal } from './lifecycle.ts';

/** Starts the appliance unless `signal` cancels start-up first (then null: everything started has been stopped). */
async function startOrCancelled(config: ApplianceConfig, logger: Logger, signal: AbortSignal): Promise<RunningAppliance | null> {
  try {
    return await startAppliance(config, logger, { signal });
  } catch (err) {
    if (!(err instanceof StartupCancelled)) throw err;
    return null;
  }
}

const CANCELLED_MESSAGE = 'start-up cancelled; everything started so far has been stopped';

/** Headless: JSON logs on stderr, runs until a signal. */
export async function runHeadless(config: ApplianceConfig, deps: { generatedKeyMessage: string | null; createLogger: typeof CreateLogger }): Promise<number> {
  // Listening from the very start: a signal during start-up cancels it (what is started is stopped
  // in order) instead of killing the process mid-way or waiting for start-up to finish.
  const stop = untilSignal();
  const cancel = new AbortController();
  void stop.then(() => cancel.abort());
  const logger = deps.createLogger({ level: config.logLevel });
  const appliance = await startOrCancelled(config, logger, cancel.signal);
  if (!appliance) {
    logger.info(CANCELLED_MESSAGE);
    exitPromptlyAfterCancel(CANCELLED_EXIT_CODE);
    return CANCELLED_EXIT_CODE;
  }
  if (deps.generatedKeyMessage) appliance.logger.info(deps.generatedKeyMessage);
  const signal = await stop;
  appliance.logger.info({ signal }, 'shutting down');
  await appliance.stop();
  return 0;
}

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

/**
 * With the terminal UI: the dashboard comes up first (so start-up — chain, demo miners, workers — is
 * visible in its log pane), the appliance's pino logs are routed into that pane, and `q` or a signal
 * shuts the whole appliance down in order. Once the dashboard has stopped, logs go back to stderr, so
 * the shutdown is still reported.
 */
export async function runWithDashboard(config: ApplianceConfig, deps: RunWithDashboardDeps): Promise<number> {
  // Loaded only here: headless runs never load the terminal UI.
  const { openApplianceDashboard } = await import('../tui/appliance-dashboard.ts');
  const { StoreDashboardSource } = await import('../tui/store-source.ts');
  let quit!: () => void;
  const quitRequested = new Promise<void>((resolve) => (quit = resolve));
  const dashboard = openApplianceDashboard({
    envIds: config.envIds,
    refreshMs: deps.refreshMs ?? 1000,
    onQuit: () => quit(),
    input: deps.input,
    output: deps.output,
  });
  const destination: DestinationStream = { write: (line: string) => dashboard.log(line) };
  const logger = deps.createLogger({ level: config.logLevel, destination });

  // `q` or a signal is honoured from the first moment: during start-up it cancels start-up.
  const finished = new AbortController();
  const stop = Promise.race([quitRequested.then(() => 'quit' as const), untilSignal(finished.signal)]);
  const cancel = new AbortController();
  // Only while starting: once the appliance runs, `q` or a signal is a shutdown, not a cancellation.
  let starting = true;
  void stop.then((reason) => {
    if (starting && !cancel.signal.aborted) {
      logger.info({ reason }, 'cancelling start-up');
      cancel.abort();
    }
  });
  let appliance: RunningAppliance | null;
  try {
    appliance = await startOrCancelled(config, logger, cancel.signal);
  } catch (err) {
    // Give the terminal back before main() reports the error.
    dashboard.stop();
    finished.abort();
    throw err;
  }
  if (!appliance) {
    dashboard.stop();
    finished.abort();
    logger.info(CANCELLED_MESSAGE);
    return CANCELLED_EXIT_CODE;
  }
  starting = false;
  const running = appliance;
  dashboard.show(
    new StoreDashboardSource(running.store, {
      origin: running.api.url,
      appliance: () => running.status(),
      statusExtension: () => running.statusExtension(),
    }),
  );
  if (deps.generatedKeyMessage) logger.info(deps.generatedKeyMessage);

  const reason = await stop;
  finished.abort();
  dashboard.stop();
  logger.info({ reason }, 'shutting down');
  await running.stop();
  return 0;
}
