/**
 * Live-miner evaluation on the real simulator: MuJoCo environments in worker threads, both cameras
 * rendered, against loopback policy servers that follow (or break) the original protocol.
 */
import test from 'ava';
import { evaluateEndpoint, summarize } from '../src/executor/evaluate-endpoint.ts';
import { LOCAL_EXECUTOR_PREFIX, startInProcessExecutors } from '../src/executor/index.ts';
import { seedCycle, tempStore, waitFor } from './helpers/store.ts';
import type { EpisodeOutcome } from '../src/executor/types.ts';
import { decodeImage } from '../src/sim/protocol.ts';
import { describeEnvironment, ENV_IDS, type EnvId } from '../src/sim/registry.ts';
import { startPolicyServer } from './helpers/policy-server.ts';
import { labelInstance } from './helpers/instances.ts';

const isFiniteArray = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number' && Number.isFinite(x));

test.serial('one episode per environment against a protocol-following miner: valid observations, no seed in /reset', async (t) => {
  const observations: any[] = [];
  const server = await startPolicyServer('normal', {
    action: (obs) => {
      observations.push(obs);
      return { continuous: { ee_twist: [0.3, -0.2, 0.1, 0, 0, 0], gripper: [0.5] }, discrete: {}, extra: {} };
    },
  });
  try {
    const summary = await evaluateEndpoint({ endpoint: server.url, envIds: ENV_IDS, episodes: 1, seed: 7, maxSteps: 6, workers: 2, actTimeoutMs: 5000 });
    t.is(summary.endpoint, server.url);
    t.deepEqual(Object.keys(summary.envs), [...ENV_IDS]);
    for (const [envId, s] of Object.entries(summary.envs)) {
      t.is(s.errors, 0, `${envId}: ${JSON.stringify(s.error_messages)}`);
      t.is(s.episodes, 1);
      t.true(s.mean_steps > 0 && s.mean_steps <= 6);
      t.true(Number.isFinite(s.mean_reward));
      t.true(s.mean_action_latency_ms! > 0);
    }
    t.is(
      summary.steps,
      Object.values(summary.envs).reduce((n, s) => n + s.mean_steps, 0),
    );

    t.is(server.resets.length, ENV_IDS.length);
    const resetEnvs = server.resets.map((r) => (r as { task_config: { env_id: string } }).task_config.env_id).sort();
    t.deepEqual(resetEnvs, [...ENV_IDS].sort());
    for (const r of server.resets) {
      const config = (r as { task_config: Record<string, string> }).task_config;
      t.deepEqual(Object.keys(config).sort(), ['env_id', 'env_name', 'episode_id', 'task_name'], 'identity only: no seed, positions or physics');
      t.regex(config.episode_id!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a random UUID, unrelated to the task');
      t.is(`${config.env_name}/`, config.env_id!.slice(0, config.env_id!.indexOf('/') + 1));
      t.is(config.task_name, describeEnvironment(config.env_id as EnvId).metaworldTask, "the original's MetaWorld task name");
    }

    const episodeIds = new Set(server.resets.map((r) => (r as { task_config: { episode_id: string } }).task_config.episode_id));
    t.is(episodeIds.size, ENV_IDS.length, 'one fresh id per episode');
    t.is(observations.length, summary.steps);
    for (const obs of observations) {
      t.deepEqual(Object.keys(obs), ['rgb', 'depth', 'proprio', 'cam_intrinsics', 'cam_extrinsics', 'extra']);
      t.deepEqual(Object.keys(obs.rgb), ['corner', 'corner2']);
      for (const camera of ['corner', 'corner2']) {
        const image = obs.rgb[camera];
        t.deepEqual(image.shape, [84, 84, 3]);
        t.is(image.dtype, 'uint8');
        t.is(decodeImage(image).length, 84 * 84 * 3);
        t.true(obs.cam_intrinsics[camera].length === 3 && obs.cam_intrinsics[camera].every((row: unknown) => isFiniteArray(row, 3)));
        t.true(obs.cam_extrinsics[camera].length === 4 && obs.cam_extrinsics[camera].every((row: unknown) => isFiniteArray(row, 4)));
      }
      t.deepEqual(Object.keys(obs.proprio).sort(), ['ee_pos', 'ee_quat', 'ee_vel_ang', 'ee_vel_lin', 'gripper']);
      t.true(isFiniteArray(obs.proprio.ee_pos, 3) && isFiniteArray(obs.proprio.ee_quat, 4) && isFiniteArray(obs.proprio.gripper, 1));
      t.true(isFiniteArray(obs.proprio.ee_vel_lin, 3) && isFiniteArray(obs.proprio.ee_vel_ang, 3));
      t.deepEqual(obs.depth, {});
      t.deepEqual(Object.keys(obs.extra), ['episode_id'], 'extra carries the episode id and nothing else');
      t.true(episodeIds.has(obs.extra.episode_id), 'the id of an episode this miner was reset for');
    }
    // The two cameras see different pictures, and the picture changes as the hand moves.
    const first = observations[0];
    t.notDeepEqual(first.rgb.corner.data, first.rgb.corner2.data);
    const sameEpisode = observations.filter((o) => o.cam_extrinsics.corner[0][3] === first.cam_extrinsics.corner[0][3]);
    t.true(new Set(sameEpisode.map((o) => o.rgb.corner.data)).size > 1);
  } finally {
    await server.close();
  }
});

test.serial('slow and garbage miners fail within their deadlines on the real simulator, and the same process evaluates a good miner afterwards', async (t) => {
  const slow = await startPolicyServer('slow', { slowMs: 3000 });
  const garbage = await startPolicyServer('invalid-json');
  const good = await startPolicyServer('normal');
  try {
    const [s, g] = await Promise.all([
      evaluateEndpoint({ endpoint: slow.url, envIds: ['metaworld/push-v3'], episodes: 2, seed: 1, maxSteps: 20, workers: 1, actTimeoutMs: 300 }),
      evaluateEndpoint({ endpoint: garbage.url, envIds: ['metaworld/push-v3'], episodes: 2, seed: 1, maxSteps: 20, workers: 1, actTimeoutMs: 300 }),
    ]);
    // A timeout at step 0 is the deadline at work (without it the slow miner's 3 s answers would be taken).
    t.deepEqual(s.envs['metaworld/push-v3']!.error_messages, [{ message: 'Miner action timeout at step 0', count: 2 }]);
    t.is(s.envs['metaworld/push-v3']!.success_rate, 0);
    t.regex(g.envs['metaworld/push-v3']!.error_messages[0]!.message, /^Miner action failed at step 0: JSONDecodeError: /);
    const ok = await evaluateEndpoint({ endpoint: good.url, envIds: ['metaworld/push-v3'], episodes: 2, seed: 1, maxSteps: 5, workers: 1, actTimeoutMs: 5000 });
    t.is(ok.envs['metaworld/push-v3']!.errors, 0);
    t.is(ok.steps, 10);
  } finally {
    await Promise.all([slow.close(), garbage.close(), good.close()]);
  }
});

test.serial('the same seed reproduces the same episodes, on fresh and on reused environment instances', async (t) => {
  const server = await startPolicyServer('normal', { action: () => ({ continuous: { ee_twist: [0.2, 0.4, -0.3], gripper: [1] } }) });
  try {
    // concurrency 1: one instance runs episodes 0, 1, 2 in turn; concurrency 3: three fresh instances.
    const run = async (concurrency: number) => {
      const rewards: number[] = [];
      await evaluateEndpoint({
        endpoint: server.url,
        envIds: ['metaworld/pick-place-v3'],
        episodes: 3,
        seed: 3,
        maxSteps: 15,
        workers: 1,
        concurrency,
        images: false,
        actTimeoutMs: 5000,
        onEpisode: (_env, i, o) => (rewards[i] = o.error === null ? o.totalReward : NaN),
      });
      return rewards;
    };
    const reused = await run(1);
    const fresh = await run(3);
    t.true(
      reused.every((r) => Number.isFinite(r) && r > 0),
      reused.join(', '),
    );
    t.deepEqual(reused, fresh);
    t.not(reused[0], reused[1], 'different seeds, different episodes');
  } finally {
    await server.close();
  }
});

test.serial("the appliance's in-process executors run a cycle from the store", async (t) => {
  t.timeout(180_000);
  const server = await startPolicyServer('normal');
  const ts = tempStore();
  try {
    const { cycle, uuids } = seedCycle(ts.store, { uids: [1, 2], envIds: ['metaworld/door-open-v3', 'metaworld/drawer-close-v3'], episodes: 2 });
    ts.store.db.prepare('UPDATE task_pool SET miner_endpoint = ?').run(server.url);
    const pool = await startInProcessExecutors({
      store: ts.store,
      workers: 1,
      pollIntervalMs: 50,
      settings: { maxSteps: 5, allowPrivateEndpoints: true, actTimeoutMs: 5000 },
    });
    t.true(pool.executorId.startsWith(LOCAL_EXECUTOR_PREFIX));
    try {
      await waitFor(() => ts.store.tasks.isCycleDone(cycle.id), { timeoutMs: 120_000, what: 'cycle done' });
    } finally {
      await pool.stop();
    }
    for (const uuid of uuids) {
      const task = ts.store.tasks.get(uuid)!;
      t.is(task.assignedTo, pool.executorId);
      t.like(task.result, { error: null, timesteps: 5 });
    }
    t.is(pool.stats().steps, 40);
  } finally {
    ts.cleanup();
    await server.close();
  }
});

test('summaries count errors, weight latency by actions and list error messages by frequency', (t) => {
  const outcome = (uuid: string, o: Partial<EpisodeOutcome>): EpisodeOutcome => ({
    taskUuid: uuid,
    success: false,
    score: 0,
    totalReward: 0,
    timesteps: 0,
    error: null,
    fault: null,
    violation: null,
    meanActionLatencyMs: null,
    maxActionLatencyMs: null,
    actionCount: 0,
    stepsRun: 0,
    timings: { resetMs: 0, simMs: 0, renderMs: 0, encodeMs: 0, actMs: 0, waitMs: 0, stalls: 0 },
    ...o,
  });
  const tasks = ['a', 'b', 'c', 'd'].map((u) => ({
    taskUuid: u,
    minerUid: 0,
    minerEndpoint: 'x',
    envId: 'e',
    seed: 0,
    instance: labelInstance(0),
    untrustedEndpoint: false,
  }));
  const outcomes = new Map([
    [
      'a',
      outcome('a', { success: true, score: 1, totalReward: 8, timesteps: 10, stepsRun: 10, actionCount: 10, meanActionLatencyMs: 2, maxActionLatencyMs: 5 }),
    ],
    [
      'b',
      outcome('b', { error: 'Miner action timeout at step 3', fault: 'miner', stepsRun: 3, actionCount: 4, meanActionLatencyMs: 101, maxActionLatencyMs: 500 }),
    ],
    [
      'c',
      outcome('c', { error: 'Miner action timeout at step 3', fault: 'miner', stepsRun: 3, actionCount: 4, meanActionLatencyMs: 101, maxActionLatencyMs: 500 }),
    ],
  ]);
  const s = summarize('http://m', ['e'], 4, tasks, outcomes, 1.5).envs.e!;
  t.like(s, { episodes: 4, successes: 1, success_rate: 0.25, mean_reward: 2, mean_steps: 4, errors: 3, max_action_latency_ms: 500 });
  t.is(s.mean_action_latency_ms, (2 * 10 + 101 * 8) / 18);
  t.deepEqual(s.error_messages, [
    { message: 'Miner action timeout at step 3', count: 2 },
    { message: 'not run', count: 1 },
  ]);
});
