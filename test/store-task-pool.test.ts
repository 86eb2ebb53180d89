import test from 'ava';
import { fork } from 'node:child_process';
import { seedCycle, tempStore } from './helpers/store.ts';

const ok = { success: true, score: 1, total_reward: 5, timesteps: 40, error: null };

test('fetch assigns oldest pending tasks first, in batches, and never twice', (t) => {
  const ts = tempStore();
  try {
    const { uuids } = seedCycle(ts.store);
    const a = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 3 });
    t.deepEqual(
      a.tasks.map((x) => x.taskUuid),
      uuids.slice(0, 3),
    );
    t.true(a.tasks.every((x) => x.status === 'assigned' && x.assignedTo === 'e1'));
    t.is(a.totalPending, uuids.length - 3);
    const b = ts.store.tasks.fetch({ executorId: 'e2', batchSize: 100 });
    t.deepEqual(
      b.tasks.map((x) => x.taskUuid),
      uuids.slice(3),
    );
    t.is(ts.store.tasks.fetch({ executorId: 'e3', batchSize: 10 }).tasks.length, 0);
  } finally {
    ts.cleanup();
  }
});

test('fetch honours the environment filter', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store);
    const { tasks } = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 100, envIds: ['metaworld/push-v3'] });
    t.is(tasks.length, 4);
    t.true(tasks.every((x) => x.envId === 'metaworld/push-v3'));
    t.is(ts.store.tasks.fetch({ executorId: 'e1', batchSize: 100, envIds: [] }).tasks.length, 4, 'an empty filter means no filter');
  } finally {
    ts.cleanup();
  }
});

test('tasks of a failed cycle are not handed out', (t) => {
  const ts = tempStore();
  try {
    const { cycle } = seedCycle(ts.store);
    ts.store.cycles.fail(cycle.id, 'boom');
    t.is(ts.store.tasks.fetch({ executorId: 'e1', batchSize: 10 }).tasks.length, 0);
  } finally {
    ts.cleanup();
  }
});

test('submit is accepted only from the assigned executor, once', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store);
    const [task] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 1 }).tasks;
    const wrong = ts.store.tasks.submit('intruder', [{ taskUuid: task!.taskUuid, ...ok }]);
    t.deepEqual(wrong, { accepted: 0, rejected: 1, errors: [`Task ${task!.taskUuid}: not found or not assigned to executor`] });
    t.deepEqual(ts.store.tasks.submit('e1', [{ taskUuid: task!.taskUuid, ...ok }]), { accepted: 1, rejected: 0, errors: [] });
    const again = ts.store.tasks.submit('e1', [{ taskUuid: task!.taskUuid, ...ok, success: false }]);
    t.is(again.rejected, 1, 'a second submission is rejected');
    const stored = ts.store.tasks.get(task!.taskUuid)!;
    t.is(stored.status, 'completed');
    t.deepEqual(stored.result, ok);
    t.is(ts.store.tasks.submit('e1', [{ taskUuid: 'no-such-task', ...ok }]).rejected, 1);
  } finally {
    ts.cleanup();
  }
});

test('an unsuccessful episode is recorded as failed and attributed to the miner', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store);
    const [task] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 1 }).tasks;
    ts.store.tasks.submit('e1', [{ taskUuid: task!.taskUuid, ...ok, success: false, error: 'Miner action timeout at step 3' }]);
    const stored = ts.store.tasks.get(task!.taskUuid)!;
    t.is(stored.status, 'failed');
    t.is(stored.fault, 'miner');
  } finally {
    ts.cleanup();
  }
});

test('stale reclaim returns expired leases to pending and rejects the late submit', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store);
    const [task] = ts.store.tasks.fetch({ executorId: 'slow', batchSize: 1 }).tasks;
    ts.clock.advance(100);
    t.is(ts.store.tasks.reclaimStale(900, 3), 0, 'a fresh lease is kept');
    ts.clock.advance(1000);
    t.is(ts.store.tasks.reclaimStale(900, 3), 1);
    const back = ts.store.tasks.get(task!.taskUuid)!;
    t.is(back.status, 'pending');
    t.is(back.assignedTo, null);
    t.is(back.attempts, 1);
    t.is(ts.store.tasks.submit('slow', [{ taskUuid: task!.taskUuid, ...ok }]).rejected, 1, 'late submit after reclaim');
    const again = ts.store.tasks.fetch({ executorId: 'fast', batchSize: 1 }).tasks[0]!;
    t.is(again.taskUuid, task!.taskUuid, 'the reclaimed task is handed out again first');
    t.is(ts.store.tasks.submit('fast', [{ taskUuid: task!.taskUuid, ...ok }]).accepted, 1);
  } finally {
    ts.cleanup();
  }
});

test('renewing a lease keeps a long episode from being reclaimed', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store);
    const [task] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 1 }).tasks;
    ts.clock.advance(800);
    t.is(ts.store.tasks.renewLease('e1', [task!.taskUuid]), 1);
    t.is(ts.store.tasks.renewLease('other', [task!.taskUuid]), 0, 'only the owner renews');
    ts.clock.advance(800);
    t.is(ts.store.tasks.reclaimStale(900, 3), 0);
  } finally {
    ts.cleanup();
  }
});

test('executor faults are retried, then fail as infrastructure faults after the budget', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store, { uids: [1], envIds: ['metaworld/reach-v3'], episodes: 1 });
    for (let attempt = 1; attempt <= 2; attempt++) {
      const [task] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 1 }).tasks;
      t.truthy(task, `attempt ${attempt} gets the task back`);
      t.is(ts.store.tasks.releaseForRetry('e1', task!.taskUuid, 'worker crashed', 3), 'retry');
    }
    const [task] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 1 }).tasks;
    t.is(ts.store.tasks.releaseForRetry('e1', task!.taskUuid, 'worker crashed', 3), 'exhausted');
    const final = ts.store.tasks.get(task!.taskUuid)!;
    t.is(final.status, 'failed');
    t.is(final.fault, 'executor');
    t.is(final.attempts, 3);
    t.is(ts.store.tasks.stats(final.cycleId).infraFailedTasks, 1);
    t.is(ts.store.tasks.releaseForRetry('e1', task!.taskUuid, 'again', 3), 'rejected', 'not assigned any more');
  } finally {
    ts.cleanup();
  }
});

test('one submit scores results and puts executor faults back, in one transaction and one notification', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store);
    const [scored, faulted] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 2 }).tasks;
    let notified = 0;
    ts.store.tasks.onChange(() => (notified += 1));
    const outcome = ts.store.tasks.submit(
      'e1',
      [
        { taskUuid: faulted!.taskUuid, ...ok, success: false, error: 'worker crashed', fault: 'executor' },
        { taskUuid: 'unknown', ...ok, fault: 'executor' },
        { taskUuid: scored!.taskUuid, ...ok, fault: 'miner' },
      ],
      3,
    );
    t.deepEqual(outcome, { accepted: 2, rejected: 1, errors: ['Task unknown: not found or not assigned to executor'] });
    t.is(notified, 1);
    t.is(ts.store.tasks.get(scored!.taskUuid)!.status, 'completed');
    const back = ts.store.tasks.get(faulted!.taskUuid)!;
    t.like(back, { status: 'pending', attempts: 1, lastError: 'worker crashed', result: null });
  } finally {
    ts.cleanup();
  }
});

test('task counts kept by triggers agree with the rows', (t) => {
  const ts = tempStore();
  try {
    const { cycle } = seedCycle(ts.store);
    const [a, b] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 3 }).tasks;
    ts.store.tasks.submit('e1', [
      { taskUuid: a!.taskUuid, ...ok },
      { taskUuid: b!.taskUuid, ...ok, success: false, error: 'x' },
    ]);
    seedCycle(ts.store, { uids: [3] });
    for (const scope of [cycle.id, null]) {
      const rows = ts.store.db
        .prepare(`SELECT status, count(*) AS n FROM task_pool ${scope === null ? '' : 'WHERE cycle_id = ?'} GROUP BY status`)
        .all(...(scope === null ? [] : [scope])) as { status: string; n: number }[];
      const expected = { pending: 0, assigned: 0, completed: 0, failed: 0, ...Object.fromEntries(rows.map((r) => [r.status, r.n])) };
      t.deepEqual(ts.store.tasks.counts(scope), expected);
    }
    t.false(ts.store.tasks.isCycleDone(cycle.id));
  } finally {
    ts.cleanup();
  }
});

test('after a restart, tasks held by this process are reclaimed without costing an attempt', (t) => {
  const ts = tempStore();
  try {
    seedCycle(ts.store);
    ts.store.tasks.fetch({ executorId: 'local-w0', batchSize: 2 });
    ts.store.tasks.fetch({ executorId: 'remote-1', batchSize: 2 });
    t.is(ts.store.tasks.remoteExecutorCount('local-'), 1);
    t.is(ts.store.tasks.reclaimAssignedTo('local-'), 2);
    const stats = ts.store.tasks.stats(null);
    t.is(stats.assignedTasks, 2, 'remote executors keep their leases');
    t.is(stats.pendingTasks, 6);
  } finally {
    ts.cleanup();
  }
});

test('cancelling a cycle fails its unfinished tasks but keeps finished results', (t) => {
  const ts = tempStore();
  try {
    const { cycle } = seedCycle(ts.store);
    const [done] = ts.store.tasks.fetch({ executorId: 'e1', batchSize: 2 }).tasks;
    ts.store.tasks.submit('e1', [{ taskUuid: done!.taskUuid, ...ok }]);
    t.is(ts.store.tasks.cancelUnfinished(cycle.id, 'Cycle cancelled'), 7);
    t.true(ts.store.tasks.isCycleDone(cycle.id));
    t.is(ts.store.tasks.get(done!.taskUuid)!.status, 'completed');
    const stats = ts.store.tasks.stats(cycle.id);
    t.is(stats.failedTasks, 7);
    t.is(stats.infraFailedTasks, 7);
  } finally {
    ts.cleanup();
  }
});

test('stats count by status and active executors, per cycle or the whole pool', (t) => {
  const ts = tempStore();
  try {
    const first = seedCycle(ts.store);
    ts.store.tasks.fetch({ executorId: 'e1', batchSize: 2 });
    ts.store.tasks.fetch({ executorId: 'e2', batchSize: 1 });
    const s = ts.store.tasks.stats(first.cycle.id);
    t.like(s, { totalTasks: 8, pendingTasks: 5, assignedTasks: 3, completedTasks: 0, failedTasks: 0, activeExecutors: 2 });
    const second = seedCycle(ts.store, { uids: [3] });
    t.is(ts.store.tasks.stats(second.cycle.id).totalTasks, 4);
    t.is(ts.store.tasks.stats(null).totalTasks, 12);
  } finally {
    ts.cleanup();
  }
});

function startClaimer(file: string, id: string) {
  const child = fork(new URL('./fixtures/claim-worker.ts', import.meta.url).pathname, [file, id, '2'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const nextMessage = (expected: string) =>
    new Promise<void>((resolve) => {
      const onMessage = (m: unknown) => {
        if (m !== expected) return;
        child.off('message', onMessage);
        resolve();
      };
      child.on('message', onMessage);
    });
  const ready = nextMessage('ready');
  const done = new Promise<string[]>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as string[]) : reject(new Error(`claimer exited ${code}`))));
  });
  // go: claim a first batch (resolves once it is held); race: claim the rest against the other process.
  return {
    ready,
    done,
    go: () => {
      const claimed = nextMessage('claimed');
      child.send('go');
      return claimed;
    },
    race: () => child.send('race'),
  };
}

test('two processes claiming concurrently never get the same task', async (t) => {
  const ts = tempStore();
  try {
    const { uuids } = seedCycle(ts.store, { uids: [1, 2, 3, 4, 5], envIds: ['metaworld/reach-v3', 'metaworld/push-v3'], episodes: 300 });
    const claimers = [startClaimer(ts.file, 'p1'), startClaimer(ts.file, 'p2')];
    await Promise.all(claimers.map((c) => c.ready));
    await Promise.all(claimers.map((c) => c.go()));
    for (const c of claimers) c.race();
    const [a, b] = await Promise.all(claimers.map((c) => c.done));
    const all = [...a, ...b];
    t.is(all.length, uuids.length, 'every task claimed');
    t.is(new Set(all).size, uuids.length, 'no task claimed twice');
    t.true(a.length > 0 && b.length > 0, 'both processes got work');
  } finally {
    ts.cleanup();
  }
});
