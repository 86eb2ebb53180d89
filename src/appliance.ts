/**
 * The appliance: builds every service from one validated configuration and starts/stops them in
 * order. Nothing else wires services together; services talk through the store and small interfaces.
 * The steps live beside it in src/appliance/: configuration, cancellable start-up, the chain and demo
 * miners, the evaluation services, and the status.
 *
 * Start order: store → chain → demo miners (local chain only) → API → executors → scheduler →
 * validator. Stop order is the reverse, so no service outlives what it depends on, and an
 * interrupted cycle is left `running` to resume on the next start.
 */
import path from 'node:path';
import type Router from '@koa/router';
import { createLogger, type Logger } from './log.ts';
import { Store } from './store/index.ts';
import { storeClock } from './store/clock.ts';
import { systemClock } from './clock.ts';
import { startApi, type RunningApi } from './api/server.ts';
import { ApplianceMetrics } from './metrics.ts';
import type { ChainClient } from './chain/client.ts';
import { hotkeyFromUri } from './chain/keys.ts';
import type { CycleRunner } from './cycle/cycle.ts';
import type { Scheduler } from './cycle/scheduler.ts';
import { LOCAL_EXECUTOR_PREFIX, type ExecutorPool } from './executor/index.ts';
import { startInProcessValidator, type InProcessValidator } from './validator/in-process.ts';
import type { ApplianceConfig } from './appliance/config.ts';
import { cancellableStartup, type StartOptions } from './appliance/startup.ts';
import { openApplianceChain, startDemoMinersOnChain } from './appliance/chain.ts';
import { createCycleServices, createSpotChecker, startExecutorPool } from './appliance/services.ts';
import { applianceStatus, type ApplianceStatus } from './appliance/status.ts';

export { LOCAL_EXECUTOR_PREFIX };
export { ALL_ENVS, defaultWorkers, type ApplianceConfig } from './appliance/config.ts';
export { StartupCancelled, type StartOptions } from './appliance/startup.ts';
export type { ApplianceStatus } from './appliance/status.ts';

export interface RunningAppliance {
  config: ApplianceConfig;
  store: Store;
  api: RunningApi;
  chain: ChainClient;
  scheduler: Scheduler;
  pool: ExecutorPool | null;
  metrics: ApplianceMetrics;
  logger: Logger;
  demoMinerUrls: string[];
  status(): Promise<ApplianceStatus>;
  /** The appliance's extension fields of `GET /v1/status` (the running cycle's `cycle_estimate`). */
  statusExtension(): Record<string, unknown>;
  stop(): Promise<void>;
}

export async function startAppliance(
  config: ApplianceConfig,
  logger: Logger = createLogger({ level: config.logLevel }),
  options: StartOptions = {},
): Promise<RunningAppliance> {
  const startup = cancellableStartup(options.signal, logger);
  const { cancelled, step } = startup;
  const clock = options.clock ?? systemClock;
  try {
    const store = Store.open(path.resolve(config.db), { clock: storeClock(clock) });
    startup.started('store', () => store.close());
    // Tasks our own executors held when the last process died can never be submitted: return them.
    const reclaimed = store.tasks.reclaimAssignedTo(LOCAL_EXECUTOR_PREFIX);
    if (reclaimed > 0) logger.info({ reclaimed }, 'returned tasks held by the previous process to the pool');

    const metrics = new ApplianceMetrics(store, { clock });
    const chain = await step(openApplianceChain(config, store, logger), (c) => c.close());
    startup.started('chain', () => chain.close());
    const operator = config.hotkeyUri ? await step(hotkeyFromUri(config.hotkeyUri)) : null;
    const demo = await startDemoMinersOnChain(config, chain, operator, startup, logger);

    // Declared before the API starts: its status route reads them as they come up.
    let pool: ExecutorPool | null = null;
    let scheduler: Scheduler | null = null;
    let runner: CycleRunner | null = null;
    const statusExtension = () => ({ cycle_estimate: runner?.lastEstimate()?.json ?? null });
    let validator: InProcessValidator | null = null;
    const statusFn = (): Promise<ApplianceStatus> => applianceStatus({ config, store, chain, metrics, operator, pool, scheduler, validator });

    cancelled();
    const api = await step(
      startApi({
        store,
        logger: logger.child({ component: 'api' }),
        host: config.host,
        port: config.port,
        apiKey: config.apiKey,
        authDisabled: config.authDisabled,
        statusExtension: () => statusExtension(),
        extend: (router: Router) => {
          router.get('/metrics', async (ctx) => {
            const m = await metrics.render();
            ctx.type = m.contentType;
            ctx.body = m.body;
          });
          router.get('/v1/appliance', async (ctx) => {
            ctx.body = await statusFn();
          });
        },
      }),
      (a) => a.close(),
      true,
    );
    startup.started('api', () => api.close());

    if (config.workers > 0) pool = await startExecutorPool(config, store, metrics, [...demo.endpoints.values()], startup, logger, clock);
    const spotChecker = await createSpotChecker(config, store, logger);
    const cycle = createCycleServices({ config, store, chain, metrics, operator, pool, demoEndpoints: demo.endpoints, spotChecker, logger, clock }, startup);
    runner = cycle.runner;
    scheduler = cycle.scheduler;

    if (config.validate) {
      if (!operator) throw new Error('--validate needs the operator hotkey (--hotkey-uri or KINITRO_HOTKEY_URI)');
      // Poll about once a block so freshly published weights reach the chain within seconds.
      const running = await step(
        startInProcessValidator({
          store,
          chain,
          netuid: config.netuid,
          hotkey: operator,
          logger,
          metrics,
          pollIntervalMs: 12_000,
          timelockedCommits: config.timelockedCommits,
        }),
        (v) => v.stop(),
        true,
      );
      validator = running;
      startup.started('validator', () => running.stop());
    }

    cancelled();
    scheduler.start({ runImmediately: true });
    logger.info(
      {
        url: api.url,
        db: config.db,
        chain: chain.description,
        netuid: config.netuid,
        workers: config.workers,
        demoMiners: demo.urls.length,
        randomization: config.randomization,
        episodesPerEnv: config.episodesPerEnv,
        maxSteps: config.maxSteps,
        cron: config.cycleCron,
        validate: config.validate,
      },
      'appliance started',
    );
    return {
      config,
      store,
      api,
      chain,
      scheduler,
      pool,
      metrics,
      logger,
      demoMinerUrls: demo.urls,
      status: statusFn,
      statusExtension,
      async stop() {
        logger.info('appliance stopping');
        await startup.closeAll();
        logger.info('appliance stopped');
      },
    };
  } catch (err) {
    await startup.closeAll();
    throw err;
  }
}
