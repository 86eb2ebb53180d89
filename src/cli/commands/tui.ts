import { CliUsageError, defineCommand, opt } from '../command.ts';
import { untilSignal } from '../lifecycle.ts';
import { startDashboard } from '../../tui/dashboard.ts';
import { RemoteDashboardSource } from '../../tui/remote-source.ts';

export const tuiCommand = defineCommand({
  path: ['tui'],
  summary: 'Watch a running appliance through its REST API (terminal dashboard).',
  description:
    'Shows the current cycle, per-environment success rates, weights, chain submissions and recent cycles of the ' +
    'appliance at --api-url. Read-only: it only calls public GET routes. Keys: q quits, tab switches panels, ' +
    'arrows scroll, enter opens a miner, r refreshes now.',
  options: {
    apiUrl: opt.string('Base URL of the appliance API, e.g. http://127.0.0.1:8000', { required: true, env: 'KINITRO_API_URL', placeholder: 'URL' }),
    refreshMs: opt.int('Milliseconds between snapshots', { default: 2000, min: 200, max: 600_000, env: false, placeholder: 'MS' }),
  },
  async run({ options }) {
    let source: RemoteDashboardSource;
    try {
      source = new RemoteDashboardSource(options.apiUrl, { timeoutMs: Math.max(2000, Math.min(options.refreshMs * 2, 10_000)) });
    } catch (err) {
      throw new CliUsageError(`--api-url: ${(err as Error).message}`);
    }
    if (!process.stdout.isTTY || !process.stdin.isTTY) throw new CliUsageError('needs an interactive terminal (stdin and stdout must be a TTY)');
    const dashboard = startDashboard({ source, refreshMs: options.refreshMs, onQuit: () => {} });
    await Promise.race([dashboard.stopped, untilSignal()]);
    dashboard.stop();
    source.close();
    return 0;
  },
});
