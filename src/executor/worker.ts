/**
 * An executor worker thread: owns one simulation backend (one MuJoCo module), reuses environment
 * instances per env id, and runs many episodes at once so that while some wait for their miners,
 * others step and render. Miner HTTP runs in the worker's own miner I/O thread (miner-link.ts), so
 * nothing this thread does (a long render batch, building a model) delays a request or the reading
 * of an answer. Started through worker-bootstrap.mjs (which installs the TypeScript loader first).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EpisodeEnvironment, SimulationBackend, SimulationBackendModule } from './environment.ts';
import { runEpisode, type EpisodeRecorder } from './episode.ts';
import { MinerLink } from './miner-link.ts';
import { checkEndpoint, EndpointRefused } from './endpoint-policy.ts';
import { RenderBatcher } from './render-batcher.ts';
import { executorFault, type EpisodeOutcome, type ExecutorTask, type RecordedEpisode } from './types.ts';
import type { FromWorker, ToWorker, WorkerConfig, WorkerStats } from './worker-protocol.ts';

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

const link = new MinerLink({
  actTimeoutMs: config.settings.actTimeoutMs,
  resetTimeoutMs: config.settings.resetTimeoutMs,
  connections: config.maxConcurrent,
});

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
/** Where this thread's time went, summed over every step (ms). */
const phases = { simMs: 0, renderMs: 0, encodeMs: 0 };

/**
 * Miner time per endpoint since the last stats message (the pool's admission control and the
 * capacity model read it), and this thread's CPU per step (event-loop busy time over steps).
 */
let latencyWindow = new Map<string, { sum: number; n: number }>();
let lastElu = performance.eventLoopUtilization();
let lastEluSteps = 0;
let cpuPerStepMs: number | null = null;
/** Busy time spent building and resetting environments: a start-up cost, kept out of the per-step figure. */
let setupMs = 0;
let lastSetupMs = 0;
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
  const elu = performance.eventLoopUtilization();
  const steps = stats.steps - lastEluSteps;
  // Needs enough steps to mean something; an idle period keeps the last estimate.
  if (steps >= 20) {
    const perStep = Math.max(0, elu.active - lastElu.active - (setupMs - lastSetupMs)) / steps;
    lastSetupMs = setupMs;
    cpuPerStepMs = cpuPerStepMs === null ? perStep : 0.5 * cpuPerStepMs + 0.5 * perStep;
    lastElu = elu;
    lastEluSteps = stats.steps;
  }
  const minerLatencyMs: Record<string, { meanMs: number; n: number }> = {};
  for (const [endpoint, w] of latencyWindow) minerLatencyMs[endpoint] = { meanMs: w.sum / w.n, n: w.n };
  latencyWindow = new Map();
  return {
    episodes: stats.episodes,
    steps: stats.steps,
    envInstances,
    render: { ...batcher.stats },
    activeMs: elu.active,
    phases: { ...phases },
    ioActiveMs: link.load.activeMs,
    cpuPerStepMs,
    ioLagP99Ms: link.load.p99LagMs,
    minerLatencyMs,
  };
}

const STATS_INTERVAL_MS = 1000;
let lastReportedSteps = 0;
const statsTimer = setInterval(() => {
  if (stats.steps === lastReportedSteps && latencyWindow.size === 0) return;
  lastReportedSteps = stats.steps;
  post({ type: 'stats', stats: currentStats() });
}, STATS_INTERVAL_MS);
statsTimer.unref();

/** Declared capacities probed for the pool (`GET /health`), sent back as they come in. */
async function probeCapacity(endpoint: string, publicOnly: boolean): Promise<void> {
  const health = await link.port(endpoint, publicOnly).health();
  post({ type: 'capacity', endpoint, capacity: health.maxConcurrentEpisodes });
}

function recordLatency(endpoint: string, ms: number): void {
  const w = latencyWindow.get(endpoint);
  if (w) {
    w.sum += ms;
    w.n += 1;
  } else latencyWindow.set(endpoint, { sum: ms, n: 1 });
}

async function runTask(task: ExecutorTask, probe: boolean): Promise<void> {
  const injection = config.faultInjection;
  if (injection?.exitOnSeed === task.seed) {
    // Simulated crash: the thread dies with work in flight.
    process.exit(70);
  }
  const publicOnly = task.untrustedEndpoint && !config.settings.allowPrivateEndpoints;
  let env: EpisodeEnvironment | undefined;
  let outcome: EpisodeOutcome;
  try {
    // The endpoint policy runs before anything is sent to a chain endpoint, the health probe included.
    if (probe && !(task.untrustedEndpoint && (await endpointRefused(task.minerEndpoint)))) await probeCapacity(task.minerEndpoint, publicOnly);
    else if (probe) post({ type: 'capacity', endpoint: task.minerEndpoint, capacity: null });
    const setupStarted = performance.now();
    env = await acquireEnv(task.envId, task.instance);
    setupMs += performance.now() - setupStarted;
    const episodeEnv =
      injection?.throwOnSeed === task.seed
        ? withInjectedStepFault(env)
        : injection?.stallOnSeed === task.seed
          ? withInjectedStall(env, injection.stallMs ?? 0)
          : env;
    const recorded = task.recordSteps ? recordOpening(task.recordSteps) : undefined;
    outcome = await runEpisode(task, {
      env: episodeEnv,
      miner: link.port(task.minerEndpoint, publicOnly),
      render: (scene) => batcher.render(scene),
      checkEndpoint: checkEndpointCached,
      settings: config.settings,
      onReset: (ms) => (setupMs += ms),
      totals: phases,
      onStep: (minerMs) => {
        stats.steps += 1;
        recordLatency(task.minerEndpoint, minerMs);
      },
      recorder: recorded?.recorder,
    });
    if (recorded) outcome = { ...outcome, recorded: recorded.episode };
  } catch (err) {
    // Only the environment construction can land here (runEpisode never throws).
    outcome = executorFault(task.taskUuid, `Executor error: could not create environment ${task.envId}: ${(err as Error).message}`);
  }
  if (env) releaseEnv(env, outcome.fault !== 'executor');
  stats.episodes += 1;
  deliver(outcome);
}

async function endpointRefused(endpoint: string): Promise<boolean> {
  try {
    await checkEndpointCached(endpoint);
    return false;
  } catch {
    return true;
  }
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

function withInjectedStall(env: EpisodeEnvironment, ms: number): EpisodeEnvironment {
  return new Proxy(env, {
    get(target, prop, receiver) {
      if (prop === 'step') {
        return (action: Parameters<EpisodeEnvironment['step']>[0]) => {
          const end = performance.now() + ms;
          while (performance.now() < end) {
            /* this thread is stalled: nothing else in it runs */
          }
          return target.step(action);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function shutdown(): Promise<void> {
  clearInterval(statsTimer);
  await link.close();
  for (const list of idleEnvs.values()) for (const env of list) env.dispose();
  backend.renderer.dispose?.();
  backend.dispose?.();
  post({ type: 'closed' });
  port.close();
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'run') {
    const probe = new Set(message.probe ?? []);
    for (const task of message.tasks) {
      const first = probe.delete(task.minerEndpoint);
      void runTask(task, first);
    }
  } else if (message.type === 'shutdown') void shutdown();
});

post({ type: 'ready', loadMs: performance.now() - loadStarted });
