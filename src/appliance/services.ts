/**
 * The evaluation services the appliance composes after the chain and the API: in-process executors,
 * spot checks, and the cycle runner with its scheduler.
 */
import path from 'node:path';
import type { KeyringPair } from '@polkadot/keyring/types';
import type { Logger } from '../log.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { ApplianceMetrics } from '../metrics.ts';
import type { ChainClient } from '../chain/client.ts';
import { withTimeout } from '../chain/timeout.ts';
import { CycleRunner, DEFAULT_CYCLE_SETTINGS } from '../cycle/cycle.ts';
import { CapacityMonitor, type ExecutorMeasures } from '../cycle/capacity-monitor.ts';
import { Scheduler } from '../cycle/scheduler.ts';
import { startInProcessExecutors, type ExecutorPool } from '../executor/index.ts';
import { DEFAULT_SPOT_CHECK_SETTINGS, SpotChecker } from '../verification/spot-check.ts';
import { BubblewrapSandbox } from '../verification/sandbox.ts';
import type { ApplianceConfig } from './config.ts';
import type { Startup } from './startup.ts';

/** The spot-check settings when spot checks are on (a fraction above 0), else null. */
export function spotCheckSettings(config: ApplianceConfig): NonNullable<ApplianceConfig['spotCheck']> | null {
  return config.spotCheck && config.spotCheck.fraction > 0 ? config.spotCheck : null;
}

/** The in-process executor pool (`config.workers` > 0), woken by new tasks; registered with start-up for stopping. */
export async function startExecutorPool(
  config: ApplianceConfig,
  store: Store,
  metrics: ApplianceMetrics,
  trustedEndpoints: string[],
  startup: Startup,
  logger: Logger,
  clock: Clock,
): Promise<ExecutorPool> {
  const pool = await startup.step(
    startInProcessExecutors({
      store,
      envIds: config.envIds,
      workers: config.workers,
      maxEpisodesPerMiner: config.maxEpisodesPerMiner,
      pollIntervalMs: 1000,
      settings: { maxSteps: config.maxSteps, useImages: config.useImages, allowPrivateEndpoints: config.allowPrivateEndpoints },
      trustedEndpoints,
      recordSteps: spotCheckSettings(config) ? DEFAULT_SPOT_CHECK_SETTINGS.recordSteps : 0,
      logger: logger.child({ component: 'executor' }),
      clock,
      onOutcome: (o, task) =>
        metrics.recordEpisode({
          envId: task.envId,
          durationSeconds: (o.timings.resetMs + o.timings.simMs + o.timings.renderMs + o.timings.encodeMs + o.timings.waitMs) / 1000,
          steps: o.stepsRun,
          meanActionLatencyMs: o.meanActionLatencyMs ?? undefined,
          success: o.success,
          fault: o.fault,
        }),
    }),
    (p) => p.stop(),
    true,
  );
  // New tasks wake the executors at once instead of after their poll interval.
  const stopWaking = store.tasks.onChange(() => pool.wake());
  startup.started('executors', () => {
    stopWaking();
    return pool.stop();
  });
  return pool;
}

/** The spot checker when spot checks are on; its sandbox is probed once here. */
export async function createSpotChecker(config: ApplianceConfig, store: Store, logger: Logger): Promise<SpotChecker | null> {
  const spot = spotCheckSettings(config);
  if (!spot) return null;
  // One sandbox: its probe (Python + bubblewrap) runs once here and is cached for every check.
  const sandbox = new BubblewrapSandbox();
  const spotChecker = new SpotChecker(
    store,
    {
      ...DEFAULT_SPOT_CHECK_SETTINGS,
      fraction: spot.fraction,
      consequence: spot.consequence,
      cacheDir: path.join(path.dirname(path.resolve(config.db)), 'spot-check-cache'),
      hub: { hubUrl: spot.hubUrl, ...(spot.hubToken ? { accessToken: spot.hubToken } : {}) },
    },
    sandbox,
    logger,
  );
  const unavailable = await sandbox.probe();
  if (unavailable) logger.warn({ reason: unavailable }, 'spot checks will report every miner unverifiable');
  return spotChecker;
}

/** The capacity model's view of an executor pool: what it has measured of its workers and miners. */
export function executorMeasuresOf(pool: ExecutorPool): ExecutorMeasures {
  const m = pool.capacityInputs();
  return {
    cores: m.workers,
    cpuPerStepMs: m.cpuPerStepMs,
    slots: m.workers * m.maxPerWorker,
    miner: (endpoint) => {
      const x = m.miners.get(endpoint);
      return x ? { latencyMs: x.latencyMs, stepMs: x.stepMs, concurrency: x.limit } : null;
    },
  };
}

/** What the appliance has opened before the cycle services: read by them and by the status. */
export interface CoreServices {
  config: ApplianceConfig;
  store: Store;
  chain: ChainClient;
  metrics: ApplianceMetrics;
  operator: KeyringPair | null;
  /** The in-process executors (none: remote executors only, or not started yet). */
  pool: ExecutorPool | null;
}

export interface CycleServicesInput extends CoreServices {
  /** The demo miners this process registered, hotkey → endpoint. */
  demoEndpoints: ReadonlyMap<string, string>;
  spotChecker: SpotChecker | null;
  logger: Logger;
  /** The clock the store reads too: the cycle's deadline is measured from its stored start. */
  clock: Clock;
}

/** The cycle runner and its scheduler (not started); the scheduler is registered with start-up for stopping. */
export function createCycleServices(i: CycleServicesInput, startup: Startup): { runner: CycleRunner; scheduler: Scheduler } {
  const { config, store, chain, metrics, operator, pool, demoEndpoints, logger, clock } = i;
  const runner = new CycleRunner(
    store,
    { snapshot: () => withTimeout(chain.snapshot(config.netuid), 60_000, 'chain snapshot') },
    {
      ...DEFAULT_CYCLE_SETTINGS,
      envIds: config.envIds,
      randomization: config.randomization,
      episodesPerEnv: config.episodesPerEnv,
      cycleTimeoutSeconds: config.cycleTimeoutSeconds,
      minCoverage: config.minCoverage,
      backendPrivateKey: config.backendPrivateKey,
      excludeHotkeys: operator ? [operator.address] : [],
      // Only the demo miners this process registered may sit on loopback, unless the operator said otherwise.
      allowPrivateEndpoint: config.allowPrivateEndpoints ? true : (hotkey, endpoint) => demoEndpoints.get(hotkey) === endpoint,
    },
    clock,
    logger.child({ component: 'scheduler' }),
    {
      capacity: new CapacityMonitor(store, () => (pool ? executorMeasuresOf(pool) : null), { maxSteps: config.maxSteps }),
      onEstimate: (r) => metrics.recordCycleEstimate(r.estimate.totalSeconds, r.estimate.fits),
      spotCheck: i.spotChecker,
    },
  );
  const scheduler = new Scheduler(store, runner, config.cycleCron, logger.child({ component: 'scheduler' }));
  scheduler.onCycleEnd((o) => {
    metrics.cycles.inc({ outcome: o.status });
    if (o.status === 'completed') metrics.weightsPublished.inc();
  });
  startup.started('scheduler', () => scheduler.stop());
  return { runner, scheduler };
}
