/**
 * The appliance: builds every service from one validated configuration and starts/stops them in
 * order. Nothing else wires services together; services talk through the store and small interfaces.
 *
 * Start order: store → chain → demo miners (local chain only) → API → executors → scheduler →
 * validator. Stop order is the reverse, so no service outlives what it depends on, and an
 * interrupted cycle is left `running` to resume on the next start.
 */
import os from 'node:os';
import path from 'node:path';
import type Router from '@koa/router';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { Store } from './store/index.ts';
import { startApi, type RunningApi } from './api/server.ts';
import { ApplianceMetrics } from './metrics.ts';
import { ENV_IDS, type EnvId } from './sim/registry.ts';
import type { ChainClient } from './chain/client.ts';
import { LocalChain } from './chain/local-chain.ts';
import { openChain } from './chain/open.ts';
import { hotkeyFromUri } from './chain/keys.ts';
import { buildCommitment, validateEndpointUrl } from './chain/commitment.ts';
import { CycleRunner, DEFAULT_CYCLE_SETTINGS } from './cycle/cycle.ts';
import { CapacityMonitor, type ExecutorMeasures } from './cycle/capacity-monitor.ts';
import { Scheduler } from './cycle/scheduler.ts';
import { LOCAL_EXECUTOR_PREFIX, startInProcessExecutors, type ExecutorPool } from './executor/index.ts';
import { withTimeout } from './chain/timeout.ts';
import { demoMinerHotkeyUri } from './miner/demo-keys.ts';
import { redactUrl } from './redact.ts';
import { startInProcessValidator, type InProcessValidator } from './validator/in-process.ts';
import type { Randomization } from './sim/instance.ts';
import { DEFAULT_SPOT_CHECK_SETTINGS, SpotChecker, type MismatchConsequence } from './verification/spot-check.ts';
import { BubblewrapSandbox } from './verification/sandbox.ts';
import { VERSION } from './version.ts';

export { LOCAL_EXECUTOR_PREFIX };

export interface ApplianceConfig {
  db: string;
  host: string;
  port: number;
  apiKey: string | null;
  authDisabled: boolean;
  logLevel: LogLevel;
  /** `local` for the embedded chain, or a Subtensor WebSocket URL. */
  chain: string;
  netuid: number;
  /** The operator's hotkey (validator and backend); never evaluated as a miner. */
  hotkeyUri: string | null;
  demoMiners: number;
  envIds: readonly EnvId[];
  /** The family of task instances (cued: vision-necessary, the default; metaworld: for comparison). */
  randomization: Randomization;
  episodesPerEnv: number;
  maxSteps: number;
  cycleCron: string;
  cycleTimeoutSeconds: number;
  workers: number;
  maxEpisodesPerMiner: number;
  useImages: boolean;
  validate: boolean;
  /** The validator commits timelocked weights where the subnet uses commit-reveal (opt-in). */
  timelockedCommits?: boolean;
  /** Let any miner endpoint be non-public (local testing); the appliance's own demo miners always may. */
  allowPrivateEndpoints: boolean;
  backendPrivateKey: string | null;
  minCoverage: number;
  /** Deployment spot checks (docs/verification.md); absent or fraction 0: off. */
  spotCheck?: {
    fraction: number;
    consequence: MismatchConsequence;
    hubUrl: string;
    /** Optional Hub read token (from the environment or a 0600 file, never argv). */
    hubToken: string | null;
  };
}

export interface ApplianceStatus {
  version: string;
  chain: { mode: 'local' | 'subtensor'; endpoint: string; netuid: number; block: number | null; block_hash: string | null };
  validator: { enabled: boolean; hotkey: string | null; last_submission: unknown };
  executors: { in_process_workers: number; active_episodes: number; steps_per_second: number; remote_executors: number };
  scheduler: { cron: string; next_run: string | null; running: boolean };
}

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

interface Closer {
  name: string;
  close(): Promise<void> | void;
}

async function openApplianceChain(config: ApplianceConfig, store: Store, logger: Logger): Promise<ChainClient> {
  logger.info({ chain: config.chain === 'local' ? 'local' : redactUrl(config.chain) }, 'connecting to the chain (q or Ctrl-C cancels start-up)');
  const chain = await openChain({ spec: config.chain, db: store.db, dbLabel: config.db, logger });
  // The demo subnet lets a validator set weights every 25 blocks (5 min) so each 10-minute cycle lands.
  if (chain instanceof LocalChain) chain.ensureSubnet(config.netuid, { weightsRateLimit: 25 });
  try {
    // Refuse a runtime that lacks what discovery (and the validator) need before anything starts.
    logger.info({ ...chain.runtime(), chain: chain.description }, 'chain runtime');
    chain.requireRuntime(config.validate ? ['discover', 'validate'] : ['discover']);
  } catch (err) {
    await chain.close().catch(() => undefined);
    throw err;
  }
  return chain;
}

/** The validator's last submission in the shape the status endpoint and the TUI show. */
async function lastValidatorSubmission(v: InProcessValidator, chain: ChainClient, netuid: number, hotkey: string): Promise<unknown> {
  const status = v.lastSubmission();
  let chainId: string;
  try {
    chainId = await withTimeout(chain.chainId(), 5000, 'chain id');
  } catch {
    return { outcome: status.lastOutcome?.kind ?? null, block: status.chainBlock, at: status.lastTickAt, uids: [], values: [], error: null };
  }
  const last = v.validator.log.recent({ chainId, netuid, hotkey }, 1)[0];
  if (!last) return { outcome: status.lastOutcome?.kind ?? 'none', block: null, at: status.lastTickAt, uids: [], values: [], error: null };
  return {
    block: last.appliedBlock ?? last.commitBlock ?? last.sentAtBlock,
    at: last.updatedAt,
    uids: last.uids,
    values: last.values,
    source_block: last.sourceBlock,
    outcome: last.status === 'applied' ? 'ok' : last.status,
    error: last.error,
    last_check: status.lastOutcome?.kind ?? null,
  };
}

/** Start-up was cancelled (`q` or a signal while starting): everything started so far has been stopped. */
export class StartupCancelled extends Error {
  override name = 'StartupCancelled';
  constructor() {
    super('start-up cancelled');
  }
}

export interface StartOptions {
  /** Aborting cancels start-up: the step in progress is cut short and what was started is stopped. */
  signal?: AbortSignal;
}

export async function startAppliance(
  config: ApplianceConfig,
  logger: Logger = createLogger({ level: config.logLevel }),
  options: StartOptions = {},
): Promise<RunningAppliance> {
  const { signal } = options;
  const cancelled = () => {
    if (signal?.aborted) throw new StartupCancelled();
  };
  /**
   * Awaits one start-up step unless start-up is cancelled first. A cancelled step is abandoned (a
   * chain that does not answer, a block that has not come) and whatever it yields later is disposed
   * of. A step whose service uses the store (`finishFirst`: executors, validator, API) is instead let
   * finish and then stopped, so that nothing touches the database after it is closed. No step holds a
   * database write open across an await, so cancelling leaves nothing half-written.
   */
  const step = <T>(work: Promise<T>, dispose?: (value: T) => unknown, finishFirst = false): Promise<T> => {
    cancelled();
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const disposeLate = (value: T) =>
        Promise.resolve()
          .then(() => dispose?.(value))
          .catch((err: unknown) => logger.debug({ err }, 'stopping a cancelled start-up step failed'));
      const onAbort = () => {
        if (!finishFirst) reject(new StartupCancelled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          if (!signal.aborted) return resolve(value);
          if (finishFirst) void disposeLate(value).then(() => reject(new StartupCancelled()));
          else void disposeLate(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(signal.aborted ? new StartupCancelled() : err);
        },
      );
    });
  };
  const closers: Closer[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
      } catch (err) {
        logger.warn({ err, service: c.name }, 'error while stopping');
      }
    }
    closers.length = 0;
  };
  try {
    const store = Store.open(path.resolve(config.db));
    closers.push({ name: 'store', close: () => store.close() });
    // Tasks our own executors held when the last process died can never be submitted: return them.
    const reclaimed = store.tasks.reclaimAssignedTo(LOCAL_EXECUTOR_PREFIX);
    if (reclaimed > 0) logger.info({ reclaimed }, 'returned tasks held by the previous process to the pool');

    const metrics = new ApplianceMetrics(store);
    const chain = await step(openApplianceChain(config, store, logger), (c) => c.close());
    closers.push({ name: 'chain', close: () => chain.close() });
    const operator = config.hotkeyUri ? await step(hotkeyFromUri(config.hotkeyUri)) : null;

    const demoMinerUrls: string[] = [];
    /** The demo miners this process registered, hotkey → endpoint: the only ones exempt from the endpoint policy. */
    const demoEndpoints = new Map<string, string>();
    if (config.demoMiners > 0) {
      if (!(chain instanceof LocalChain)) throw new Error('demo miners need the embedded local chain (--chain local)');
      const { startDemoMiners } = await step(import('./miner/demo.ts'));
      const miners = await step(
        startDemoMiners(config.demoMiners, {
          logger: logger.child({ component: 'demo-miner' }),
          basePort: config.port > 0 ? config.port + 1 : undefined,
        }),
        (started) => Promise.all(started.map((m) => m.close())),
      );
      closers.push({ name: 'demo miners', close: async () => void (await Promise.all(miners.map((m) => m.close()))) });
      // Register everyone first without waiting, then commit in parallel: all of it lands in the next
      // block, so start-up waits for one 12 s block instead of one per call.
      if (operator) await step(chain.ensureRegistered(config.netuid, operator.address, { wait: false }));
      const keys = await step(Promise.all(miners.map((_, i) => hotkeyFromUri(demoMinerHotkeyUri(i)))));
      const uids: number[] = [];
      for (const key of keys) uids.push((await step(chain.ensureRegistered(config.netuid, key.address, { wait: false }))).uid);
      const committed = (await step(chain.snapshot(config.netuid))).commitments;
      logger.info({ miners: miners.length }, "committing the demo miners' endpoints: waiting for the next block (q or Ctrl-C cancels start-up)");
      await step(
        Promise.all(
          miners.map(async (m, i) => {
            const commitment = buildCommitment({ repo: `kinitro-demo/${m.name}`, revision: 'demo0000', endpoint: m.url });
            // Re-committing resets first-commit priority, so only commit what changed (ports change per run).
            if (committed.find((c) => c.hotkey === keys[i]!.address)?.data !== commitment) await chain.setCommitment(config.netuid, keys[i]!, commitment);
            logger.info({ uid: uids[i], policy: m.name }, 'demo miner committed');
          }),
        ),
      );
      // In miner order, not in the order the commits happened to finish.
      demoMinerUrls.push(...miners.map((m) => m.url));
      miners.forEach((m, i) => {
        const url = validateEndpointUrl(m.url);
        if (typeof url === 'string') demoEndpoints.set(keys[i]!.address, url);
      });
    }

    // Declared before the API starts: its status route reads them as they come up.
    let pool: ExecutorPool | null = null;
    let scheduler: Scheduler | null = null;
    let runner: CycleRunner | null = null;
    const statusExtension = () => ({ cycle_estimate: runner?.lastEstimate()?.json ?? null });
    let validator: InProcessValidator | null = null;
    const statusFn = async (): Promise<ApplianceStatus> => {
      let head: { number: number; hash: string } | null = null;
      try {
        head = await withTimeout(chain.head(), 5000, 'chain head');
      } catch {
        head = null;
      }
      const stats = pool?.stats();
      const s = scheduler?.status();
      const submissions = validator && operator ? await lastValidatorSubmission(validator, chain, config.netuid, operator.address) : null;
      return {
        version: VERSION,
        chain: { mode: chain.kind, endpoint: chain.description, netuid: config.netuid, block: head?.number ?? null, block_hash: head?.hash ?? null },
        validator: { enabled: config.validate, hotkey: operator?.address ?? null, last_submission: submissions },
        executors: {
          in_process_workers: stats?.readyWorkers ?? 0,
          active_episodes: stats?.running ?? 0,
          steps_per_second: Math.round(metrics.stepsPerSecond() * 10) / 10,
          remote_executors: store.tasks.remoteExecutorCount(LOCAL_EXECUTOR_PREFIX),
        },
        scheduler: { cron: config.cycleCron, next_run: s?.nextRun ?? null, running: s?.running ?? false },
      };
    };

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
    closers.push({ name: 'api', close: () => api.close() });

    const spot = config.spotCheck && config.spotCheck.fraction > 0 ? config.spotCheck : null;
    if (config.workers > 0) {
      pool = await step(
        startInProcessExecutors({
          store,
          envIds: config.envIds,
          workers: config.workers,
          maxEpisodesPerMiner: config.maxEpisodesPerMiner,
          pollIntervalMs: 1000,
          settings: { maxSteps: config.maxSteps, useImages: config.useImages, allowPrivateEndpoints: config.allowPrivateEndpoints },
          trustedEndpoints: [...demoEndpoints.values()],
          recordSteps: spot ? DEFAULT_SPOT_CHECK_SETTINGS.recordSteps : 0,
          logger: logger.child({ component: 'executor' }),
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
      const runningPool = pool;
      // New tasks wake the executors at once instead of after their poll interval.
      const stopWaking = store.tasks.onChange(() => runningPool.wake());
      closers.push({
        name: 'executors',
        close: () => {
          stopWaking();
          return runningPool.stop();
        },
      });
    }

    let spotChecker: SpotChecker | null = null;
    if (spot) {
      // One sandbox: its probe (Python + bubblewrap) runs once here and is cached for every check.
      const sandbox = new BubblewrapSandbox();
      spotChecker = new SpotChecker(
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
    }
    const measuredPool = pool;
    const executorMeasures = (): ExecutorMeasures | null => {
      if (!measuredPool) return null;
      const m = measuredPool.capacityInputs();
      return {
        cores: m.workers,
        cpuPerStepMs: m.cpuPerStepMs,
        slots: m.workers * m.maxPerWorker,
        miner: (endpoint) => {
          const x = m.miners.get(endpoint);
          return x ? { latencyMs: x.latencyMs, stepMs: x.stepMs, concurrency: x.limit } : null;
        },
      };
    };
    runner = new CycleRunner(
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
      store.clock,
      logger.child({ component: 'scheduler' }),
      {
        capacity: new CapacityMonitor(store, executorMeasures, { maxSteps: config.maxSteps }),
        onEstimate: (r) => metrics.recordCycleEstimate(r.estimate.totalSeconds, r.estimate.fits),
        spotCheck: spotChecker,
      },
    );
    scheduler = new Scheduler(store, runner, config.cycleCron, logger.child({ component: 'scheduler' }));
    const runningScheduler = scheduler;
    scheduler.onCycleEnd((o) => {
      metrics.cycles.inc({ outcome: o.status });
      if (o.status === 'completed') metrics.weightsPublished.inc();
    });
    closers.push({ name: 'scheduler', close: () => runningScheduler.stop() });

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
      closers.push({ name: 'validator', close: () => running.stop() });
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
        demoMiners: demoMinerUrls.length,
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
      demoMinerUrls,
      status: statusFn,
      statusExtension,
      async stop() {
        logger.info('appliance stopping');
        await closeAll();
        logger.info('appliance stopped');
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

/** Defaults of the embedded single-machine setup (`npm start` with no flags). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

export const ALL_ENVS: readonly EnvId[] = ENV_IDS;
