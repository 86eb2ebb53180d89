/** The pool's placement policy (src/executor/placement.ts): pure decisions, no workers. */
import test from 'ava';
import {
  CAPACITY_TTL_MS,
  chooseWorker,
  minerLimit,
  needsProbe,
  nextToPlace,
  placeableCount,
  workersRoom,
  type MinerRoom,
  type QueuedTask,
} from '../src/executor/placement.ts';
import type { ExecutorTask } from '../src/executor/types.ts';

function queued(endpoint: string, n: number, isolate = false): QueuedTask[] {
  return Array.from({ length: n }, (_, i) => ({
    task: {
      taskUuid: `${endpoint}-${i}`,
      minerUid: 0,
      minerEndpoint: endpoint,
      envId: 'env',
      seed: i,
      instance: 'x',
      untrustedEndpoint: false,
    } satisfies ExecutorTask,
    isolate,
  }));
}

const rooms =
  (r: Record<string, MinerRoom>) =>
  (endpoint: string): MinerRoom =>
    r[endpoint] ?? { running: 0, limit: 1 };

function slot(running: number, options: { ready?: boolean; isolated?: boolean } = {}) {
  return { ready: options.ready ?? true, isolated: options.isolated ?? false, running: { size: running } };
}

test('a miner runs what it declares, one at a time when it declares nothing, never above the cap; an assumed capacity overrides', (t) => {
  t.is(minerLimit(undefined, 16, undefined), 1);
  t.is(minerLimit(null, 16, undefined), 1);
  t.is(minerLimit(4, 16, undefined), 4);
  t.is(minerLimit(64, 16, undefined), 16);
  t.is(minerLimit(0, 16, undefined), 1);
  t.is(minerLimit(null, 16, 8), 8);
  t.is(minerLimit(4, 16, 100), 16);
});

test('a capacity is read when unknown or stale, once at a time, and never when one is assumed', (t) => {
  const now = 1_000_000_000;
  t.true(needsProbe({ declared: undefined, declaredAt: 0, probing: false }, undefined, now));
  t.false(needsProbe({ declared: undefined, declaredAt: 0, probing: true }, undefined, now));
  t.false(needsProbe({ declared: 4, declaredAt: now - 1000, probing: false }, undefined, now));
  t.true(needsProbe({ declared: 4, declaredAt: now - CAPACITY_TTL_MS - 1, probing: false }, undefined, now));
  t.false(needsProbe({ declared: undefined, declaredAt: 0, probing: false }, 4, now));
});

test('queued tasks held back only by their own miner are not placeable; suspects always are', (t) => {
  const queue = [...queued('a', 5), ...queued('b', 2), ...queued('c', 1, true)];
  // a: 1 running of 2 → one more; b: idle, limit 1 → one; c: a suspect.
  t.is(placeableCount(queue, rooms({ a: { running: 1, limit: 2 }, b: { running: 0, limit: 1 } })), 3);
  t.is(placeableCount([], rooms({})), 0);
});

test('the next task is of the miner running the fewest; queue order breaks ties; full and skipped miners wait', (t) => {
  const queue = [...queued('a', 2), ...queued('b', 1), ...queued('c', 1)];
  const r = rooms({ a: { running: 2, limit: 4 }, b: { running: 1, limit: 4 }, c: { running: 1, limit: 4 } });
  t.is(
    nextToPlace(queue, () => false, r),
    2,
    'b and c tie at one running; b is first in the queue',
  );
  t.is(
    nextToPlace(queue, (q) => q.task.minerEndpoint === 'b', r),
    3,
  );
  t.is(
    nextToPlace(queue, () => false, rooms({ a: { running: 0, limit: 1 }, b: { running: 0, limit: 1 }, c: { running: 0, limit: 1 } })),
    0,
  );
  t.is(
    nextToPlace(queue, () => false, rooms({ a: { running: 4, limit: 4 }, b: { running: 1, limit: 1 }, c: { running: 1, limit: 1 } })),
    -1,
  );
});

test('a task goes to the least-loaded ready worker that admits it; a suspect only to an idle worker not yet given work this pass', (t) => {
  const busy = slot(3);
  const light = slot(1);
  const idle = slot(0);
  const notReady = slot(0, { ready: false });
  const isolating = slot(0, { isolated: true });
  const all = [busy, notReady, isolating, light, idle];
  t.is(
    chooseWorker(
      all,
      false,
      () => true,
      () => false,
    ),
    idle,
  );
  t.is(
    chooseWorker(
      all,
      false,
      (s) => s !== idle,
      () => false,
    ),
    light,
  );
  t.is(
    chooseWorker(
      all,
      false,
      () => false,
      () => false,
    ),
    null,
  );
  t.is(
    chooseWorker(
      all,
      true,
      () => false,
      () => false,
    ),
    idle,
    'a suspect ignores admission: it runs alone',
  );
  t.is(
    chooseWorker(
      all,
      true,
      () => true,
      (s) => s === idle,
    ),
    null,
    'the idle worker already has work this pass',
  );
});

test('the room of the workers follows their admission back-off, at least one episode each', (t) => {
  t.is(
    workersRoom(
      [
        { ready: true, lagFactor: 1 },
        { ready: true, lagFactor: 0.5 },
        { ready: true, lagFactor: 0.01 },
        { ready: false, lagFactor: 1 },
      ],
      16,
    ),
    16 + 8 + 1,
  );
});
