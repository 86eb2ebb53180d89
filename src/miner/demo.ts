/**
 * Demo miners for the embedded appliance (`kinitro start` on the local chain): n policy servers on
 * loopback ephemeral ports, cycling through the reference policies vision, vision-noisy and random,
 * so a fresh appliance has a strong, a weaker and a chance-level miner to score.
 */
import { silentLogger, type Logger } from '../log.ts';
import { startPolicyServer } from './policy-server.ts';
import { createMinerPolicy, type MinerPolicyName } from './policies/index.ts';

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

async function listen(options: Parameters<typeof startPolicyServer>[0], preferredPort: number | undefined) {
  if (preferredPort !== undefined && preferredPort > 0 && preferredPort <= 65535) {
    try {
      return await startPolicyServer({ ...options, port: preferredPort });
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE' && (err as { code?: string }).code !== 'EACCES') throw err;
    }
  }
  return startPolicyServer({ ...options, port: 0 });
}

export async function startDemoMiners(n: number, options: DemoMinerOptions = {}): Promise<DemoMiner[]> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`demo miner count must be a non-negative integer, got ${n}`);
  const logger = options.logger ?? silentLogger;
  const miners: DemoMiner[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const policy = DEMO_POLICY_CYCLE[i % DEMO_POLICY_CYCLE.length]!;
      const round = Math.floor(i / DEMO_POLICY_CYCLE.length);
      const name = round === 0 ? policy : `${policy}-${round + 1}`;
      const server = await listen(
        { policy: createMinerPolicy(policy), host: options.host ?? '127.0.0.1', logger: logger.child({ miner: name }) },
        options.basePort === undefined ? undefined : options.basePort + i,
      );
      miners.push({ name, policy, url: server.url, close: () => server.close() });
      // No URL in the log: endpoints stay out of logs, demo miners' included (the port is in the API's miner list).
      logger.debug({ name, policy }, 'demo miner listening');
    }
  } catch (err) {
    await Promise.all(miners.map((m) => m.close()));
    throw err;
  }
  return miners;
}
