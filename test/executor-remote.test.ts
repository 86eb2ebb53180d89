/**
 * The remote executor end to end: a real API over a temporary store, real policy servers, and the
 * executor either as the `kinitro executor` CLI in a child process (MuJoCo, cameras) or in process.
 */
import test from 'ava';
import { once } from 'node:events';
import { startRemoteExecutor } from '../src/executor/remote.ts';
import { TaskApiClient } from '../src/executor/task-api-client.ts';
import { ApiTaskSource } from '../src/executor/task-source.ts';
import { API_KEY, startTestApi } from './helpers/api.ts';
import { spawnCli } from './helpers/cli.ts';
import { KINEMATIC_BACKEND_URL } from './helpers/kinematic-backend.ts';
import { startPolicyServer } from './helpers/policy-server.ts';
import { seedCycle, waitFor } from './helpers/store.ts';

test.serial('kinitro executor runs a cycle through the task API and stops cleanly on SIGTERM', async (t) => {
  const api = await startTestApi();
  const miner = await startPolicyServer('normal');
  try {
    const { cycle, uuids } = seedCycle(api.store, { uids: [1, 2], envIds: ['metaworld/reach-v3', 'metaworld/push-v3'], episodes: 2 });
    api.store.db.prepare('UPDATE task_pool SET miner_endpoint = ?').run(miner.url);
    const { child, output } = spawnCli([
      'executor',
      '--api-url',
      api.url,
      '--api-key',
      API_KEY,
      '--executor-id',
      'remote-e2e',
      '--workers',
      '1',
      '--max-concurrent',
      '8',
      '--max-steps',
      '10',
      '--poll-interval',
      '0.1',
      '--action-timeout',
      '5',
      '--allow-private-endpoints',
      '--log-level',
      'info',
    ]);
    try {
      await waitFor(() => api.store.tasks.isCycleDone(cycle.id), { timeoutMs: 120_000, intervalMs: 100, what: `cycle done; executor said:\n${output()}` });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = await once(child, 'close');
    t.is(code, 0, output());
    t.regex(output(), /executor stopped/);
    for (const uuid of uuids) {
      const task = api.store.tasks.get(uuid)!;
      t.is(task.assignedTo, 'remote-e2e');
      t.true(task.status === 'completed' || task.status === 'failed');
      const result = task.result as { error: string | null; timesteps: number; mean_action_latency_ms?: number; success: boolean; score: number };
      t.is(result.error, null, JSON.stringify(result));
      t.is(result.timesteps, 10);
      t.is(result.score, result.success ? 1 : 0);
      t.is(typeof result.mean_action_latency_ms, 'number');
    }
    t.is(miner.resets.length, 8);
    for (const r of miner.resets)
      t.deepEqual(
        Object.keys((r as { task_config: object }).task_config).sort(),
        ['env_id', 'env_name', 'episode_id', 'task_name'],
        'identity and our episode id: no seed, no positions',
      );
    t.is(miner.acts, 80);
    const obs = (miner.lastAct as { obs: any }).obs;
    t.deepEqual(Object.keys(obs.rgb).sort(), ['corner', 'corner2']);
    t.deepEqual(obs.rgb.corner.shape, [84, 84, 3]);
  } finally {
    await miner.close();
    await api.close();
  }
});

test.serial('SIGTERM with no grace gives in-flight tasks back to the API', async (t) => {
  const api = await startTestApi();
  const miner = await startPolicyServer('slow', { slowMs: 100 });
  try {
    const { cycle, uuids } = seedCycle(api.store, { uids: [1], envIds: ['metaworld/reach-v3'], episodes: 3 });
    api.store.db.prepare('UPDATE task_pool SET miner_endpoint = ?').run(miner.url);
    const { child, output } = spawnCli([
      'executor',
      '--api-url',
      api.url,
      '--api-key',
      API_KEY,
      '--executor-id',
      'remote-stop',
      '--workers',
      '1',
      '--poll-interval',
      '0.1',
      '--action-timeout',
      '5',
      '--allow-private-endpoints',
      '--shutdown-grace',
      '0',
      '--no-images',
    ]);
    try {
      await waitFor(() => miner.acts >= 3, { timeoutMs: 120_000, what: 'episodes running' });
    } catch (err) {
      // Never leave the executor polling behind a failed test (it would keep this file's worker alive).
      child.kill('SIGKILL');
      t.log(output());
      throw err;
    }
    const actsAtSignal = miner.acts;
    child.kill('SIGTERM');
    const [code] = await once(child, 'close');
    t.is(code, 0, output());
    // No waiting for the episodes to finish: far fewer acts than three 500-step episodes need.
    t.true(miner.acts - actsAtSignal < 100, `acts after SIGTERM: ${miner.acts - actsAtSignal}`);
    t.false(api.store.tasks.isCycleDone(cycle.id));
    for (const uuid of uuids) {
      const task = api.store.tasks.get(uuid)!;
      t.is(task.status, 'pending', 'given back for another executor');
      t.is(task.attempts, 0, 'released through POST /v1/tasks/release: no attempt charged');
    }
  } finally {
    await miner.close();
    await api.close();
  }
});

test.serial('through the API, refused endpoints are scored as miner failures and worker crashes are retried unscored', async (t) => {
  const api = await startTestApi();
  const miner = await startPolicyServer('normal', { action: () => ({ continuous: { ee_twist: [0.5, 0, 0] } }) });
  try {
    // First cycle: the miner's endpoint is on loopback, which the endpoint policy refuses by default.
    const { cycle } = seedCycle(api.store, { uids: [1], envIds: ['metaworld/reach-v3'], episodes: 3 });
    api.store.db.prepare('UPDATE task_pool SET miner_endpoint = ?').run(miner.url);
    const refused = await startRemoteExecutor({
      apiUrl: api.url,
      apiKey: API_KEY,
      executorId: 'remote-refuse',
      workers: 1,
      pollIntervalMs: 50,
      backendUrl: KINEMATIC_BACKEND_URL,
      settings: { maxSteps: 20 },
    });
    try {
      await waitFor(() => api.store.tasks.isCycleDone(cycle.id), { timeoutMs: 60_000, what: 'cycle done' });
    } finally {
      await refused.stop();
    }
    for (const task of api.store.tasks.listForCycle(cycle.id, { limit: 10, offset: 0 }).tasks) {
      t.is(task.status, 'failed');
      t.is(task.fault, 'miner');
      t.regex((task.result as { error: string }).error, /^Miner endpoint refused: miner endpoint 127\.0\.0\.1:\d+ resolves to non-public address/);
    }
    t.is(miner.resets.length, 0);

    const second = seedCycle(api.store, { uids: [2], envIds: ['metaworld/reach-v3'], episodes: 3, block: 200 });
    api.store.db.prepare('UPDATE task_pool SET miner_endpoint = ? WHERE cycle_id = ?').run(miner.url, second.cycle.id);
    const crashing = await startRemoteExecutor({
      apiUrl: api.url,
      apiKey: API_KEY,
      executorId: 'remote-crash',
      workers: 1,
      pollIntervalMs: 50,
      backendUrl: KINEMATIC_BACKEND_URL,
      settings: { maxSteps: 20, allowPrivateEndpoints: true },
      faultInjection: { exitOnSeed: 1001 },
    });
    try {
      // Three worker restarts with back-off, each loading MuJoCo: generous on a loaded box.
      await waitFor(() => api.store.tasks.isCycleDone(second.cycle.id), { timeoutMs: 120_000, what: 'second cycle done' });
    } finally {
      await crashing.stop();
    }
    const rows = api.store.tasks.listForCycle(second.cycle.id, { limit: 10, offset: 0 }).tasks;
    const crashed = rows.find((r) => r.seed === 1001)!;
    t.is(crashed.status, 'failed');
    t.is(crashed.fault, 'executor');
    t.is(crashed.attempts, 3);
    for (const r of rows.filter((x) => x.seed !== 1001)) {
      t.is(r.status, 'completed');
      t.is(r.attempts, 0);
    }
  } finally {
    await miner.close();
    await api.close();
  }
});

test('a heartbeat for more tasks than one request may carry renews every lease', async (t) => {
  const api = await startTestApi();
  try {
    seedCycle(api.store, { uids: [1, 2, 3, 4, 5, 6], envIds: ['metaworld/reach-v3', 'metaworld/push-v3'], episodes: 100 });
    const held: string[] = [];
    for (let i = 0; i < 12; i++) held.push(...api.store.tasks.fetch({ executorId: 'big', batchSize: 100 }).tasks.map((x) => x.taskUuid));
    t.is(held.length, 1200);
    api.clock.advance(800);
    await new ApiTaskSource(new TaskApiClient(api.url, API_KEY), { executorId: 'big' }).renew(held);
    api.clock.advance(800);
    t.is(api.store.tasks.reclaimStale(900, 3), 0, 'no lease expired');
  } finally {
    await api.close();
  }
});
