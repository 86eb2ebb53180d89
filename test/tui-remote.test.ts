/**
 * Dashboard sources against a real API over a temporary SQLite store: the remote source over
 * loopback HTTP, and the in-process store source, which must produce the same snapshot.
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../src/api/server.ts';
import { RemoteDashboardSource, ApiRequestError } from '../src/tui/remote-source.ts';
import { StoreDashboardSource } from '../src/tui/store-source.ts';
import { ENV_IDS } from '../src/sim/registry.ts';
import type { Store } from '../src/store/index.ts';
import type { DashboardSnapshot } from '../src/tui/types.ts';
import { seedCycle, tempStore, waitFor, type TempStore } from './helpers/store.ts';
import { publishScores } from './helpers/scoring.ts';

interface Server extends TempStore {
  url: string;
  requests: string[];
  close(): Promise<void>;
}

const APPLIANCE = {
  version: '0.1.0',
  chain: { mode: 'local', endpoint: null, netuid: 2, block: 4321, block_hash: '0xbeef' },
  validator: {
    enabled: true,
    hotkey: '5Validator',
    last_submission: { block: 4300, at: '2026-01-01T00:00:00Z', uids: [1, 2], values: [60000, 5535], outcome: 'ok', error: null },
  },
  executors: { in_process_workers: 2, active_episodes: 5, steps_per_second: 812.5, remote_executors: 0 },
  scheduler: { cron: '*/10 * * * *', next_run: '2026-01-01T00:10:00Z', running: false },
};

/** The real API app, with a request log, optionally with the appliance extension route. */
async function serve(options: { appliance?: boolean } = {}): Promise<Server> {
  const ts = tempStore();
  const app = createApiApp({
    store: ts.store,
    authDisabled: true,
    apiKey: null,
    extend: options.appliance ? (router) => router.get('/v1/appliance', (ctx) => void (ctx.body = APPLIANCE)) : undefined,
  });
  const requests: string[] = [];
  const handler = app.callback();
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    ...ts,
    url: `http://127.0.0.1:${port}`,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      ts.cleanup();
    },
  };
}

/** Finishes every task of a running cycle (every third fails) and publishes real scoring output. */
function completeCycle(store: Store, cycleId: number, uids: number[]) {
  const { tasks } = store.tasks.fetch({ executorId: 'ex', batchSize: 100, envIds: null });
  const mine = tasks.filter((t) => t.cycleId === cycleId);
  store.tasks.submit(
    'ex',
    mine.map((t, i) => ({ taskUuid: t.taskUuid, success: i % 3 !== 0, score: 1, total_reward: 2, timesteps: 40, error: i % 3 === 0 ? `timeout #${i}` : null })),
  );
  return publishScores(store, cycleId, uids, [...ENV_IDS]);
}

async function withServer(fn: (s: Server) => Promise<void>, options?: { appliance?: boolean }) {
  const s = await serve(options);
  try {
    await fn(s);
  } finally {
    await s.close();
  }
}

test('an empty appliance: 404s are normal states, nothing is a warning', (t) =>
  withServer(async (s) => {
    const snap = await new RemoteDashboardSource(s.url).snapshot();
    t.is(snap.origin, s.url);
    t.is(snap.currentCycle, null);
    t.is(snap.currentStats, null);
    t.is(snap.latest, null);
    t.is(snap.weights, null);
    t.is(snap.appliance, null, 'no /v1/appliance route → n/a');
    t.deepEqual(snap.cycles, []);
    t.deepEqual(snap.environments, [...ENV_IDS]);
    t.deepEqual(snap.warnings, []);
  }));

test('a running cycle after a completed one: progress, failures, scores, explanation, weights, history', (t) =>
  withServer(
    async (s) => {
      const uids = [1, 2, 3];
      const first = seedCycle(s.store, { uids, envIds: [...ENV_IDS], episodes: 2, block: 100 }).cycle;
      const res = completeCycle(s.store, first.id, uids);
      const running = seedCycle(s.store, { uids, envIds: [...ENV_IDS], episodes: 2, block: 200 }).cycle;
      const { tasks } = s.store.tasks.fetch({ executorId: 'ex2', batchSize: 10, envIds: null });
      s.store.tasks.submit(
        'ex2',
        tasks
          .slice(0, 4)
          .map((x, i) => ({ taskUuid: x.taskUuid, success: i < 2, score: 0, total_reward: 0, timesteps: 1, error: i < 2 ? null : `miner 500 at step ${i}` })),
      );

      const snap = await new RemoteDashboardSource(s.url).snapshot();
      t.deepEqual(snap.warnings, []);
      t.is(snap.currentCycle?.id, running.id);
      t.deepEqual(snap.currentStats, { total: 48, pending: 38, assigned: 6, completed: 2, failed: 2, activeExecutors: 1, cycleId: running.id });
      t.deepEqual(
        snap.currentFailures.map((f) => f.error),
        ['miner 500 at step 3', 'miner 500 at step 2'],
        'newest first',
      );
      t.is(snap.latest?.cycle.id, first.id);
      t.is(snap.latest?.scores.length, uids.length * ENV_IDS.length);
      t.deepEqual(snap.latest?.points, Object.fromEntries(Object.entries(res.points).map(([k, v]) => [k, v])));
      t.is((snap.latest?.explanation as { miners: unknown[] }).miners.length, 3);
      t.is(snap.latest?.failures.length, 16, 'every third of 48 tasks failed');
      t.is(snap.latest?.failures[0]?.error, 'timeout #45');
      t.is(snap.weights?.cycleId, first.id);
      t.is(snap.weights?.blockNumber, 777);
      t.deepEqual(snap.weights?.u16, res.weightsU16);
      t.deepEqual(
        snap.cycles.map((c) => [c.id, c.status]),
        [
          [running.id, 'running'],
          [first.id, 'completed'],
        ],
      );
      t.deepEqual(snap.cycles[1]?.envIds, [...ENV_IDS]);
      t.like(snap.appliance, { version: '0.1.0', chain: { mode: 'local', netuid: 2, block: 4321 }, executors: { stepsPerSecond: 812.5 } });
      t.like(snap.appliance?.validator?.lastSubmission, { block: 4300, outcome: 'ok', uids: [1, 2] });
    },
    { appliance: true },
  ));

test('a completed cycle is fetched once and cached; the running cycle is polled every time', (t) =>
  withServer(async (s) => {
    const first = seedCycle(s.store, { uids: [1, 2], envIds: [...ENV_IDS], episodes: 1 }).cycle;
    completeCycle(s.store, first.id, [1, 2]);
    const running = seedCycle(s.store, { uids: [1, 2], envIds: [...ENV_IDS], episodes: 1 }).cycle;
    const source = new RemoteDashboardSource(s.url);
    await source.snapshot();
    await source.snapshot();
    const count = (prefix: string) => s.requests.filter((r) => r.startsWith(prefix)).length;
    t.is(count(`/v1/scores/${first.id}`), 1);
    t.is(count(`/v1/cycles/${first.id}`), 3, 'its detail, its failed tasks and its spot checks, once each');
    t.is(count(`/v1/tasks/stats?cycle_id=${running.id}`), 2);
    t.is(count('/v1/environments'), 1, 'the registry does not change');
    t.is(count('/v1/status'), 2);
  }));

test('the newest failures are fetched when a cycle has more than a page of them', (t) =>
  withServer(async (s) => {
    const running = seedCycle(s.store, { uids: [1, 2, 3], envIds: [...ENV_IDS], episodes: 3 }).cycle;
    const { tasks } = s.store.tasks.fetch({ executorId: 'ex', batchSize: 72, envIds: null });
    s.store.tasks.submit(
      'ex',
      tasks.map((x, i) => ({ taskUuid: x.taskUuid, success: false, score: 0, total_reward: 0, timesteps: 1, error: `e${i}` })),
    );
    const source = new RemoteDashboardSource(s.url, { failuresPerCycle: 10 });
    const snap = await source.snapshot();
    t.is(snap.currentCycle?.id, running.id);
    t.deepEqual(
      snap.currentFailures.map((f) => f.error),
      ['e71', 'e70', 'e69', 'e68', 'e67', 'e66', 'e65', 'e64', 'e63', 'e62'],
    );
    const again = await source.snapshot();
    t.is(again.currentFailures[0]?.error, 'e71');
    t.is(s.requests.filter((r) => r.includes('/tasks?status=failed')).length, 3, 'the second snapshot aims straight at the tail');
  }));

test('an unreachable API fails the snapshot with the cause', async (t) => {
  const s = await serve();
  const url = s.url;
  await s.close();
  const err = await t.throwsAsync(() => new RemoteDashboardSource(url, { timeoutMs: 2000 }).snapshot(), { instanceOf: ApiRequestError });
  t.regex(err!.message, /^\/v1\/status: ECONNREFUSED/);
  t.throws(() => new RemoteDashboardSource('ftp://x'), { message: /expected an http\(s\) URL/ });
  t.throws(() => new RemoteDashboardSource('not a url'), { message: /not a URL/ });
});

test('a server error on a secondary route becomes a warning, not a failed snapshot', async (t) => {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/status')
      return res.end(JSON.stringify({ current_cycle: null, last_completed_cycle: null, total_cycles: 0, environments: ['a/b-v1'] }));
    if (req.url?.startsWith('/v1/weights')) {
      res.statusCode = 500;
      return res.end('{"detail":"boom"}');
    }
    res.statusCode = 404;
    res.end('{"detail":"Not Found"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const snap = await new RemoteDashboardSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).snapshot();
    t.deepEqual(snap.warnings, ['/v1/weights/latest: HTTP 500']);
    t.deepEqual(snap.environments, ['a/b-v1'], "falls back to the status route's environments");
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test('the in-process store source and the remote source agree', (t) =>
  withServer(
    async (s) => {
      const uids = [4, 9];
      const first = seedCycle(s.store, { uids, envIds: [...ENV_IDS], episodes: 2 }).cycle;
      completeCycle(s.store, first.id, uids);
      seedCycle(s.store, { uids, envIds: [...ENV_IDS], episodes: 2 });
      const { tasks } = s.store.tasks.fetch({ executorId: 'ex', batchSize: 3, envIds: null });
      s.store.tasks.submit('ex', [{ taskUuid: tasks[0]!.taskUuid, success: false, score: 0, total_reward: 0, timesteps: 1, error: 'reset failed' }]);
      const strip = (x: DashboardSnapshot) => ({ ...x, takenAt: '', origin: '' });
      const remote = await new RemoteDashboardSource(s.url).snapshot();
      const local = await new StoreDashboardSource(s.store, { appliance: () => APPLIANCE }).snapshot();
      t.deepEqual(strip(local), strip(remote));
      t.is(local.origin, 'in-process');
    },
    { appliance: true },
  ));

test('close() aborts a snapshot stuck on a server that never answers', async (t) => {
  const server = http.createServer(() => {
    /* never responds */
  });
  let requests = 0;
  server.on('request', () => requests++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const source = new RemoteDashboardSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { timeoutMs: 30_000 });
    const pending = source.snapshot();
    await waitFor(() => requests > 0, { what: 'the request to arrive' });
    const started = Date.now();
    source.close();
    await t.throwsAsync(pending, { instanceOf: ApiRequestError });
    t.true(Date.now() - started < 10_000, 'aborted at once, not after the 30 s deadline');
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
