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
import { buildCommitment } from './chain/commitment.ts';
import { CycleRunner, DEFAULT_CYCLE_SETTINGS } from './cron/cycle.ts';
import { Scheduler } from './cron/scheduler.ts';
import { LOCAL_EXECUTOR_PREFIX, startInProcessExecutors, type ExecutorPool } from './executor/index.ts';
import { withTimeout } from './chain/timeout.ts';
import { startInProcessValidator, type InProcessValidator } from './validator/in-process.ts';
import type { Randomization } from './sim/instance.ts';

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
  allowPrivateEndpoints: boolean;
  backendPrivateKey: string | null;
  minCoverage: number;
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
  stop(): Promise<void>;
}

interface Closer {
  name: string;
  close(): Promise<void> | void;
}

async function openApplianceChain(config: ApplianceConfig, store: Store, logger: Logger): Promise<ChainClient> {
  const chain = await openChain({ spec: config.chain, db: store.db, dbLabel: config.db, logger });
  // The demo subnet lets a validator set weights every 25 blocks (5 min) so each 10-minute cycle lands.
  if (chain instanceof LocalChain) chain.ensureSubnet(config.netuid, { weightsRateLimit: 25 });
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

export async function startAppliance(config: ApplianceConfig, logger: Logger = createLogger({ level: config.logLevel })): Promise<RunningAppliance> {
  const closers: Closer[] = [];
  const closeAll = async () => {
    for (const c of closers.reverse()) {
      try {
        await c.close();
      } catch (err) {
        logger.warn({ err: (err as Error).message, service: c.name }, 'error while stopping');
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
    const chain = await openApplianceChain(config, store, logger);
    closers.push({ name: 'chain', close: () => chain.close() });
    const operator = config.hotkeyUri ? await hotkeyFromUri(config.hotkeyUri) : null;

    const demoMinerUrls: string[] = [];
    if (config.demoMiners > 0) {
      if (!(chain instanceof LocalChain)) throw new Error('demo miners need the embedded local chain (--chain local)');
      const { startDemoMiners } = await import('./miner/demo.ts');
      const miners = await startDemoMiners(config.demoMiners, {
        logger: logger.child({ component: 'demo-miner' }),
        basePort: config.port > 0 ? config.port + 1 : undefined,
      });
      closers.push({ name: 'demo miners', close: async () => void (await Promise.all(miners.map((m) => m.close()))) });
      // Register everyone first without waiting, then commit in parallel: all of it lands in the next
      // block, so start-up waits for one 12 s block instead of one per call.
      if (operator) await chain.ensureRegistered(config.netuid, operator.address, { wait: false });
      const keys = await Promise.all(miners.map((_, i) => hotkeyFromUri(`//kinitro-demo-miner-${i}`)));
      const uids: number[] = [];
      for (const key of keys) uids.push((await chain.ensureRegistered(config.netuid, key.address, { wait: false })).uid);
      const committed = (await chain.snapshot(config.netuid)).commitments;
      await Promise.all(
        miners.map(async (m, i) => {
          const commitment = buildCommitment({ repo: `kinitro-demo/${m.name}`, revision: 'demo0000', endpoint: m.url });
          // Re-committing resets first-commit priority, so only commit what changed (ports change per run).
          if (committed.find((c) => c.hotkey === keys[i]!.address)?.data !== commitment) await chain.setCommitment(config.netuid, keys[i]!, commitment);
          logger.info({ uid: uids[i], policy: m.name }, 'demo miner committed');
        }),
      );
      // In miner order, not in the order the commits happened to finish.
      demoMinerUrls.push(...miners.map((m) => m.url));
    }

    // Declared before the API starts: its status route reads them as they come up.
    let pool: ExecutorPool | null = null;
    let scheduler: Scheduler | null = null;
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
        version: '0.1.0',
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

    const api = await startApi({
      store,
      logger: logger.child({ component: 'api' }),
      host: config.host,
      port: config.port,
      apiKey: config.apiKey,
      authDisabled: config.authDisabled,
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
    });
    closers.push({ name: 'api', close: () => api.close() });

    if (config.workers > 0) {
      pool = await startInProcessExecutors({
        store,
        envIds: config.envIds,
        workers: config.workers,
        maxEpisodesPerMiner: config.maxEpisodesPerMiner,
        pollIntervalMs: 1000,
        settings: { maxSteps: config.maxSteps, useImages: config.useImages, allowPrivateEndpoints: config.allowPrivateEndpoints },
        logger: logger.child({ component: 'executor' }),
        onOutcome: (o, task) =>
          metrics.recordEpisode({
            envId: task.envId,
            durationSeconds: (o.timings.resetMs + o.timings.simMs + o.timings.renderMs + o.timings.encodeMs + o.timings.actMs) / 1000,
            steps: o.stepsRun,
            meanActionLatencyMs: o.meanActionLatencyMs ?? undefined,
            success: o.success,
            fault: o.fault,
          }),
      });
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
      },
      store.clock,
      logger.child({ component: 'scheduler' }),
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
      const running = await startInProcessValidator({ store, chain, netuid: config.netuid, hotkey: operator, logger, metrics, pollIntervalMs: 12_000 });
      validator = running;
      closers.push({ name: 'validator', close: () => running.stop() });
    }

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
