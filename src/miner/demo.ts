/**
 * Demo miners for the embedded appliance (`kinitro start` on the local chain): n policy servers on
 * loopback ports, cycling through the reference policies vision, vision-noisy and random, so a fresh
 * appliance has a strong, a weaker and a chance-level miner to score.
 *
 * Each runs in a thread of its own, like a miner on its own machine: the appliance's main thread
 * (API, scheduler, store, TUI) never delays a demo miner's answers, and one demo miner's first
 * frames never delay another's. Each declares `max_concurrent_episodes` and is warmed up before it
 * listens.
 */
import { Worker } from 'node:worker_threads';
import { silentLogger, type Logger, type LogLevel } from '../log.ts';
import type { MinerPolicyName } from './policies/index.ts';
import type { DemoThreadConfig, FromDemoThread } from './demo-thread.ts';

const BOOTSTRAP_URL = new URL('./demo-thread-bootstrap.mjs', import.meta.url);
/** Episodes each demo miner declares it accepts at once. */
export const DEMO_MINER_CAPACITY = 4;

export const DEMO_POLICY_CYCLE: readonly MinerPolicyName[] = ['vision', 'vision-noisy', 'random'];

export interface DemoMiner {
  /** Unique among the demo miners: the policy name, suffixed with -2, -3 … when it repeats. */
  name: string;
  policy: MinerPolicyName;
  url: string;
  close(): Promise<void>;
}

export interface DemoMinerOptions {
  logger?: Logger;
  /** Bind address (default 127.0.0.1). */
  host?: string;
  /**
   * Miner i listens on basePort + i when that port is free (else on any free port). Stable ports keep
   * the demo commitments unchanged across restarts, so a resumed cycle still reaches its miners and
   * nobody loses first-commit priority.
   */
  basePort?: number;
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** Starts one demo miner thread; resolves with its URL once it listens. */
function listen(policy: MinerPolicyName, host: string, preferredPort: number | undefined, logger: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const port = preferredPort !== undefined && preferredPort > 0 && preferredPort <= 65535 ? preferredPort : 0;
  const config: DemoThreadConfig = { policy, host, port, maxConcurrentEpisodes: DEMO_MINER_CAPACITY, logLevel: (logger.level as LogLevel) ?? 'info' };
  const worker = new Worker(BOOTSTRAP_URL, { workerData: config, name: `kinitro-demo-miner-${policy}` });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const close = async () => {
    worker.postMessage({ type: 'close' });
    const timer = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    worker.on('message', (m: FromDemoThread) => {
      if (m.type === 'listening') resolve({ url: m.url, close });
      else if (m.type === 'failed') {
        void worker.terminate();
        reject(Object.assign(new Error(m.message), { code: m.code }));
      } else if (m.type === 'log') {
        try {
          const { level, msg, ...rest } = JSON.parse(m.line) as { level: number; msg?: string; time?: unknown };
          delete rest.time;
          logger[LEVELS[level] ?? 'info'](rest, msg ?? '');
        } catch {
          /* not a log line */
        }
      }
    });
    worker.once('error', reject);
    void exited.then(() => reject(new Error('demo miner thread exited before listening')));
  });
}

export async function startDemoMiners(n: number, options: DemoMinerOptions = {}): Promise<DemoMiner[]> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`demo miner count must be a non-negative integer, got ${n}`);
  const logger = options.logger ?? silentLogger;
  // Started together (each thread loads and warms its policy up), returned in miner order.
  const started = await Promise.allSettled(
    Array.from({ length: n }, async (_, i): Promise<DemoMiner> => {
      const policy = DEMO_POLICY_CYCLE[i % DEMO_POLICY_CYCLE.length]!;
      const round = Math.floor(i / DEMO_POLICY_CYCLE.length);
      const name = round === 0 ? policy : `${policy}-${round + 1}`;
      const server = await listen(
        policy,
        options.host ?? '127.0.0.1',
        options.basePort === undefined ? undefined : options.basePort + i,
        logger.child({ miner: name }),
      );
      // No URL in the log: endpoints stay out of logs, demo miners' included (the port is in the API's miner list).
      logger.debug({ name, policy }, 'demo miner listening');
      return { name, policy, url: server.url, close: () => server.close() };
    }),
  );
  const miners = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failure = started.find((r) => r.status === 'rejected');
  if (failure) {
    await Promise.all(miners.map((m) => m.close()));
    throw (failure as PromiseRejectedResult).reason;
  }
  return miners;
}
