import { defineCommand, opt } from '../command.ts';
import { logLevelOption } from '../shared-options.ts';
import { untilSignal } from '../lifecycle.ts';
import { createLogger } from '../../log.ts';
import { startPolicyServer } from '../../miner/policy-server.ts';
import { MINER_POLICIES, createMinerPolicy, type MinerPolicyName } from '../../miner/policies/index.ts';

export const servePolicyCommand = defineCommand({
  path: ['serve-policy'],
  summary: 'Serve a reference policy over the miner protocol (GET /health, POST /reset, POST /act).',
  description:
    '`vision` is a scripted generalist that uses only what a miner receives (the two corner images with their ' +
    'calibration, proprioception and the env id from /reset); `vision-noisy` adds action noise; `random` acts at random. ' +
    'Evaluate it like any miner: kinitro eval --endpoint URL.',
  options: {
    policy: opt.choice(MINER_POLICIES, 'Policy to serve', { default: 'vision', env: false }),
    host: opt.string('Address to bind (0.0.0.0 to accept remote validators)', { default: '127.0.0.1', env: 'KINITRO_POLICY_HOST' }),
    port: opt.int('Port (0 = any free port)', { default: 8001, min: 0, max: 65535, env: 'KINITRO_POLICY_PORT' }),
    maxConcurrentEpisodes: opt.int('Episodes declared in GET /health as max_concurrent_episodes (validators run up to this many at once)', {
      default: 8,
      min: 1,
      max: 256,
      env: 'KINITRO_POLICY_MAX_CONCURRENT_EPISODES',
    }),
    logLevel: logLevelOption,
  },
  async run({ options, stdout }) {
    const logger = createLogger({ level: options.logLevel }).child({ component: 'policy-server', policy: options.policy });
    const name = options.policy as MinerPolicyName;
    const policy = createMinerPolicy(name);
    const server = await startPolicyServer({
      policy,
      createPolicy: () => createMinerPolicy(name),
      maxConcurrentEpisodes: options.maxConcurrentEpisodes,
      host: options.host,
      port: options.port,
      logger,
    });
    stdout.write(`policy ${options.policy} listening on ${server.url}\n`);
    logger.info({ url: server.url }, 'policy server listening');
    const signal = await untilSignal();
    logger.info({ signal }, 'shutting down');
    await server.close();
    await policy.close?.();
    return 0;
  },
});
