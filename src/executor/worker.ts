/**
 * An executor worker thread: owns one simulation backend (one MuJoCo module), reuses environment
 * instances per env id, keeps one keep-alive client per miner, and runs many episodes at once so
 * that while some wait for their miners, others step and render. Started through
 * worker-bootstrap.mjs (which installs the TypeScript loader first).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EpisodeEnvironment, SimulationBackend, SimulationBackendModule } from './environment.ts';
import { runEpisode, type EpisodeRecorder, type MinerPort } from './episode.ts';
import { MinerClient, MinerFault } from './miner-client.ts';
import { checkEndpoint, EndpointRefused } from './endpoint-policy.ts';
import { publicOnlyLookup } from './public-lookup.ts';
import { RenderBatcher } from './render-batcher.ts';
import { executorFault, type EpisodeOutcome, type ExecutorTask, type RecordedEpisode } from './types.ts';
import type { FromWorker, ToWorker, WorkerConfig, WorkerStats } from './worker-protocol.ts';

const MINER_CLIENT_IDLE_MS = 60_000;
const ENDPOINT_CHECK_TTL_MS = 60_000;

if (!parentPort) throw new Error('worker.ts must run inside a worker thread');
const port = parentPort;
const config = workerData as WorkerConfig;
const post = (message: FromWorker) => port.postMessage(message);

const loadStarted = performance.now();
const backendModule = (await import(config.backendUrl)) as SimulationBackendModule;
const backend: SimulationBackend = await backendModule.createBackend({ useImages: config.settings.useImages });
const batcher = new RenderBatcher(backend.renderer);

/** Idle environment instances per scene key (env id and randomization family). */
const idleEnvs = new Map<string, EpisodeEnvironment[]>();
let envInstances = 0;

async function acquireEnv(envId: string, instance: string): Promise<EpisodeEnvironment> {
  const idle = idleEnvs.get(backend.sceneKey(envId, instance));
  if (idle && idle.length > 0) return idle.pop()!;
  const env = await backend.createEnvironment(envId, instance);
  envInstances += 1;
  return env;
}

function releaseEnv(env: EpisodeEnvironment, healthy: boolean): void {
  if (!healthy) {
    // A simulator error may have left the instance in a bad state: never reuse it.
    envInstances -= 1;
    try {
      env.dispose();
    } catch {
      /* already broken */
    }
    return;
  }
  let idle = idleEnvs.get(env.sceneKey);
  if (!idle) idleEnvs.set(env.sceneKey, (idle = []));
  idle.push(env);
  // Keep at most one idle instance per concurrent episode: when the task mix moves on to other
  // environments, the oldest instance of the best-stocked environment goes.
  let totalIdle = 0;
  let fullest: EpisodeEnvironment[] = idle;
  for (const list of idleEnvs.values()) {
    totalIdle += list.length;
    if (list.length > fullest.length) fullest = list;
  }
  if (totalIdle > config.maxConcurrent) {
    envInstances -= 1;
    fullest.shift()!.dispose();
  }
}

interface ClientEntry {
  client: MinerClient;
  users: number;
  lastUsed: number;
}
const clients = new Map<string, ClientEntry>();

/** Clients for chain endpoints (`publicOnly`) also check the address they dial (DNS rebinding). */
function acquireClient(endpoint: string, publicOnly: boolean): ClientEntry {
  const key = `${publicOnly ? 'public' : 'any'} ${endpoint}`;
  let entry = clients.get(key);
  if (!entry) {
    const client = new MinerClient(endpoint, {
      actTimeoutMs: config.settings.actTimeoutMs,
      resetTimeoutMs: config.settings.resetTimeoutMs,
      // One connection per concurrent episode: an episode never queues behind another one's request,
      // so the act deadline measures the miner, not our queue.
      connections: config.maxConcurrent,
      ...(publicOnly ? { lookup: publicOnlyLookup } : {}),
    });
    entry = { client, users: 0, lastUsed: Date.now() };
    clients.set(key, entry);
  }
  entry.users += 1;
  return entry;
}

const sweep = setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of clients) {
    if (entry.users === 0 && now - entry.lastUsed > MINER_CLIENT_IDLE_MS) {
      clients.delete(key);
      void entry.client.close();
    }
  }
}, MINER_CLIENT_IDLE_MS / 2);
sweep.unref();

const endpointChecks = new Map<string, { at: number; refusal: string | null }>();

async function checkEndpointCached(endpoint: string): Promise<void> {
  const cached = endpointChecks.get(endpoint);
  if (!cached || Date.now() - cached.at > ENDPOINT_CHECK_TTL_MS) {
    let refusal: string | null = null;
    try {
      await checkEndpoint(endpoint, { allowPrivate: config.settings.allowPrivateEndpoints });
    } catch (err) {
      if (!(err instanceof EndpointRefused)) throw err;
      refusal = err.message;
    }
    endpointChecks.set(endpoint, { at: Date.now(), refusal });
    if (endpointChecks.size > 10_000) endpointChecks.clear();
  }
  const refusal = endpointChecks.get(endpoint)!.refusal;
  if (refusal !== null) throw new EndpointRefused(refusal);
}

const stats = { episodes: 0, steps: 0 };
let outbox: EpisodeOutcome[] = [];
let flushScheduled = false;

function deliver(outcome: EpisodeOutcome): void {
  outbox.push(outcome);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      const results = outbox;
      outbox = [];
      post({ type: 'results', results, stats: currentStats() });
    });
  }
}

function currentStats(): WorkerStats {
  return { episodes: stats.episodes, steps: stats.steps, envInstances, render: { ...batcher.stats }, activeMs: performance.eventLoopUtilization().active };
}

const STATS_INTERVAL_MS = 1000;
let lastReportedSteps = 0;
const statsTimer = setInterval(() => {
  if (stats.steps === lastReportedSteps) return;
  lastReportedSteps = stats.steps;
  post({ type: 'stats', stats: currentStats() });
}, STATS_INTERVAL_MS);
statsTimer.unref();

/** A client that could not even be built (malformed endpoint) fails like an unreachable miner. */
function brokenMiner(message: string): MinerPort {
  return {
    reset: () => Promise.reject(new MinerFault(`Miner reset failed: InvalidURL: ${message}`)),
    act: () => Promise.reject(new MinerFault('unreachable')),
  };
}

async function runTask(task: ExecutorTask): Promise<void> {
  const injection = config.faultInjection;
  if (injection?.exitOnSeed === task.seed) {
    // Simulated crash: the thread dies with work in flight.
    process.exit(70);
  }
  let entry: ClientEntry | undefined;
  let env: EpisodeEnvironment | undefined;
  let outcome: EpisodeOutcome;
  try {
    let miner: MinerPort;
    try {
      entry = acquireClient(task.minerEndpoint, task.untrustedEndpoint && !config.settings.allowPrivateEndpoints);
      miner = entry.client;
    } catch (err) {
      miner = brokenMiner((err as Error).message);
    }
    env = await acquireEnv(task.envId, task.instance);
    const episodeEnv = injection?.throwOnSeed === task.seed ? withInjectedStepFault(env) : env;
    const recorded = task.recordSteps ? recordOpening(task.recordSteps) : undefined;
    outcome = await runEpisode(task, {
      env: episodeEnv,
      miner,
      render: (scene) => batcher.render(scene),
      checkEndpoint: checkEndpointCached,
      settings: config.settings,
      onStep: () => (stats.steps += 1),
      recorder: recorded?.recorder,
    });
    if (recorded) outcome = { ...outcome, recorded: recorded.episode };
  } catch (err) {
    // Only the environment construction can land here (runEpisode never throws).
    outcome = executorFault(task.taskUuid, `Executor error: could not create environment ${task.envId}: ${(err as Error).message}`);
  }
  if (env) releaseEnv(env, outcome.fault !== 'executor');
  if (entry) {
    entry.users -= 1;
    entry.lastUsed = Date.now();
  }
  stats.episodes += 1;
  deliver(outcome);
}

/** Keeps the reset config and the first `limit` steps of an episode. */
function recordOpening(limit: number): { recorder: EpisodeRecorder; episode: RecordedEpisode } {
  const episode: RecordedEpisode = { resetConfig: null, steps: [] };
  return {
    episode,
    recorder: {
      reset: (taskConfig) => (episode.resetConfig = { ...taskConfig }),
      step: (observation, action) => {
        if (episode.steps.length < limit) episode.steps.push({ observation, action: { eeTwist: [...action.eeTwist], gripper: action.gripper } });
      },
    },
  };
}

function withInjectedStepFault(env: EpisodeEnvironment): EpisodeEnvironment {
  return new Proxy(env, {
    get(target, prop, receiver) {
      if (prop === 'step') {
        return () => {
          throw new Error('injected simulator fault');
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function shutdown(): Promise<void> {
  clearInterval(sweep);
  clearInterval(statsTimer);
  await Promise.allSettled([...clients.values()].map((e) => e.client.close()));
  for (const list of idleEnvs.values()) for (const env of list) env.dispose();
  backend.renderer.dispose?.();
  backend.dispose?.();
  post({ type: 'closed' });
  port.close();
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') for (const task of message.tasks) void runTask(task);
  else if (message.type === 'shutdown') void shutdown();
});

post({ type: 'ready', loadMs: performance.now() - loadStarted });
