/**
 * The executor pool's machinery (worker threads, concurrency, fault taxonomy, leases, shutdown)
 * against real loopback policy servers, on the kinematic test backend so it runs without MuJoCo.
 * MuJoCo episodes are covered in executor-mujoco.test.ts (one MuJoCo episode: executor-episode.test.ts).
 */
import test from 'ava';
import { ExecutorPool, type ExecutorPoolOptions } from '../src/executor/pool.ts';
import { ListTaskSource, StoreTaskSource } from '../src/executor/task-source.ts';
import type { EpisodeOutcome, ExecutorTask } from '../src/executor/types.ts';
import { decodeImage } from '../src/sim/protocol.ts';
import { KINEMATIC_BACKEND_URL } from './helpers/kinematic-backend.ts';
import { closedPort, startPolicyServer, type Behaviour, type PolicyServer } from './helpers/policy-server.ts';
import { seedCycle, tempStore, waitFor } from './helpers/store.ts';
import { labelInstance } from './helpers/instances.ts';

const forward = () => ({ continuous: { ee_twist: [0.5, 0, 0, 0, 0, 0], gripper: [0] } });

function tasksFor(endpoint: string, n: number, options: { envId?: string; seed0?: number; untrusted?: boolean; prefix?: string } = {}): ExecutorTask[] {
  return Array.from({ length: n }, (_, i) => ({
    taskUuid: `${options.prefix ?? 't'}-${i}`,
    minerUid: 1,
    minerEndpoint: endpoint,
    envId: options.envId ?? 'metaworld/reach-v3',
    seed: (options.seed0 ?? 0) + i,
    instance: labelInstance((options.seed0 ?? 0) + i),
    untrustedEndpoint: options.untrusted ?? false,
  }));
}

function poolOptions(source: ExecutorPoolOptions['source'], extra: Partial<ExecutorPoolOptions> = {}): ExecutorPoolOptions {
  return {
    source,
    backendUrl: KINEMATIC_BACKEND_URL,
    workers: 2,
    maxConcurrentPerWorker: 8,
    pollIntervalMs: 20,
    reportDelayMs: 10,
    // The test miners declare nothing; these tests are about the machinery, so they run concurrently anyway.
    assumeCapacity: 16,
    // Generous deadlines: the box is shared, and these tests are about machinery, not timing.
    settings: { maxSteps: 40, actTimeoutMs: 3000, resetTimeoutMs: 5000 },
    ...extra,
  };
}

async function runAll(tasks: ExecutorTask[], extra: Partial<ExecutorPoolOptions> = {}) {
  const source = new ListTaskSource(tasks);
  const pool = await ExecutorPool.start(poolOptions(source, extra));
  const started = Date.now();
  try {
    await pool.whenDrained();
    return { source, stats: pool.stats(), seconds: (Date.now() - started) / 1000 };
  } finally {
    await pool.stop();
  }
}

test.serial('a normal miner: every episode succeeds with protocol-exact requests and valid observations', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  const observations: any[] = [];
  const capture = await startPolicyServer('normal', {
    action: (obs) => {
      observations.push(obs);
      return forward();
    },
  });
  try {
    const { source, stats } = await runAll([...tasksFor(server.url, 12), ...tasksFor(capture.url, 1, { prefix: 'c' })]);
    t.is(source.outcomes.size, 13);
    for (const o of source.outcomes.values()) {
      t.true(o.success, `${o.taskUuid}: ${o.error}`);
      t.is(o.score, 1);
      t.is(o.fault, null);
      t.true(o.timesteps >= 5 && o.timesteps < 40, `ends at success, took ${o.timesteps}`);
      t.true(o.meanActionLatencyMs! > 0 && o.maxActionLatencyMs! >= o.meanActionLatencyMs!);
    }
    const reset = server.resets[0] as { task_config: Record<string, unknown> };
    t.deepEqual(Object.keys(reset).sort(), ['task_config']);
    t.like(reset.task_config, { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' });
    t.deepEqual(
      Object.keys(reset.task_config).sort(),
      ['env_id', 'env_name', 'episode_id', 'task_name'],
      'no seed, no positions: identity and our episode id only',
    );
    t.is(server.resets.length, 12);
    const first = observations[0];
    t.deepEqual(Object.keys(first), ['rgb', 'depth', 'proprio', 'cam_intrinsics', 'cam_extrinsics', 'extra']);
    t.deepEqual(Object.keys(first.rgb).sort(), ['corner', 'corner2']);
    t.deepEqual(Object.keys(first.proprio).sort(), ['ee_pos', 'ee_quat', 'ee_vel_ang', 'ee_vel_lin', 'gripper']);
    t.is(decodeImage(first.rgb.corner).length, 84 * 84 * 3);
    // Each step is rendered from its own state: the hand's x (encoded in pixel 0) advances.
    const xs = observations.map((o) => decodeImage(o.rgb.corner)[0]!);
    t.deepEqual(xs, [0, 1, 1, 2, 2, 3, 3], 'hand x (cm, rounded) as rendered before each step');
    t.is(stats.episodes, 13);
    t.true(
      stats.renderBatches < stats.renderedScenes,
      `episodes stepping together share renders (${stats.renderBatches} batches for ${stats.renderedScenes} scenes)`,
    );
  } finally {
    await server.close();
    await capture.close();
  }
});

test.serial('waiting for miners does not serialize: 16 episodes against a 40 ms miner overlap', async (t) => {
  const server = await startPolicyServer('slow', { action: () => ({ continuous: { ee_twist: [0, 0, 0, 0, 0, 0] } }), slowMs: 40 });
  try {
    const { source, stats } = await runAll(tasksFor(server.url, 16), { settings: { maxSteps: 10, actTimeoutMs: 1000 } });
    t.is(source.outcomes.size, 16);
    for (const o of source.outcomes.values()) t.is(o.error, null);
    // Admission control decides how many (it backs off on a loaded machine), but never one at a time per worker pair.
    t.true(server.peakInFlight >= 2, `at most ${server.peakInFlight} in flight (${JSON.stringify(stats.admission)})`);
  } finally {
    await server.close();
  }
});

test.serial('every episode has its own id: in /reset and in every observation, the same within an episode and different across episodes', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  try {
    const { source } = await runAll(tasksFor(server.url, 6));
    t.is(source.outcomes.size, 6);
    const resetIds = server.resets.map((r) => (r as { task_config: { episode_id?: unknown } }).task_config.episode_id);
    t.true(
      resetIds.every((id) => typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)),
      'a UUID per reset',
    );
    t.is(new Set(resetIds).size, 6, 'six episodes, six ids');
    t.is(server.actEpisodeIds.length, server.acts);
    t.true(
      server.actEpisodeIds.every((id) => resetIds.includes(id)),
      'every observation names one of the reset episodes',
    );
    const stepsById = new Map<string, number>();
    for (const id of server.actEpisodeIds) stepsById.set(id!, (stepsById.get(id!) ?? 0) + 1);
    const steps = [...source.outcomes.values()].map((o) => o.actionCount).sort();
    t.deepEqual([...stepsById.values()].sort(), steps, "each episode's observations carry its own id");
  } finally {
    await server.close();
  }
});

test.serial('a miner runs as many episodes at once as it declares in /health (within the cap); one that declares nothing runs one at a time', async (t) => {
  const slow = () => ({ continuous: { ee_twist: [0, 0, 0, 0, 0, 0] } });
  const declaring = await startPolicyServer('slow', { action: slow, slowMs: 30, capacity: 4 });
  const silent = await startPolicyServer('slow', { action: slow, slowMs: 30 });
  const greedy = await startPolicyServer('slow', { action: slow, slowMs: 30, capacity: 1000 });
  try {
    const tasks = [...tasksFor(declaring.url, 8, { prefix: 'd' }), ...tasksFor(silent.url, 4, { prefix: 's' }), ...tasksFor(greedy.url, 12, { prefix: 'g' })];
    // Admission control is out of the way (it is tested on its own): this is about per-miner limits.
    const { source } = await runAll(tasks, {
      assumeCapacity: undefined,
      maxEpisodesPerMiner: 6,
      maxConcurrentPerWorker: 16,
      admission: { targetLoad: 1000, turnaroundBudgetMs: 1e9 },
      settings: { maxSteps: 8, actTimeoutMs: 3000 },
    });
    t.is(source.outcomes.size, 24);
    for (const o of source.outcomes.values()) t.is(o.error, null, o.taskUuid);
    t.is(silent.peakInFlight, 1, 'no declaration: one episode at a time, as the original protocol implies');
    t.true(declaring.peakInFlight > 1 && declaring.peakInFlight <= 4, `declared 4, had ${declaring.peakInFlight} at once`);
    t.true(greedy.peakInFlight > 1 && greedy.peakInFlight <= 6, `declared 1000, capped at 6, had ${greedy.peakInFlight} at once`);
    t.is(declaring.healthChecks, 1, 'the capacity is read once, not per episode');
    t.is(silent.healthChecks, 1);
  } finally {
    await Promise.all([declaring.close(), silent.close(), greedy.close()]);
  }
});

test.serial('a miner that runs one episode at a time does not hold up the miners queued behind it', async (t) => {
  const slow = () => ({ continuous: { ee_twist: [0, 0, 0, 0, 0, 0] } });
  const silent = await startPolicyServer('slow', { action: slow, slowMs: 100 });
  // How many episodes the silent miner had begun when the declaring one got its first /act.
  let silentResetsAtFirstAct: number | null = null;
  const declaring = await startPolicyServer('slow', {
    action: () => {
      silentResetsAtFirstAct ??= silent.resets.length;
      return slow();
    },
    slowMs: 10,
    capacity: 4,
  });
  try {
    // The silent miner's 25 tasks come first in the queue: with one episode at a time, they would
    // fill the pool's claim window (10) and the declaring miner would wait for most of them to end.
    const tasks = [...tasksFor(silent.url, 25, { prefix: 's' }), ...tasksFor(declaring.url, 8, { prefix: 'd' })];
    const { source } = await runAll(tasks, { assumeCapacity: undefined, settings: { maxSteps: 8, actTimeoutMs: 3000 } });
    t.is(source.outcomes.size, 33);
    for (const o of source.outcomes.values()) t.is(o.error, null, o.taskUuid);
    t.is(silent.peakInFlight, 1);
    t.true(declaring.peakInFlight > 1, `declaring 4, had ${declaring.peakInFlight} at once`);
    t.true(
      silentResetsAtFirstAct !== null && silentResetsAtFirstAct <= 5,
      `the declaring miner started after ${silentResetsAtFirstAct} of the silent miner's 25 episodes`,
    );
  } finally {
    await Promise.all([silent.close(), declaring.close()]);
  }
});

test.serial("a worker stalled for seconds does not make its other episodes' miners late: they are timed in the miner I/O thread", async (t) => {
  const server = await startPolicyServer('normal', { action: () => ({ continuous: { ee_twist: [0, 0, 0] } }) });
  try {
    // Episode 0 blocks its worker for 2.5 s per step; episodes 1-3 share that worker, their miner answers at once.
    const { source } = await runAll(tasksFor(server.url, 4), {
      workers: 1,
      // All four together in the one worker, whatever admission control would make of the stall.
      admission: { targetLoad: 1000, turnaroundBudgetMs: 1e9 },
      faultInjection: { stallOnSeed: 0, stallMs: 2500 },
      settings: { maxSteps: 3, actTimeoutMs: 1000, resetTimeoutMs: 5000 },
    });
    t.is(source.outcomes.size, 4);
    for (const o of source.outcomes.values()) {
      t.is(o.error, null, `${o.taskUuid}: never charged for our stall`);
      t.true(o.maxActionLatencyMs! < 1000, `${o.taskUuid}: measured ${o.maxActionLatencyMs?.toFixed(0)} ms, the miner's time, not the stall's`);
    }
  } finally {
    await server.close();
  }
});

const hostile: [Behaviour | 'refused', RegExp][] = [
  ['slow', /^Miner action timeout at step 0$/],
  ['hang-mid-body', /^Miner action timeout at step 0$/],
  ['invalid-json', /^Miner action failed at step 0: JSONDecodeError: /],
  ['nan', /^Miner action failed at step 0: JSONDecodeError: /],
  ['error-500', /^Miner action failed at step 0: HTTPStatusError: HTTP 500/],
  ['huge', /^Miner action failed at step 0: ResponseTooLarge: /],
  ['no-action', /^Miner returned no action at step 0$/],
  ['extra-keys', /^Miner action failed at step 0: ValidationError: /],
  ['reset-fails', /^Miner reset failed: HTTPStatusError: HTTP 500/],
  ['refused', /^Miner reset failed: ConnectError: /],
];

test.serial('hostile miners each fail their own episodes within their deadlines, and a good miner beside them still succeeds', async (t) => {
  t.timeout(120_000);
  const servers: PolicyServer[] = [];
  const tasks: ExecutorTask[] = [];
  const expected = new Map<string, RegExp>();
  try {
    for (const [behaviour, message] of hostile) {
      let url: string;
      if (behaviour === 'refused') url = `http://127.0.0.1:${await closedPort()}`;
      else {
        const server = await startPolicyServer(behaviour, { action: forward, slowMs: 30_000 });
        servers.push(server);
        url = server.url;
      }
      for (const task of tasksFor(url, 2, { prefix: behaviour })) {
        tasks.push(task);
        expected.set(task.taskUuid, message);
      }
    }
    const good = await startPolicyServer('normal', { action: forward });
    servers.push(good);
    tasks.push(...tasksFor(good.url, 4, { prefix: 'good' }));

    // Deadlines well above what the good miner (and the huge one's 5 MB reply) needs on a loaded box
    // and well below the slow one's 30 s (at 1.5 s the huge reply once missed its deadline at load 14).
    const { source } = await runAll(tasks, { settings: { maxSteps: 40, actTimeoutMs: 5000, resetTimeoutMs: 8000 } });
    t.is(source.outcomes.size, tasks.length);
    for (const [uuid, message] of expected) {
      const o = source.outcomes.get(uuid)!;
      t.regex(o.error ?? '', message, uuid);
      t.is(o.fault, 'miner', uuid);
      t.false(o.success);
      t.is(o.score, 0);
      t.is(o.timesteps, 0, 'error results report zero timesteps (original mapping)');
    }
    for (let i = 0; i < 4; i++) t.true(source.outcomes.get(`good-${i}`)!.success);
  } finally {
    await Promise.all(servers.map((s) => s.close()));
  }
});

test.serial('an endpoint from the chain that points at a private address is refused before any request', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  try {
    const { source } = await runAll(tasksFor(server.url, 2, { untrusted: true }));
    for (const o of source.outcomes.values()) {
      t.regex(o.error!, /^Miner endpoint refused: miner endpoint 127\.0\.0\.1:\d+ resolves to non-public address 127\.0\.0\.1/);
      t.is(o.fault, 'miner');
    }
    t.is(server.resets.length, 0);
    t.is(server.acts, 0);
    const allowed = await runAll(tasksFor(server.url, 1, { untrusted: true }), { settings: { maxSteps: 40, allowPrivateEndpoints: true } });
    t.true(allowed.source.outcomes.get('t-0')!.success);
  } finally {
    await server.close();
  }
});

test.serial('a worker crash is an executor fault: in-flight tasks are retried, the worker restarts, nothing is scored against the miner', async (t) => {
  const server = await startPolicyServer('slow', { action: forward, slowMs: 5 });
  const ts = tempStore();
  try {
    const { cycle } = seedCycle(ts.store, { uids: [1], envIds: ['metaworld/reach-v3'], episodes: 6 });
    ts.store.db.prepare('UPDATE task_pool SET miner_endpoint = ?').run(server.url);
    const crashSeed = 1002; // seedCycle gives seeds 1000 + episode index
    const source = new StoreTaskSource(ts.store, { executorId: 'local-crash0000001', maxAttempts: 3 });
    const pool = await ExecutorPool.start(
      poolOptions(source, { workers: 1, faultInjection: { exitOnSeed: crashSeed }, settings: { maxSteps: 40, allowPrivateEndpoints: true } }),
    );
    try {
      // Three restarts with back-off, each loading MuJoCo: generous on a loaded box.
      await waitFor(() => ts.store.tasks.isCycleDone(cycle.id), { timeoutMs: 120_000, what: 'cycle done' });
      const stats = pool.stats();
      t.true(stats.workerRestarts >= 3, `restarts: ${stats.workerRestarts}`);
    } finally {
      await pool.stop();
    }
    const rows = ts.store.tasks.listForCycle(cycle.id, { limit: 100, offset: 0 }).tasks;
    const crashed = rows.find((r) => r.seed === crashSeed)!;
    t.is(crashed.status, 'failed');
    t.is(crashed.fault, 'executor', 'never scored as the miner failing');
    t.is(crashed.attempts, 3);
    t.regex(crashed.lastError!, /Executor worker crashed \(exit code 70\)/);
    for (const r of rows.filter((x) => x.seed !== crashSeed)) {
      t.is(r.status, 'completed', `seed ${r.seed}: ${JSON.stringify(r.result)}`);
      t.is(r.fault, null);
      t.is(r.attempts, 0, 'episodes that shared the crashed worker were re-run alone at no cost');
    }
  } finally {
    ts.cleanup();
    await server.close();
  }
});

test.serial('a simulator error is an executor fault and the task is retried', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  try {
    const tasks = tasksFor(server.url, 3);
    const outcomes: EpisodeOutcome[] = [];
    const { source } = await runAll(tasks, { faultInjection: { throwOnSeed: 1 }, onOutcome: (o) => void outcomes.push(o) });
    const failed = source.outcomes.get('t-1')!;
    t.is(failed.fault, 'executor');
    t.regex(failed.error!, /^Simulator error during step: Error: injected simulator fault$/);
    t.is(outcomes.filter((o) => o.taskUuid === 't-1').length, 3, 'tried three times');
    t.true(source.outcomes.get('t-0')!.success);
    t.true(source.outcomes.get('t-2')!.success);
  } finally {
    await server.close();
  }
});

test.serial('leases are renewed while episodes run, and stop() gives unfinished tasks back without costing an attempt', async (t) => {
  const server = await startPolicyServer('slow', { action: () => ({ continuous: { ee_twist: [0, 0, 0] } }), slowMs: 50 });
  const ts = tempStore();
  try {
    const { cycle } = seedCycle(ts.store, { uids: [1], envIds: ['metaworld/reach-v3'], episodes: 4 });
    ts.store.db.prepare('UPDATE task_pool SET miner_endpoint = ?').run(server.url);
    const source = new StoreTaskSource(ts.store, { executorId: 'local-lease000001' });
    const pool = await ExecutorPool.start(
      poolOptions(source, { workers: 1, heartbeatIntervalMs: 50, settings: { maxSteps: 500, actTimeoutMs: 1000, allowPrivateEndpoints: true } }),
    );
    const claimedAt = await waitFor(() => ts.store.tasks.listForCycle(cycle.id, { limit: 10, offset: 0, status: 'assigned' }).tasks[0]?.assignedAt);
    ts.clock.advance(120);
    const renewed = await waitFor(
      () => {
        const rows = ts.store.tasks.listForCycle(cycle.id, { limit: 10, offset: 0, status: 'assigned' }).tasks;
        return rows.length === 4 && rows.every((r) => r.assignedAt! > claimedAt) ? rows : null;
      },
      { what: 'leases renewed' },
    );
    t.is(renewed.length, 4);
    await pool.stop({ drainTimeoutMs: 100 });
    const rows = ts.store.tasks.listForCycle(cycle.id, { limit: 10, offset: 0 }).tasks;
    t.true(rows.every((r) => r.status === 'pending' && r.attempts === 0 && r.assignedTo === null));
  } finally {
    ts.cleanup();
    await server.close();
  }
});

test.serial('a pool whose simulator cannot load refuses to start and says why', async (t) => {
  const source = new ListTaskSource([]);
  const err = await t.throwsAsync(() => ExecutorPool.start(poolOptions(source, { backendUrl: new URL('./helpers/no-such-backend.ts', import.meta.url).href })));
  t.regex(err!.message, /^no executor worker could start: .*no-such-backend/);
});

test.serial('a second stop() shortens the grace period of the first', async (t) => {
  const server = await startPolicyServer('slow', { action: () => ({}), slowMs: 100 });
  try {
    const source = new ListTaskSource(tasksFor(server.url, 4));
    const pool = await ExecutorPool.start(poolOptions(source, { workers: 1, settings: { maxSteps: 500, actTimeoutMs: 3000 } }));
    await waitFor(() => server.acts >= 4, { what: 'episodes running' });
    const started = Date.now();
    const graceful = pool.stop({ drainTimeoutMs: 60_000 });
    await pool.stop({ drainTimeoutMs: 0 });
    await graceful;
    t.true(Date.now() - started < 5000, `stopped after ${Date.now() - started} ms`);
    t.is(source.outcomes.size, 0);
    t.false(source.exhausted(), 'unfinished episodes went back to the source');
  } finally {
    await server.close();
  }
});
