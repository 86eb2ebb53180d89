/**
 * The executor pool on virtual time: its lease heartbeat (60 s in production) runs on the injected
 * clock, so a test sees it fire exactly when a ManualClock crosses the period, without waiting.
 */
import test from 'ava';
import { ManualClock } from '../src/clock.ts';
import { ExecutorPool } from '../src/executor/pool.ts';
import { ListTaskSource, type TaskSource } from '../src/executor/task-source.ts';
import type { ExecutorTask } from '../src/executor/types.ts';
import { KINEMATIC_BACKEND_URL } from './helpers/kinematic-backend.ts';
import { startPolicyServer } from './helpers/policy-server.ts';
import { labelInstance } from './helpers/instances.ts';
import { waitFor } from './helpers/store.ts';

/** A list of tasks that records every lease renewal. */
function recordingSource(tasks: ExecutorTask[]): TaskSource & { renewals: string[][]; exhausted(): boolean } {
  const list = new ListTaskSource(tasks);
  const renewals: string[][] = [];
  return {
    executorId: list.executorId,
    renewals,
    claim: (max) => list.claim(max),
    report: (outcomes) => list.report(outcomes),
    renew: (taskUuids) => {
      renewals.push([...taskUuids].sort());
      return Promise.resolve();
    },
    abandon: (taskUuids) => list.abandon(taskUuids),
    exhausted: () => list.exhausted(),
  };
}

test('the lease heartbeat renews every held task each time virtual time crosses its 60 s period', async (t) => {
  // A miner slow enough (50 ms × 500 steps per episode) that the tasks stay held while the test runs.
  const server = await startPolicyServer('slow', { action: () => ({ continuous: { ee_twist: [0, 0, 0] } }), slowMs: 50 });
  const tasks: ExecutorTask[] = Array.from({ length: 4 }, (_, i) => ({
    taskUuid: `t-${i}`,
    minerUid: 1,
    minerEndpoint: server.url,
    envId: 'metaworld/reach-v3',
    seed: i,
    instance: labelInstance(i),
    untrustedEndpoint: false,
  }));
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'), { autoAdvance: false });
  const source = recordingSource(tasks);
  const pool = await ExecutorPool.start({
    source,
    backendUrl: KINEMATIC_BACKEND_URL,
    workers: 1,
    clock,
    settings: { maxSteps: 500, actTimeoutMs: 3000, resetTimeoutMs: 5000, allowPrivateEndpoints: true },
  });
  try {
    // The miner declares no capacity: one episode runs, the others wait in the queue; all four are held.
    await waitFor(() => pool.stats().running === 1 && pool.stats().queued === 3, { what: 'one episode running, three queued' });
    clock.advance(59_999);
    t.deepEqual(source.renewals, [], 'no renewal before the period');
    clock.advance(1);
    t.deepEqual(source.renewals, [['t-0', 't-1', 't-2', 't-3']]);
    clock.advance(60_000);
    t.is(source.renewals.length, 2);
  } finally {
    await pool.stop({ drainTimeoutMs: 0 });
    await server.close();
  }
  const renewals = source.renewals.length;
  clock.advance(600_000);
  t.is(source.renewals.length, renewals, 'the heartbeat stops with the pool');
  t.false(source.exhausted(), 'the unfinished tasks were given back');
});
