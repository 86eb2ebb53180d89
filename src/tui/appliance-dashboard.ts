/**
 * The dashboard of `kinitro start`: it comes up before the appliance, so start-up (chain, demo miners,
 * workers) is visible in its log pane, and shows an empty snapshot that says so until it is handed the
 * running appliance's source. It renders only: the CLI (src/cli/run-appliance.ts) starts and stops the
 * appliance, feeds the log lines, and learns of `q` through `onQuit`.
 */
import { startDashboard } from './dashboard.ts';
import { emptySnapshot } from './fake-source.ts';
import type { DashboardSnapshot, DashboardSource } from './types.ts';

export interface ApplianceDashboardOptions {
  /** The environments shown while the appliance is starting. */
  envIds: readonly string[];
  refreshMs: number;
  /** `q` was pressed. */
  onQuit: () => void;
  /** Terminal streams (tests); default the process's. */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

export interface ApplianceDashboard {
  /** One log line (pino JSON): into the log pane while the dashboard is up, to stderr once it has stopped. */
  log(line: string): void;
  /** From now on, snapshots of the running appliance; refreshes at once. */
  show(source: DashboardSource): void;
  /** Gives the terminal back. */
  stop(): void;
}

/** Until the appliance is up, an empty snapshot that says it is starting; then the appliance's own. */
class StartingSource implements DashboardSource {
  label: string | undefined = 'starting…';
  private inner: DashboardSource | null = null;

  constructor(private readonly envIds: readonly string[]) {}

  show(source: DashboardSource): void {
    this.label = source.label;
    this.inner = source;
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

export function openApplianceDashboard(options: ApplianceDashboardOptions): ApplianceDashboard {
  const source = new StartingSource(options.envIds);
  const dashboard = startDashboard({ source, refreshMs: options.refreshMs, onQuit: options.onQuit, input: options.input, output: options.output });
  let dashboardUp = true;
  void dashboard.stopped.then(() => (dashboardUp = false));
  return {
    log(line) {
      if (dashboardUp) dashboard.appendLog(line);
      else process.stderr.write(line);
    },
    show(inner) {
      source.show(inner);
      void dashboard.refresh();
    },
    stop: () => dashboard.stop(),
  };
}
