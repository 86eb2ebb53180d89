/**
 * One demo miner in a thread of its own (see demo.ts): a policy server bound to loopback, warmed up
 * before it announces its URL. Its log lines go to the parent, which writes them with its logger.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { pino } from 'pino';
import { startPolicyServer, type RunningPolicyServer } from './policy-server.ts';
import { createMinerPolicy, type MinerPolicyName } from './policies/index.ts';
import { ENV_IDS } from '../sim/registry.ts';
import type { LogLevel } from '../log.ts';

export interface DemoThreadConfig {
  policy: MinerPolicyName;
  host: string;
  /** Preferred port (0: any free port). */
  port: number;
  maxConcurrentEpisodes: number;
  logLevel: LogLevel;
}

export type FromDemoThread = { type: 'listening'; url: string } | { type: 'failed'; message: string; code: string | undefined } | { type: 'log'; line: string };

if (!parentPort) throw new Error('demo-thread.ts must run inside a worker thread');
const port = parentPort;
const config = workerData as DemoThreadConfig;
const post = (m: FromDemoThread) => port.postMessage(m);
const logger = pino({ level: config.logLevel, base: undefined }, { write: (line: string) => post({ type: 'log', line }) });

let server: RunningPolicyServer | undefined;
try {
  const policy = createMinerPolicy(config.policy);
  // Warm the policy up before serving: the first real reset must not stall on compiling it.
  await policy.reset({ task: { env_id: ENV_IDS[0]!, env_name: '', task_name: '' }, episodeSeed: 0, episodeId: 'warm-up' });
  const options = {
    policy,
    createPolicy: () => createMinerPolicy(config.policy),
    maxConcurrentEpisodes: config.maxConcurrentEpisodes,
    host: config.host,
    logger,
  };
  try {
    server = await startPolicyServer({ ...options, port: config.port });
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (config.port === 0 || (code !== 'EADDRINUSE' && code !== 'EACCES')) throw err;
    server = await startPolicyServer({ ...options, port: 0 });
  }
  post({ type: 'listening', url: server.url });
} catch (err) {
  post({ type: 'failed', message: (err as Error).message, code: (err as { code?: string }).code });
}

port.on('message', (message: { type: 'close' }) => {
  if (message.type !== 'close') return;
  void (server?.close() ?? Promise.resolve()).finally(() => port.close());
});
