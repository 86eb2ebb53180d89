import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { logLevelOption } from '../shared-options.ts';
import { untilSignal } from '../lifecycle.ts';
import { createLogger } from '../../log.ts';
import { resolveEnvSelection } from '../../sim/registry.ts';
import { startRemoteExecutor } from '../../executor/remote.ts';

export const executorCommand = defineCommand({
  path: ['executor'],
  summary: 'Run episodes for a remote appliance through its task API (more machines, one appliance).',
  description:
    'Claims tasks with POST /v1/tasks/fetch, runs them in worker threads (MuJoCo + cameras, many episodes per ' +
    'worker), renews their leases, and reports results with POST /v1/tasks/submit. On SIGINT/SIGTERM it stops ' +
    'claiming, lets running episodes finish for --shutdown-grace seconds, and gives the rest back.',
  options: {
    apiUrl: opt.string('Base URL of the appliance API', { default: 'http://localhost:8000', env: 'KINITRO_EXECUTOR_API_URL', placeholder: 'URL' }),
    apiKey: opt.string('Bearer key for the task endpoints', { env: 'KINITRO_EXECUTOR_API_KEY', placeholder: 'KEY', secret: true }),
    executorId: opt.string('Executor id tasks are assigned to (default executor-<8 hex>)', { env: 'KINITRO_EXECUTOR_ID', placeholder: 'ID' }),
    workers: opt.int('Worker threads, one simulator each (default: one per core)', { min: 1, max: 256, env: 'KINITRO_EXECUTOR_WORKERS' }),
    batchSize: opt.int('Tasks per fetch', { default: 10, min: 1, max: 100, env: 'KINITRO_EXECUTOR_BATCH_SIZE' }),
    maxConcurrent: opt.int('Most episodes each worker runs at once (admission control from measured costs usually admits fewer)', {
      default: 16,
      min: 1,
      max: 500,
      env: 'KINITRO_EXECUTOR_MAX_CONCURRENT',
    }),
    maxPerMiner: opt.int('Most episodes of one miner at once, whatever it declares in GET /health (default: 16)', {
      min: 1,
      max: 10_000,
      env: 'KINITRO_EXECUTOR_MAX_PER_MINER',
    }),
    pollInterval: opt.number('Seconds to wait after an empty fetch', { default: 5, min: 0.05, env: 'KINITRO_EXECUTOR_POLL_INTERVAL' }),
    envIds: opt.string('Only these environments (comma-separated ids, or all)', { env: 'KINITRO_EXECUTOR_ENV_IDS', placeholder: 'IDS' }),
    maxSteps: opt.int('Control steps per episode', { default: 500, min: 1, env: 'KINITRO_EXECUTOR_MAX_TIMESTEPS' }),
    actionTimeout: opt.number('Seconds a miner has to answer each /act', { default: 0.5, min: 0.01, max: 60, env: 'KINITRO_EXECUTOR_ACTION_TIMEOUT' }),
    evalTimeout: opt.number('Overall episode deadline in seconds', { default: 300, min: 1, env: 'KINITRO_EXECUTOR_EVAL_TIMEOUT' }),
    noImages: opt.flag('Send observations without camera images', { env: 'KINITRO_EXECUTOR_NO_IMAGES' }),
    allowPrivateEndpoints: opt.flag('Allow miner endpoints on loopback/private/link-local addresses (local testing only)', {
      env: 'KINITRO_EXECUTOR_ALLOW_PRIVATE_ENDPOINTS',
    }),
    shutdownGrace: opt.number('Seconds running episodes may finish after SIGINT/SIGTERM', { default: 30, min: 0, env: 'KINITRO_EXECUTOR_SHUTDOWN_GRACE' }),
    logLevel: logLevelOption,
  },
  async run({ options }) {
    let envIds: string[] | null = null;
    if (options.envIds) {
      try {
        envIds = resolveEnvSelection(options.envIds);
      } catch (err) {
        throw new CliUsageError(`--env-ids: ${(err as Error).message}`);
      }
    }
    try {
      const url = new URL(options.apiUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new CliUsageError(`--api-url must be an http(s) URL, got ${JSON.stringify(options.apiUrl)}`);
    }
    const logger = createLogger({ level: options.logLevel }).child({ component: 'executor' });
    const executorId = options.executorId ?? `executor-${randomBytes(4).toString('hex')}`;
    const executor = await startRemoteExecutor({
      apiUrl: options.apiUrl,
      apiKey: options.apiKey ?? null,
      executorId,
      workers: options.workers ?? os.availableParallelism(),
      batchSize: options.batchSize,
      maxConcurrentPerWorker: options.maxConcurrent,
      ...(options.maxPerMiner !== undefined ? { maxEpisodesPerMiner: options.maxPerMiner } : {}),
      pollIntervalMs: Math.round(options.pollInterval * 1000),
      envIds,
      settings: {
        maxSteps: options.maxSteps,
        actTimeoutMs: Math.round(options.actionTimeout * 1000),
        episodeTimeoutMs: Math.round(options.evalTimeout * 1000),
        useImages: !options.noImages,
        allowPrivateEndpoints: options.allowPrivateEndpoints,
      },
      logger,
    });
    const signal = await untilSignal();
    logger.info({ signal, graceSeconds: options.shutdownGrace }, 'stopping: finishing or giving back in-flight tasks');
    // A second signal cuts the grace period short.
    const drain = executor.stop({ drainTimeoutMs: options.shutdownGrace * 1000 });
    const force = untilSignal().then(() => executor.stop({ drainTimeoutMs: 0 }));
    await Promise.race([drain, force]);
    const stats = executor.stats();
    logger.info({ episodes: stats.episodes, successes: stats.successes, steps: stats.steps }, 'executor stopped');
    return 0;
  },
});
