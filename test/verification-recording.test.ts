/**
 * The executor side of the spot checks: with `recordSteps`, exactly one episode per miner and cycle is
 * recorded (its /reset task config, the observations as sent, the actions answered), through the real
 * worker pool and a real SQLite store, on the kinematic test backend (no MuJoCo).
 */
import test from 'ava';
import { ExecutorPool } from '../src/executor/pool.ts';
import { StoreTaskSource } from '../src/executor/task-source.ts';
import { KINEMATIC_BACKEND_URL } from './helpers/kinematic-backend.ts';
import { startPolicyServer } from './helpers/policy-server.ts';
import { seedCycle, tempStore, waitFor } from './helpers/store.ts';

test('one episode opening per miner and cycle is recorded, as the miner saw and answered it', async (t) => {
  t.timeout(120_000);
  let n = 0;
  const server = await startPolicyServer('normal', { action: () => ({ continuous: { ee_twist: [0.5, 0.01 * (n++ % 7), 0, 0, 0, 0], gripper: [0.25] } }) });
  const ts = tempStore();
  try {
    const { cycle } = seedCycle(ts.store, { uids: [1, 2], envIds: ['metaworld/reach-v3'], episodes: 4 });
    ts.store.db.prepare('UPDATE task_pool SET miner_endpoint = ?').run(server.url);
    const source = new StoreTaskSource(ts.store, { executorId: 'local-record00001', recordSteps: 3 });
    const pool = await ExecutorPool.start({
      source,
      backendUrl: KINEMATIC_BACKEND_URL,
      workers: 2,
      maxConcurrentPerWorker: 4,
      pollIntervalMs: 20,
      reportDelayMs: 10,
      settings: { maxSteps: 40, actTimeoutMs: 3000, resetTimeoutMs: 5000, allowPrivateEndpoints: true, endOnSuccess: false },
    });
    try {
      await waitFor(() => ts.store.tasks.isCycleDone(cycle.id), { timeoutMs: 120_000, what: 'cycle done' });
    } finally {
      await pool.stop();
    }
    for (const uid of [1, 2]) {
      const sample = ts.store.spotChecks.sample(cycle.id, uid);
      t.truthy(sample, `uid ${uid} has a sample`);
      t.is(ts.store.tasks.get(sample!.taskUuid)!.minerUid, uid);
      const { episode_id: episodeId, ...identity } = sample!.resetConfig as Record<string, unknown> & { episode_id?: string };
      t.deepEqual(identity, { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' });
      t.is(typeof episodeId, 'string', 'the replay gets the episode id the miner was sent (its per-episode randomness is keyed on it)');
      t.is(sample!.steps.length, 3, 'only the opening steps');
      for (const s of sample!.steps) {
        const obs = JSON.parse(s.observation) as { proprio: { ee_pos: number[] }; extra: { episode_id?: string } };
        t.is(obs.proprio.ee_pos.length, 3, 'the observation JSON as sent');
        t.is(obs.extra.episode_id, episodeId, 'the same episode id in every recorded observation');
        t.is(s.action.gripper, 0.25);
        t.is(s.action.eeTwist[0], 0.5);
      }
    }
    const rows = ts.store.db.prepare('SELECT COUNT(*) AS n FROM episode_samples WHERE cycle_id = ?').get(cycle.id) as { n: number };
    t.is(rows.n, 2, 'one sample per miner, not one per episode');
  } finally {
    ts.cleanup();
    await server.close();
  }
});

test('a reservation whose task no longer runs is taken over; an empty recording releases it', (t) => {
  const ts = tempStore();
  try {
    const { uuids } = seedCycle(ts.store, { uids: [1], envIds: ['metaworld/reach-v3'], episodes: 3 });
    const [a, b, c] = uuids as [string, string, string];
    ts.store.tasks.fetch({ executorId: 'local-x00000000001', batchSize: 3 });
    t.true(ts.store.spotChecks.reserveSample(a));
    t.false(ts.store.spotChecks.reserveSample(b), 'a running reservation holds');
    ts.store.spotChecks.keepSample(a, { env_id: 'x' }, []);
    t.true(ts.store.spotChecks.reserveSample(b), 'released by an episode that recorded nothing');
    ts.store.tasks.reclaimAssignedTo('local-x');
    ts.store.tasks.fetch({ executorId: 'local-y00000000001', batchSize: 1 });
    const running = ts.store.tasks.listForCycle(ts.store.cycles.current()!.id, { limit: 10, offset: 0, status: 'assigned' }).tasks[0]!.taskUuid;
    t.true(ts.store.spotChecks.reserveSample(running), 'the abandoned reservation is taken over');
    ts.store.spotChecks.keepSample(running, { env_id: 'x' }, [{ observation: '{}', action: { eeTwist: [0, 0, 0], gripper: 0 } }]);
    t.false(ts.store.spotChecks.reserveSample(c), 'a kept sample is final');
    t.is(ts.store.spotChecks.sample(ts.store.cycles.current()!.id, 1)!.taskUuid, running);
  } finally {
    ts.cleanup();
  }
});
