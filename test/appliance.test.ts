import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawnCli, whenClosed } from './helpers/cli.ts';
import { tempDir, waitFor } from './helpers/store.ts';
import { closedPort } from './helpers/policy-server.ts';

const ENVS = 'metaworld/reach-v3,metaworld/push-v3';

async function getJson(url: string): Promise<{ status: number; body: any }> {
  try {
    const res = await fetch(url);
    return { status: res.status, body: await res.json() };
  } catch {
    return { status: 0, body: null };
  }
}

function startArgs(db: string, port: number, extra: string[] = []): string[] {
  return [
    'start',
    '--no-tui',
    '--db',
    db,
    '--port',
    String(port),
    '--demo-miners',
    '2',
    '--envs',
    ENVS,
    '--workers',
    '1',
    '--no-validate',
    '--cycle-cron',
    '0 0 1 1 *',
    ...extra,
  ];
}

test('kinitro start publishes weights on its embedded local chain and stops cleanly', async (t) => {
  t.timeout(240_000);
  const dir = tempDir();
  const port = await closedPort();
  const proc = spawnCli(startArgs(path.join(dir, 'k.sqlite'), port, ['--episodes-per-env', '1', '--max-steps', '25']), { cwd: dir });
  try {
    const weights = await waitFor(
      async () => {
        const r = await getJson(`http://127.0.0.1:${port}/v1/weights/latest`);
        return r.status === 200 ? r.body : null;
      },
      { timeoutMs: 200_000, intervalMs: 500, what: `weights (log: ${proc.output().slice(-2000)})` },
    );
    t.deepEqual(weights.weights_u16.uids.length, 2, 'both demo miners are weighted');
    t.is(
      weights.weights_u16.values.reduce((a: number, b: number) => a + b, 0),
      65535,
    );
    const scores = (await getJson(`http://127.0.0.1:${port}/v1/scores/latest`)).body;
    t.deepEqual(new Set(scores.scores.map((s: { env_id: string }) => s.env_id)), new Set(ENVS.split(',')));
    const status = (await getJson(`http://127.0.0.1:${port}/v1/appliance`)).body;
    t.is(status.chain.mode, 'local');
    t.true(status.chain.block >= 1);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    t.regex(metrics, /kinitro_cycles_total\{outcome="completed"\} 1/);
    t.regex(metrics, /kinitro_weights_published_total 1/);
  } finally {
    proc.child.kill('SIGTERM');
  }
  t.is(await whenClosed(proc.child), 0);
  t.regex(proc.output(), /appliance stopped/);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('killed with SIGKILL mid-cycle, the appliance resumes the cycle: no result lost, none counted twice', async (t) => {
  // Covers both waits below: a passing run returns as soon as the resumed cycle ends.
  t.timeout(480_000);
  const dir = tempDir();
  const db = path.join(dir, 'k.sqlite');
  const port = await closedPort();
  // 32 tasks of at most 60 steps: long enough to kill it mid-cycle, short enough for a loaded 2-core box.
  const args = startArgs(db, port, ['--episodes-per-env', '8', '--max-steps', '60']);
  const first = spawnCli(args, { cwd: dir });
  let before: { task_uuid: string; status: string; completed_at: string | null }[] = [];
  try {
    await waitFor(
      async () => {
        const r = await getJson(`http://127.0.0.1:${port}/v1/tasks/stats?cycle_id=1`);
        return r.status === 200 && r.body.completed_tasks + r.body.failed_tasks >= 3;
      },
      { timeoutMs: 200_000, intervalMs: 100, what: `first results (log: ${first.output().slice(-1500)})` },
    );
    first.child.kill('SIGKILL');
    await whenClosed(first.child);
  } finally {
    first.child.kill('SIGKILL');
  }
  {
    const { Store } = await import('../src/store/index.ts');
    const store = Store.open(db);
    t.is(store.cycles.get(1)!.status, 'running', 'the killed cycle is left running, not cancelled');
    before = store.tasks
      .listForCycle(1, { limit: 500, offset: 0 })
      .tasks.map((x) => ({ task_uuid: x.taskUuid, status: x.status, completed_at: x.completedAt }));
    store.close();
  }
  const finishedBefore = before.filter((x) => x.status === 'completed' || x.status === 'failed');
  t.true(finishedBefore.length >= 3 && finishedBefore.length < before.length, `killed mid-cycle (${finishedBefore.length}/${before.length} done)`);

  const second = spawnCli(args, { cwd: dir });
  try {
    const cycle = await waitFor(
      async () => {
        const r = await getJson(`http://127.0.0.1:${port}/v1/cycles/1`);
        return r.status === 200 && r.body.status !== 'running' ? r.body : null;
      },
      { timeoutMs: 250_000, intervalMs: 250, what: `resumed cycle (log: ${second.output().slice(-1500)})` },
    );
    t.is(cycle.status, 'completed');
    const tasks = (await getJson(`http://127.0.0.1:${port}/v1/cycles/1/tasks?limit=500`)).body.tasks as {
      task_uuid: string;
      status: string;
      completed_at: string | null;
      fault: string | null;
    }[];
    t.is(tasks.length, before.length, 'no task lost or added');
    t.true(tasks.every((x) => x.status === 'completed' || x.status === 'failed'));
    for (const done of finishedBefore) {
      t.is(tasks.find((x) => x.task_uuid === done.task_uuid)!.completed_at, done.completed_at, 'a result from before the kill is kept, not re-run');
    }
    const scores = (await getJson(`http://127.0.0.1:${port}/v1/scores/1`)).body.scores as { episodes_completed: number }[];
    const scoredTasks = tasks.filter((x) => x.fault !== 'executor' && x.fault !== 'cancelled').length;
    t.is(
      scores.reduce((a, s) => a + s.episodes_completed, 0),
      scoredTasks,
      'every result counted exactly once',
    );
    t.is((await getJson(`http://127.0.0.1:${port}/v1/weights/latest`)).body.cycle_id >= 1, true);
  } finally {
    second.child.kill('SIGTERM');
  }
  t.is(await whenClosed(second.child), 0);
  fs.rmSync(dir, { recursive: true, force: true });
});
