/**
 * What an adversarial miner can read without a key while a cycle runs: every public route, the
 * metrics and the appliance's own log must carry no instance material (seeds, instance keys or any
 * part of them), no miner endpoint and no executor identity.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawnCli, whenClosed } from './helpers/cli.ts';
import { tempDir, waitFor } from './helpers/store.ts';
import { closedPort } from './helpers/policy-server.ts';
import { parseInstance } from '../src/sim/instance.ts';

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text() };
}

test('no public route, metric or log line carries seeds, instance material, endpoints or executor ids (running cycle)', async (t) => {
  t.timeout(240_000);
  const dir = tempDir();
  const db = path.join(dir, 'k.sqlite');
  const port = await closedPort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawnCli(
    [
      'start',
      '--no-tui',
      '--log-level',
      'debug',
      '--db',
      db,
      '--port',
      String(port),
      '--demo-miners',
      '2',
      '--envs',
      'metaworld/reach-v3',
      '--workers',
      '1',
      '--no-validate',
      '--cycle-cron',
      '0 0 1 1 *',
      '--episodes-per-env',
      '6',
      '--max-steps',
      '120',
    ],
    { cwd: dir },
  );
  const pages: Record<string, string> = {};
  try {
    // While the cycle runs: some tasks done, some still to come.
    await waitFor(
      async () => {
        try {
          const r = JSON.parse((await get(`${base}/v1/tasks/stats?cycle_id=1`)).text);
          return r.completed_tasks + r.failed_tasks >= 2 && r.pending_tasks + r.assigned_tasks > 0;
        } catch {
          return false;
        }
      },
      { timeoutMs: 200_000, intervalMs: 100, what: `a running cycle (log: ${proc.output().slice(-1500)})` },
    );
    const routes = [
      '/health',
      '/v1/status',
      '/v1/weights/latest',
      '/v1/scores/latest',
      '/v1/scores/1',
      '/v1/miners',
      '/v1/environments',
      '/v1/tasks/stats',
      '/v1/tasks/stats?cycle_id=1',
      '/v1/cycles',
      '/v1/cycles/1',
      '/v1/cycles/1/tasks?limit=500',
      '/v1/cycles/1/tasks?status=assigned',
      '/v1/cycles/1/tasks?status=completed',
      '/v1/miners/1/history',
      '/v1/miners/2/history',
      '/v1/appliance',
      '/v1/spot-checks',
      '/v1/cycles/1/spot-checks',
      '/metrics',
    ];
    for (const route of routes) pages[route] = (await get(`${base}${route}`)).text;
    // Task routes refuse without the key.
    t.is((await fetch(`${base}/v1/tasks/fetch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"executor_id":"x"}' })).status, 401);
  } finally {
    proc.child.kill('SIGTERM');
  }
  await whenClosed(proc.child);

  const { Store } = await import('../src/store/index.ts');
  const store = Store.open(db);
  const tasks = store.tasks.listForCycle(1, { limit: 1000, offset: 0 }).tasks;
  store.close();
  t.true(tasks.length > 0);
  const secrets = new Set<string>();
  for (const task of tasks) {
    const key = parseInstance(task.instance);
    secrets.add(task.instance);
    // Any 8-byte piece of either half of the key would be instance material too.
    for (const half of [key.layout, key.variant]) {
      const hex = Buffer.from(half).toString('hex');
      for (let i = 0; i + 16 <= hex.length; i += 16) secrets.add(hex.slice(i, i + 16));
    }
    secrets.add(`"seed":${task.seed}`);
    if (task.seed >= 1e8) secrets.add(String(task.seed)); // shorter numbers could appear by chance
    secrets.add(task.minerEndpoint);
    secrets.add(new URL(task.minerEndpoint).host);
  }
  // The executors' ids (the in-process one is recorded on every task it ran, in the store only).
  const executors = new Set(tasks.map((x) => x.assignedTo).filter((x): x is string => x !== null));
  t.true(executors.size > 0);
  for (const e of executors) secrets.add(e);

  const leaks = (text: string) => [...secrets].filter((s) => text.includes(s));
  for (const [route, text] of Object.entries(pages)) {
    t.deepEqual(leaks(text), [], `${route} leaks`);
    t.false(/"(seed|instance|miner_endpoint|assigned_to)"/.test(text), `${route} has a secret field`);
  }
  const listing = JSON.parse(pages['/v1/cycles/1/tasks?limit=500']!);
  t.true(listing.tasks.length > 0, 'the public listing still shows the tasks');
  t.deepEqual(Object.keys(listing.tasks[0]).sort(), [
    'assigned_at',
    'attempts',
    'completed_at',
    'created_at',
    'cycle_id',
    'env_id',
    'episode_index',
    'fault',
    'last_error',
    'miner_hotkey',
    'miner_uid',
    'result',
    'status',
    'task_uuid',
  ]);
  t.deepEqual(leaks(proc.output()), [], 'the log (debug level) leaks');
  fs.rmSync(dir, { recursive: true, force: true });
});
