import test from 'ava';
import { startTestApi, type TestApi } from './helpers/api.ts';
import { seedCycle, tempStore } from './helpers/store.ts';
import { startApi } from '../src/api/server.ts';
import { ENV_IDS } from '../src/sim/registry.ts';
import type { Store } from '../src/store/index.ts';
import { VERSION } from '../src/version.ts';

function publish(store: Store, cycleId: number, block: number) {
  store.transaction(() => {
    store.results.save(cycleId, {
      scores: [
        { uid: 1, hotkey: 'hk1', envId: 'metaworld/reach-v3', successRate: 0.5, meanReward: 3.5, episodesCompleted: 2, episodesFailed: 1 },
        { uid: 1, hotkey: 'hk1', envId: 'metaworld/push-v3', successRate: 1, meanReward: 7, episodesCompleted: 2, episodesFailed: 0 },
        { uid: 2, hotkey: 'hk2', envId: 'metaworld/reach-v3', successRate: 0, meanReward: 1, episodesCompleted: 2, episodesFailed: 2 },
      ],
      weights: { '1': 0.9, '2': 0.1 },
      weightsU16: { uids: [1, 2], values: [58982, 6553] },
      blockNumber: block,
      points: { '1': 3, '2': 0 },
      explanation: { winners: { '1': ['metaworld/reach-v3'] } },
    });
    store.cycles.setMinerCount(cycleId, 2);
    store.cycles.complete(cycleId);
  });
}

async function withApi(fn: (a: TestApi) => Promise<void>, options?: Parameters<typeof startTestApi>[0]) {
  const a = await startTestApi(options);
  try {
    await fn(a);
  } finally {
    await a.close();
  }
}

test('GET /health reports the database', (t) =>
  withApi(async (a) => {
    const r = await a.get('/health');
    t.is(r.status, 200);
    t.deepEqual(r.body, { status: 'ok', version: VERSION, database: 'connected' });
  }));

test('GET /v1/status follows the running and completed cycles', (t) =>
  withApi(async (a) => {
    let r = await a.get('/v1/status');
    t.deepEqual(r.body, {
      current_cycle: null,
      last_completed_cycle: null,
      total_cycles: 0,
      total_miners_evaluated: 0,
      environments: [...ENV_IDS],
      is_evaluating: false,
    });
    const { cycle } = seedCycle(a.store);
    r = await a.get('/v1/status');
    t.is(r.body.current_cycle.id, cycle.id);
    t.is(r.body.current_cycle.status, 'running');
    t.true(r.body.is_evaluating);
    t.deepEqual(Object.keys(r.body.current_cycle).sort(), [
      'block_number',
      'completed_at',
      'duration_seconds',
      'id',
      'n_environments',
      'n_miners',
      'started_at',
      'status',
    ]);
    publish(a.store, cycle.id, 100);
    r = await a.get('/v1/status');
    t.is(r.body.current_cycle, null);
    t.is(r.body.last_completed_cycle.id, cycle.id);
    t.is(r.body.total_miners_evaluated, 2);
  }));

test('weights: 404 before any, latest by block, by block number, 422 on a non-integer', (t) =>
  withApi(async (a) => {
    let r = await a.get('/v1/weights/latest');
    t.is(r.status, 404);
    t.deepEqual(r.body, { detail: 'No weights available yet' });
    const first = seedCycle(a.store, { block: 300 }).cycle;
    publish(a.store, first.id, 300);
    const second = seedCycle(a.store, { block: 200 }).cycle;
    publish(a.store, second.id, 200);
    r = await a.get('/v1/weights/latest');
    t.is(r.status, 200);
    t.is(r.body.block_number, 300, 'latest means the largest block, not the newest row');
    t.is(r.body.cycle_id, first.id);
    t.deepEqual(r.body.weights, { '1': 0.9, '2': 0.1 });
    t.deepEqual(r.body.weights_u16, { uids: [1, 2], values: [58982, 6553] });
    t.deepEqual(Object.keys(r.body.metadata).sort(), ['evaluation_duration_seconds', 'n_environments', 'n_miners_evaluated']);
    t.is(r.body.metadata.n_miners_evaluated, 2);
    t.is(typeof r.body.timestamp, 'string');
    r = await a.get('/v1/weights/200');
    t.is(r.body.cycle_id, second.id);
    r = await a.get('/v1/weights/201');
    t.deepEqual([r.status, r.body], [404, { detail: 'No weights found for block 201' }]);
    r = await a.get('/v1/weights/abc');
    t.is(r.status, 422);
    t.deepEqual(r.body.detail[0].loc, ['path', 'block_number']);
  }));

test('scores: latest completed, by cycle id, 404s and 422', (t) =>
  withApi(async (a) => {
    t.deepEqual((await a.get('/v1/scores/latest')).body, { detail: 'No completed evaluations yet' });
    const { cycle } = seedCycle(a.store);
    publish(a.store, cycle.id, 100);
    const running = seedCycle(a.store).cycle;
    let r = await a.get('/v1/scores/latest');
    t.is(r.body.cycle.id, cycle.id);
    t.is(r.body.scores.length, 3);
    t.deepEqual(r.body.scores[0], {
      uid: 1,
      hotkey: 'hk1',
      env_id: 'metaworld/reach-v3',
      success_rate: 0.5,
      mean_reward: 3.5,
      episodes_completed: 2,
      episodes_failed: 1,
    });
    t.deepEqual(r.body.miner_summary, { '1': { 'metaworld/reach-v3': 0.5, 'metaworld/push-v3': 1 }, '2': { 'metaworld/reach-v3': 0 } });
    r = await a.get(`/v1/scores/${running.id}`);
    t.is(r.status, 200);
    t.deepEqual(r.body.scores, [], 'a running cycle simply has no scores');
    t.deepEqual((await a.get('/v1/scores/999')).body, { detail: 'Cycle 999 not found' });
    t.is((await a.get('/v1/scores/1.5')).status, 422);
  }));

test('miners and environments summarise the latest completed cycle', (t) =>
  withApi(async (a) => {
    t.deepEqual((await a.get('/v1/miners')).body, []);
    const envs0 = (await a.get('/v1/environments')).body;
    t.is(envs0.length, ENV_IDS.length);
    t.deepEqual(envs0[0], { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3', n_evaluations: 0, avg_success_rate: null });
    const { cycle } = seedCycle(a.store, { block: 777 });
    publish(a.store, cycle.id, 777);
    const miners = (await a.get('/v1/miners')).body;
    t.deepEqual(miners, [
      {
        uid: 1,
        hotkey: 'hk1',
        last_evaluated_block: 777,
        avg_success_rate: 0.75,
        environments_evaluated: ['metaworld/reach-v3', 'metaworld/push-v3'],
        spot_check: null,
      },
      { uid: 2, hotkey: 'hk2', last_evaluated_block: 777, avg_success_rate: 0, environments_evaluated: ['metaworld/reach-v3'], spot_check: null },
    ]);
    a.store.spotChecks.save({
      cycleId: cycle.id,
      minerUid: 1,
      hotkey: 'hk1',
      repo: 'alice/policy',
      revision: 'abcdef12',
      resolvedRevision: null,
      outcome: 'mismatch',
      reason: 'differs',
      stepsCompared: 3,
      maxDifference: 0.5,
    });
    t.like((await a.get('/v1/miners')).body[0].spot_check, {
      outcome: 'mismatch',
      reason: 'differs',
      repo: 'alice/policy',
      steps_compared: 3,
      max_difference: 0.5,
    });
    t.like((await a.get('/v1/spot-checks')).body, [{ uid: 1, cycle_id: cycle.id, outcome: 'mismatch' }]);
    t.is((await a.get(`/v1/cycles/${cycle.id}/spot-checks`)).body.length, 1);
    const envs = (await a.get('/v1/environments')).body;
    t.like(envs[0], { env_id: 'metaworld/reach-v3', n_evaluations: 2, avg_success_rate: 0.25 });
    t.like(envs[1], { env_id: 'metaworld/push-v3', n_evaluations: 1, avg_success_rate: 1 });
  }));

test('task endpoints require the bearer key', (t) =>
  withApi(async (a) => {
    let r = await a.post('/v1/tasks/fetch', { executor_id: 'e' }, { key: null });
    t.is(r.status, 401);
    t.deepEqual(r.body, { detail: 'Missing authorization header' });
    t.is(r.headers.get('www-authenticate'), 'Bearer');
    r = await a.post('/v1/tasks/submit', { executor_id: 'e', results: [] }, { key: 'wrong' });
    t.deepEqual([r.status, r.body], [401, { detail: 'Invalid API key' }]);
    r = await a.post('/v1/tasks/fetch', { executor_id: 'e' });
    t.is(r.status, 200);
  }));

test('an app built with auth on and no key answers 500 on the task endpoints, as the original', async (t) => {
  const { createApiApp } = await import('../src/api/server.ts');
  const { tempStore } = await import('./helpers/store.ts');
  const http = await import('node:http');
  const ts = tempStore();
  const server = http.createServer(createApiApp({ store: ts.store, apiKey: null, authDisabled: false }).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/v1/tasks/fetch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"executor_id":"e"}',
    });
    t.is(res.status, 500);
    t.regex(((await res.json()) as { detail: string }).detail, /API key not configured/);
  } finally {
    server.close();
    ts.cleanup();
  }
});

test('fetch and submit round trip with the original shapes', (t) =>
  withApi(async (a) => {
    const { cycle, uuids } = seedCycle(a.store);
    let r = await a.post('/v1/tasks/fetch', { executor_id: 'ex-1', batch_size: 2, env_ids: ['metaworld/reach-v3'] });
    t.is(r.status, 200);
    t.is(r.body.tasks.length, 2);
    t.is(r.body.total_pending, uuids.length - 2);
    const task = r.body.tasks[0];
    t.deepEqual(
      Object.keys(task).sort(),
      [
        'created_at',
        'cycle_id',
        'env_id',
        'instance',
        'miner_endpoint',
        'miner_hotkey',
        'miner_repo',
        'miner_revision',
        'miner_uid',
        'seed',
        'status',
        'task_uuid',
      ].sort(),
    );
    t.like(task, { cycle_id: cycle.id, status: 'assigned', env_id: 'metaworld/reach-v3', task_uuid: uuids[0] });
    r = await a.post('/v1/tasks/submit', {
      executor_id: 'ex-1',
      results: [
        { task_uuid: uuids[0], success: true, score: 1, total_reward: 12.5, timesteps: 80, error: null, verification_passed: null },
        { task_uuid: uuids[1], success: false, error: 'Miner action timeout at step 4' },
        { task_uuid: 'unknown', success: true },
      ],
    });
    t.deepEqual(r.body, { accepted: 2, rejected: 1, errors: ['Task unknown: not found or not assigned to executor'] });
    const stats = (await a.get(`/v1/tasks/stats?cycle_id=${cycle.id}`)).body;
    t.deepEqual(stats, {
      total_tasks: 8,
      pending_tasks: 6,
      assigned_tasks: 0,
      completed_tasks: 1,
      failed_tasks: 1,
      active_executors: [],
      current_cycle_id: cycle.id,
    });
  }));

test('an executor fault reported through submit puts the task back instead of scoring it', (t) =>
  withApi(async (a) => {
    const { uuids } = seedCycle(a.store);
    await a.post('/v1/tasks/fetch', { executor_id: 'ex', batch_size: 1 });
    const r = await a.post('/v1/tasks/submit', {
      executor_id: 'ex',
      results: [{ task_uuid: uuids[0], success: false, error: 'simulator crashed', fault: 'executor' }],
    });
    t.deepEqual(r.body, { accepted: 1, rejected: 0, errors: [] });
    const task = a.store.tasks.get(uuids[0]!)!;
    t.is(task.status, 'pending');
    t.is(task.attempts, 1);
  }));

test("heartbeat renews only the caller's leases", (t) =>
  withApi(async (a) => {
    const { uuids } = seedCycle(a.store);
    await a.post('/v1/tasks/fetch', { executor_id: 'ex', batch_size: 2 });
    let r = await a.post('/v1/tasks/heartbeat', { executor_id: 'ex', task_uuids: uuids.slice(0, 3) });
    t.deepEqual(r.body, { renewed: 2 });
    r = await a.post('/v1/tasks/heartbeat', { executor_id: 'other', task_uuids: uuids.slice(0, 2) });
    t.deepEqual(r.body, { renewed: 0 });
    t.is((await a.post('/v1/tasks/heartbeat', { executor_id: 'ex', task_uuids: uuids }, { key: null })).status, 401);
  }));

test("release hands back only the caller's assigned tasks, at no attempt cost", (t) =>
  withApi(async (a) => {
    const { uuids } = seedCycle(a.store);
    await a.post('/v1/tasks/fetch', { executor_id: 'ex', batch_size: 2 });
    t.deepEqual((await a.post('/v1/tasks/release', { executor_id: 'other', task_uuids: uuids.slice(0, 2) })).body, { released: 0 });
    t.deepEqual((await a.post('/v1/tasks/release', { executor_id: 'ex', task_uuids: uuids.slice(0, 3) })).body, { released: 2 });
    const task = a.store.tasks.get(uuids[0]!)!;
    t.like(task, { status: 'pending', assignedTo: null, attempts: 0 });
    t.is((await a.post('/v1/tasks/release', { executor_id: 'ex', task_uuids: [] }, { key: 'bad' })).status, 401);
  }));

test('tasks/stats without a cycle id uses the running cycle, else the whole pool', (t) =>
  withApi(async (a) => {
    let r = await a.get('/v1/tasks/stats');
    t.deepEqual(r.body, {
      total_tasks: 0,
      pending_tasks: 0,
      assigned_tasks: 0,
      completed_tasks: 0,
      failed_tasks: 0,
      active_executors: [],
      current_cycle_id: null,
    });
    const { cycle } = seedCycle(a.store);
    r = await a.get('/v1/tasks/stats');
    t.is(r.body.current_cycle_id, cycle.id);
    t.is(r.body.total_tasks, 8);
    r = await a.get('/v1/tasks/stats?cycle_id=x');
    t.is(r.status, 422);
    t.deepEqual(r.body.detail, [
      { type: 'int_parsing', loc: ['query', 'cycle_id'], msg: 'Input should be a valid integer, unable to parse string as an integer', input: 'x' },
    ]);
  }));

test('tasks/stats lists active executors as the original does, by opaque stable labels instead of ids', (t) =>
  withApi(async (a) => {
    const { cycle } = seedCycle(a.store);
    await a.post('/v1/tasks/fetch', { executor_id: 'gpu-box-1', batch_size: 2 });
    await a.post('/v1/tasks/fetch', { executor_id: 'gpu-box-2', batch_size: 1 });
    const first = (await a.get('/v1/tasks/stats')).body;
    // The original's TaskPoolStats: active_executors is a list of strings.
    t.true(Array.isArray(first.active_executors));
    t.is(first.active_executors.length, 2);
    for (const label of first.active_executors) t.regex(label, /^executor-[0-9a-f]{8}$/);
    t.not(first.active_executors[0], first.active_executors[1]);
    const text = JSON.stringify(first) + JSON.stringify((await a.get(`/v1/cycles/${cycle.id}`)).body);
    t.false(text.includes('gpu-box'), 'executor ids never appear on a public route');
    t.deepEqual((await a.get(`/v1/tasks/stats?cycle_id=${cycle.id}`)).body.active_executors, first.active_executors, 'labels are stable');
    t.deepEqual((await a.get(`/v1/cycles/${cycle.id}`)).body.stats.active_executors, first.active_executors);
    await a.post('/v1/tasks/release', {
      executor_id: 'gpu-box-2',
      task_uuids: a.store.tasks.listForCycle(cycle.id, { limit: 100, offset: 0 }).tasks.map((x) => x.taskUuid),
    });
    const after = (await a.get('/v1/tasks/stats')).body.active_executors;
    t.is(after.length, 1);
    t.true(first.active_executors.includes(after[0]));
  }));

test("validation errors carry the original's pydantic types, locations and messages", (t) =>
  withApi(async (a) => {
    const detail = async (path: string, body: unknown, raw?: string) => (await a.post(path, body, { raw })).body.detail;
    t.deepEqual(await detail('/v1/tasks/fetch', undefined, ''), [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }], 'no body at all');
    t.deepEqual(await detail('/v1/tasks/fetch', null), [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }], 'a JSON null body');
    t.deepEqual(await detail('/v1/tasks/fetch', { batch_size: 3 }), [
      { type: 'missing', loc: ['body', 'executor_id'], msg: 'Field required', input: { batch_size: 3 } },
    ]);
    t.deepEqual(await detail('/v1/tasks/fetch', { executor_id: 'e', batch_size: 0 }), [
      { type: 'greater_than_equal', loc: ['body', 'batch_size'], msg: 'Input should be greater than or equal to 1', input: 0, ctx: { ge: 1 } },
    ]);
    t.deepEqual(await detail('/v1/tasks/fetch', { executor_id: 'e', batch_size: 101 }), [
      { type: 'less_than_equal', loc: ['body', 'batch_size'], msg: 'Input should be less than or equal to 100', input: 101, ctx: { le: 100 } },
    ]);
    t.like((await detail('/v1/tasks/fetch', { executor_id: 'e', batch_size: 'ten' }))[0], { type: 'int_parsing', loc: ['body', 'batch_size'], input: 'ten' });
    t.like((await detail('/v1/tasks/fetch', { executor_id: 'e', batch_size: 2.5 }))[0], { type: 'int_from_float', loc: ['body', 'batch_size'] });
    t.like((await detail('/v1/tasks/fetch', { executor_id: 'e', env_ids: 'metaworld/reach-v3' }))[0], {
      type: 'list_type',
      loc: ['body', 'env_ids'],
      msg: 'Input should be a valid list',
    });
    t.like((await detail('/v1/tasks/fetch', { executor_id: 5 }))[0], {
      type: 'string_type',
      loc: ['body', 'executor_id'],
      msg: 'Input should be a valid string',
    });
    t.like((await detail('/v1/tasks/fetch', 'just a string'))[0], { type: 'model_attributes_type', loc: ['body'] });
    const submit = await detail('/v1/tasks/submit', {
      executor_id: 'e',
      results: [
        { task_uuid: 'x', success: 'yes', score: 'high' },
        { task_uuid: 'y', success: 1 },
      ],
    });
    t.deepEqual(
      submit.map((d: { type: string; loc: unknown[] }) => [d.type, d.loc]),
      [
        ['bool_parsing', ['body', 'results', 0, 'success']],
        ['float_parsing', ['body', 'results', 0, 'score']],
        ['bool_type', ['body', 'results', 1, 'success']],
      ],
    );
    t.like((await detail('/v1/tasks/submit', { executor_id: 'e', results: {} }))[0], { type: 'list_type', loc: ['body', 'results'] });
    const bad = await detail('/v1/tasks/fetch', undefined, '{"executor_id": "e", ');
    t.deepEqual(bad[0].type, 'json_invalid');
    t.deepEqual(bad[0].loc, ['body', 21], 'json_invalid points at the character where parsing stopped');
    t.is(bad[0].msg, 'JSON decode error');
    t.like((await a.get('/v1/cycles?limit=0')).body.detail[0], { type: 'greater_than_equal', loc: ['query', 'limit'], ctx: { ge: 1 } });
    t.like((await a.get('/v1/cycles?limit=many')).body.detail[0], { type: 'int_parsing', loc: ['query', 'limit'], input: 'many' });
    t.like((await a.get('/v1/cycles?status=done')).body.detail[0], { type: 'enum', loc: ['query', 'status'] });
  }));

test('zod issues without a route that produces them still map to pydantic types', async (t) => {
  const { z } = await import('zod');
  const { validationError } = await import('../src/api/errors.ts');
  const schema = z.object({ name: z.string().min(2).max(3), tags: z.array(z.string()).max(1), ratio: z.number().gt(0) }).strict();
  const input = { name: 'x', tags: ['a', 'b'], ratio: 0, extra: 1 };
  const r = schema.safeParse(input);
  const detail = validationError('body', r.error!, schema, input).detail as { type: string; loc: unknown[]; ctx?: unknown }[];
  t.deepEqual(
    detail.map((d) => [d.type, d.loc, d.ctx]),
    [
      ['string_too_short', ['body', 'name'], { min_length: 2 }],
      ['too_long', ['body', 'tags'], { field_type: 'List', max_length: 1, actual_length: 2 }],
      ['greater_than', ['body', 'ratio'], { gt: 0 }],
      ['extra_forbidden', ['body', 'extra'], undefined],
    ],
  );
});

test('bad requests get 4xx with detail and the server keeps serving', (t) =>
  withApi(async (a) => {
    const cases: [string, unknown, string | undefined][] = [
      ['malformed JSON', undefined, '{"executor_id": "e", '],
      ['wrong type', { executor_id: 5 }, undefined],
      ['missing executor', { batch_size: 3 }, undefined],
      ['batch too small', { executor_id: 'e', batch_size: 0 }, undefined],
      ['batch too large', { executor_id: 'e', batch_size: 101 }, undefined],
      ['batch not integer', { executor_id: 'e', batch_size: 2.5 }, undefined],
      ['env_ids not a list', { executor_id: 'e', env_ids: 'metaworld/reach-v3' }, undefined],
    ];
    for (const [what, body, raw] of cases) {
      const r = await a.post('/v1/tasks/fetch', body, { raw });
      t.is(r.status, 422, what);
      t.true(Array.isArray(r.body.detail) && r.body.detail.length > 0, what);
    }
    const badSubmit = await a.post('/v1/tasks/submit', { executor_id: 'e', results: [{ task_uuid: 'x', success: 'yes' }] });
    t.is(badSubmit.status, 422);
    t.deepEqual(badSubmit.body.detail[0].loc, ['body', 'results', 0, 'success']);
    const huge = await a.post('/v1/tasks/fetch', undefined, { raw: JSON.stringify({ executor_id: 'e', pad: 'x'.repeat(2_000_000) }) });
    t.is(huge.status, 413);
    t.is((await a.get('/health')).status, 200, 'still serving');
    t.deepEqual((await a.get('/nope')).body, { detail: 'Not Found' });
  }));

test('cycles, per-cycle tasks and miner history', (t) =>
  withApi(async (a) => {
    const { cycle, uuids } = seedCycle(a.store);
    publish(a.store, cycle.id, 100);
    seedCycle(a.store, { block: 101 });
    let r = await a.get('/v1/cycles?limit=1');
    t.is(r.body.total, 2);
    t.is(r.body.cycles.length, 1);
    t.is(r.body.cycles[0].block_number, 101, 'most recent first');
    r = await a.get('/v1/cycles?status=completed');
    t.is(r.body.cycles[0].id, cycle.id);
    t.is((await a.get('/v1/cycles?limit=0')).status, 422);
    r = await a.get(`/v1/cycles/${cycle.id}`);
    t.deepEqual(r.body.points, { '1': 3, '2': 0 });
    r = await a.get(`/v1/cycles/${cycle.id}/tasks?limit=3&offset=2`);
    t.is(r.body.total, 8);
    t.deepEqual(
      r.body.tasks.map((x: { task_uuid: string }) => x.task_uuid),
      uuids.slice(2, 5),
    );
    t.is((await a.get('/v1/cycles/999/tasks')).status, 404);
    r = await a.get('/v1/miners/1/history');
    t.is(r.body.cycles.length, 1);
    t.is(r.body.cycles[0].scores.length, 2);
    t.is((await a.get('/v1/miners/55/history')).status, 404);
  }));

test('the API refuses to start with auth on and no key', async (t) => {
  await t.throwsAsync(() => startTestApi({ apiKey: null }), { message: /no API key is set/ });
});

test("GET /v1/status carries the appliance's extension fields after the original's (the cycle estimate)", async (t) => {
  const ts = tempStore();
  const estimate = { cycle_id: 7, estimated_seconds: 1234.5, fits: true };
  const api = await startApi({
    store: ts.store,
    host: '127.0.0.1',
    port: 0,
    apiKey: null,
    authDisabled: true,
    statusExtension: () => ({ cycle_estimate: estimate }),
  });
  try {
    const body = (await (await fetch(`${api.url}/v1/status`)).json()) as Record<string, unknown>;
    t.deepEqual(Object.keys(body), [
      'current_cycle',
      'last_completed_cycle',
      'total_cycles',
      'total_miners_evaluated',
      'environments',
      'is_evaluating',
      'cycle_estimate',
    ]);
    t.deepEqual(body.cycle_estimate, estimate);
  } finally {
    await api.close();
    ts.cleanup();
  }
});
