/**
 * Database faults seen by the services: a database kinitro cannot write is refused at start (not
 * served with 500s), and a full disk answers executors 503 with a detail (they keep their results and
 * retry) instead of 500 or, worse, "rejected".
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { BIN, ROOT, waitForOutput, whenClosed } from './helpers/cli.ts';
import { startTestApi } from './helpers/api.ts';
import { seedCycle, tempDir } from './helpers/store.ts';
import { Store } from '../src/store/index.ts';

/**
 * Starts `kinitro <args>` unable to write `file`: as root (CI) the child runs as `nobody` with the
 * file owned by root and mode 0644; otherwise the file and its directory are made read-only.
 */
function spawnWithoutWriteAccess(args: string[], dir: string, file: string) {
  const root = process.getuid?.() === 0;
  if (root) {
    fs.chmodSync(dir, 0o755);
    fs.chmodSync(file, 0o644);
  } else {
    fs.chmodSync(file, 0o444);
    fs.chmodSync(dir, 0o555);
  }
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, HOME: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(root ? { uid: 65534, gid: 65534 } : {}),
  });
  return child;
}

test('`kinitro api` refuses a database it cannot write, as `start` does, instead of serving 500s', async (t) => {
  t.timeout(90_000);
  const dir = tempDir();
  const file = path.join(dir, 'k.sqlite');
  const store = Store.open(file);
  seedCycle(store);
  store.close();
  const child = spawnWithoutWriteAccess(['api', '--db', file, '--port', '0', '--host', '127.0.0.1', '--no-auth'], dir, file);
  try {
    const m = await waitForOutput(child, /read-only|API listening/, 60_000);
    t.is(m[0], 'read-only', 'refused at start');
    t.is(await whenClosed(child), 1);
  } finally {
    child.kill('SIGKILL');
    fs.chmodSync(dir, 0o700);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a full disk answers the executor endpoints 503 with a detail, and nothing is half-recorded', async (t) => {
  const a = await startTestApi();
  try {
    const { uuids } = seedCycle(a.store);
    const fetched = await a.post('/v1/tasks/fetch', { executor_id: 'ex', batch_size: 8 });
    t.is(fetched.body.tasks.length, 8);
    // Let the database grow no further: what SQLite reports on a full disk (SQLITE_FULL).
    const pages = a.store.db.pragma('page_count', { simple: true }) as number;
    a.store.db.pragma(`max_page_count = ${pages}`);
    const results = uuids.map((u) => ({ task_uuid: u, success: false, error: 'x'.repeat(9_000) }));
    const r = await a.post('/v1/tasks/submit', { executor_id: 'ex', results });
    t.is(r.status, 503);
    t.regex(r.body.detail, /Storage full/);
    t.is(r.headers.get('retry-after'), '60');
    t.is(a.store.tasks.stats(null).assignedTasks, 8, 'the submit rolled back as a whole: every task still assigned, none counted');
    a.store.db.pragma('max_page_count = 4294967294');
    const again = await a.post('/v1/tasks/submit', { executor_id: 'ex', results });
    t.deepEqual(again.body, { accepted: 8, rejected: 0, errors: [] }, "the executor's retry lands once there is room");
  } finally {
    await a.close();
  }
});
