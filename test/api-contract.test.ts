/**
 * The REST contract (src/api/contract.ts) is what the server sends: every route's body, for a real
 * cycle (real scoring output, failures, faults, a spot check) over loopback HTTP, parses with its
 * schema and the parse gives it back unchanged — no field the contract lacks, none missing, no type off.
 */
import test, { type ExecutionContext } from 'ava';
import type { z } from 'zod';
import * as contract from '../src/api/contract.ts';
import { startApi } from '../src/api/server.ts';
import { estimateJson, type CycleEstimate } from '../src/cycle/capacity.ts';
import { WeightsResponseSchema } from '../src/validator/weights-source.ts';
import { latestWeightsFromStore } from '../src/validator/in-process.ts';
import type { Store } from '../src/store/index.ts';
import { startTestApi } from './helpers/api.ts';
import { seedCycle, tempStore } from './helpers/store.ts';
import { publishScores } from './helpers/scoring.ts';

const ENVS = ['metaworld/reach-v3', 'metaworld/push-v3'];

/** Runs a cycle to completion the way the scheduler does: results with every extension, then scoring. */
function completeCycle(store: Store) {
  const { cycle } = seedCycle(store, { uids: [1, 2], envIds: ENVS, episodes: 2, block: 100 });
  const { tasks } = store.tasks.fetch({ executorId: 'ex-1', batchSize: 100, envIds: null });
  store.tasks.submit('ex-1', [
    {
      taskUuid: tasks[0]!.taskUuid,
      success: true,
      score: 1,
      total_reward: 2.5,
      timesteps: 40,
      error: null,
      mean_action_latency_ms: 3.2,
      max_action_latency_ms: 9,
    },
    {
      taskUuid: tasks[1]!.taskUuid,
      success: false,
      score: 0,
      total_reward: 0.1,
      timesteps: 12,
      error: 'Miner action failed at step 3: TypeError: fetch failed (connect ECONNREFUSED 10.0.0.5:8000)',
      violation: 'acted on the wrong puck',
    },
    { taskUuid: tasks[2]!.taskUuid, success: false, score: 0, total_reward: 0, timesteps: 0, error: 'sandbox died', fault: 'executor' },
    ...tasks.slice(3).map((t) => ({ taskUuid: t.taskUuid, success: true, score: 1, total_reward: 1, timesteps: 30, error: null })),
  ]);
  publishScores(store, cycle.id, [1, 2], ENVS);
  store.spotChecks.save({
    cycleId: cycle.id,
    minerUid: 1,
    hotkey: 'hk1',
    repo: 'alice/policy',
    revision: 'abcdef12',
    resolvedRevision: 'abcdef1234567890abcdef1234567890abcdef12',
    outcome: 'mismatch',
    reason: 'differs',
    stepsCompared: 3,
    maxDifference: 0.5,
  });
  return cycle;
}

function conforms<S extends z.ZodType>(t: ExecutionContext, schema: S, body: unknown, what: string) {
  const r = schema.safeParse(body);
  if (!r.success) return t.fail(`${what}: ${JSON.stringify(r.error.issues)}`);
  t.deepEqual(r.data, body, `${what}: a field the contract does not describe`);
}

test('every response body of a real cycle parses with its contract schema, unchanged', async (t) => {
  const a = await startTestApi();
  try {
    const done = completeCycle(a.store);
    const failed = seedCycle(a.store, { uids: [1], envIds: ENVS, episodes: 1, block: 110 }).cycle;
    a.store.cycles.fail(failed.id, 'timed out');
    const running = seedCycle(a.store, { uids: [1, 2], envIds: ENVS, episodes: 1, block: 120 }).cycle;

    const get = async (path: string) => {
      const r = await a.get(path);
      t.is(r.status, 200, path);
      return r.body as unknown;
    };
    conforms(t, contract.health, await get('/health'), '/health');
    conforms(t, contract.status, await get('/v1/status'), '/v1/status');
    conforms(t, contract.weightsResponse, await get('/v1/weights/latest'), '/v1/weights/latest');
    conforms(t, contract.weightsResponse, await get('/v1/weights/777'), '/v1/weights/{block}');
    conforms(t, contract.scores, await get('/v1/scores/latest'), '/v1/scores/latest');
    conforms(t, contract.scores, await get(`/v1/scores/${done.id}`), '/v1/scores/{id}');
    const miners = await get('/v1/miners');
    t.true((miners as unknown[]).length > 0);
    conforms(t, contract.miners, miners, '/v1/miners');
    conforms(t, contract.spotChecks, await get('/v1/spot-checks'), '/v1/spot-checks');
    conforms(t, contract.spotChecks, await get(`/v1/cycles/${done.id}/spot-checks`), '/v1/cycles/{id}/spot-checks');
    conforms(t, contract.minerHistory, await get('/v1/miners/1/history'), '/v1/miners/{uid}/history');
    conforms(t, contract.environments, await get('/v1/environments'), '/v1/environments');
    conforms(t, contract.taskStats, await get('/v1/tasks/stats'), '/v1/tasks/stats');
    conforms(t, contract.taskStats, await get(`/v1/tasks/stats?cycle_id=${done.id}`), '/v1/tasks/stats?cycle_id');
    conforms(t, contract.cyclesPage, await get('/v1/cycles'), '/v1/cycles');
    for (const id of [done.id, failed.id, running.id]) {
      conforms(t, contract.cycleView, await get(`/v1/cycles/${id}`), `/v1/cycles/${id}`);
      conforms(t, contract.tasksPage, await get(`/v1/cycles/${id}/tasks?limit=500`), `/v1/cycles/${id}/tasks`);
    }
    const page = (await get(`/v1/cycles/${done.id}/tasks?limit=500`)) as contract.TasksPage;
    t.true(
      page.tasks.some((x) => x.result !== null && 'violation' in x.result),
      'the page covers a result with extensions',
    );

    const fetched = await a.post('/v1/tasks/fetch', { executor_id: 'ex-2', batch_size: 2 });
    t.is(fetched.status, 200);
    conforms(t, contract.taskFetchResponse, fetched.body, '/v1/tasks/fetch');
    const uuids = (fetched.body as contract.TaskFetchResponse).tasks.map((x) => x.task_uuid);
    t.is(uuids.length, 2);
    const heartbeat = await a.post('/v1/tasks/heartbeat', { executor_id: 'ex-2', task_uuids: uuids });
    conforms(t, contract.taskHeartbeatResponse, heartbeat.body, '/v1/tasks/heartbeat');
    const submitted = await a.post('/v1/tasks/submit', {
      executor_id: 'ex-2',
      results: [
        { task_uuid: uuids[0], success: true },
        { task_uuid: 'nope', success: true },
      ],
    });
    conforms(t, contract.taskSubmitResponse, submitted.body, '/v1/tasks/submit');
    const released = await a.post('/v1/tasks/release', { executor_id: 'ex-2', task_uuids: [uuids[1]] });
    conforms(t, contract.taskReleaseResponse, released.body, '/v1/tasks/release');

    // The in-process validator reads the same body, and its (metadata-lenient) reader takes it as is.
    const inProcess = latestWeightsFromStore(a.store);
    conforms(t, contract.weightsResponse, inProcess, 'latestWeightsFromStore');
    conforms(t, WeightsResponseSchema, inProcess, 'the validator’s WeightsResponse');
  } finally {
    await a.close();
  }
});

test("the appliance's status extension (a real cycle estimate) parses with the contract's status schema, unchanged", async (t) => {
  const ts = tempStore();
  const running = seedCycle(ts.store, { uids: [1], envIds: ENVS, episodes: 1, block: 120 }).cycle;
  const estimate: CycleEstimate = {
    totalSeconds: 812.34,
    remainingSeconds: 401.06,
    timeoutSeconds: 3600,
    fits: true,
    bottleneck: 'miner',
    slowestMiner: { uid: 1, seconds: 388.88 },
    executorCpuSeconds: 12.34,
    executorSlotSeconds: 50,
    remainingEpisodes: 2,
    remainingSteps: 240,
  };
  const api = await startApi({
    store: ts.store,
    host: '127.0.0.1',
    port: 0,
    apiKey: null,
    authDisabled: true,
    statusExtension: () => ({ cycle_estimate: estimateJson(running.id, 'running', new Date(), estimate) }),
  });
  try {
    const body: unknown = await (await fetch(`${api.url}/v1/status`)).json();
    conforms(t, contract.status, body, '/v1/status with cycle_estimate');
    t.not((body as contract.StatusJson).cycle_estimate, null);
  } finally {
    await api.close();
    ts.cleanup();
  }
});
