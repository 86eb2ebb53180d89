/**
 * Checks against the Python libraries miners use — pyarrow/pandas/datasets (LeRobot's loader),
 * gymnasium, FastAPI/uvicorn — run where they are installed and are skipped where they are not (CI
 * has python3 and numpy only). KINITRO_TEST_PYTHON picks the interpreter (e.g. a virtualenv's).
 */
import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { runCli } from './helpers/cli.ts';
import { FIXTURES, KINITRO_CMD, stopChild } from './helpers/python.ts';
import { tempDir, waitFor } from './helpers/store.ts';

const PYTHON = process.env.KINITRO_TEST_PYTHON ?? 'python3';
const has = (modules: string) => spawnSync(PYTHON, ['-c', `import ${modules}`], { stdio: 'ignore' }).status === 0;

function runJson(args: string[], env: NodeJS.ProcessEnv = {}): any {
  const r = spawnSync(PYTHON, args, { env: { ...process.env, KINITRO_CMD, PYTHONDONTWRITEBYTECODE: '1', ...env }, encoding: 'utf8', timeout: 170_000 });
  if (r.status !== 0) throw new Error(`${PYTHON} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

(has('pyarrow, pandas, datasets, PIL') ? test : test.skip)('a recorded dataset loads the way LeRobot v3.0 loads it (pyarrow, pandas, datasets)', async (t) => {
  t.timeout(300_000);
  const out = path.join(tempDir('kinitro-lerobot-'), 'demo');
  const r = await runCli(
    [
      'dataset',
      'record',
      '--policy',
      'oracle',
      '--env',
      'metaworld/reach-v3,metaworld/drawer-close-v3',
      '--episodes',
      '2',
      '--seed',
      '1',
      '--max-steps',
      '40',
      '--out',
      out,
      '--json',
    ],
    { timeoutMs: 200_000 },
  );
  t.is(r.code, 0, r.stderr);
  const total = JSON.parse(r.stdout).total_frames as number;
  const loaded = runJson([path.join(FIXTURES, 'lerobot_load.py'), out]);
  t.deepEqual(loaded.arrow_types, {
    'observation.state': 'fixed_size_list<item: float>[14]',
    action: 'fixed_size_list<item: float>[7]',
    'observation.images.corner': 'struct<bytes: binary, path: string>',
    'next.done': 'bool',
    index: 'int64',
  });
  t.is(loaded.rows, total);
  t.is(loaded.episode_1_rows, loaded.episodes[1].length);
  t.deepEqual(loaded.image, [84, 84, 3]);
  t.is(loaded.image_dtype, 'uint8');
  t.is(loaded.state.length, 14);
  t.is(loaded.index, 3);
  t.is(loaded.task_of_row, 'metaworld/reach-v3: Move the gripper to a goal position.');
  t.is(loaded.task_index_of_first, 0);
  t.deepEqual(Object.keys(loaded.episodes[0]).sort(), [
    'data/chunk_index',
    'data/file_index',
    'dataset_from_index',
    'dataset_to_index',
    'episode_index',
    'length',
    'meta/episodes/chunk_index',
    'meta/episodes/file_index',
    'tasks',
  ]);
});

(has('gymnasium') ? test : test.skip)('kinitro_env under gymnasium: registered ids, gym.make passes the env checker, gym.make_vec', (t) => {
  t.timeout(180_000);
  const out = runJson([path.join(FIXTURES, 'gym_check.py')]);
  t.is(out.registered.length, 8);
  t.true(out.registered.includes('kinitro/metaworld-reach-v3'));
  t.true(out.single_contains);
  t.is(out.check_env, 'ok');
  t.true(out.vec_is_vector_env);
  t.true(out.vec_contains);
  t.regex(out.autoreset_mode, /NEXT_STEP/);
  t.deepEqual(out.resets, [false, false, false, false, false, true]);
});

(has('fastapi, uvicorn') ? test : test.skip)('the template under uvicorn (server:app) passes kinitro eval --endpoint', async (t) => {
  t.timeout(180_000);
  const dir = path.join(tempDir('kinitro-uvicorn-'), 'm');
  t.is((await runCli(['init-miner', dir], { timeoutMs: 180_000 })).code, 0);
  const child = spawn(PYTHON, ['-m', 'uvicorn', 'server:app', '--host', '127.0.0.1', '--port', '0'], {
    cwd: dir,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  try {
    const port = await waitFor(() => /running on http:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1], { timeoutMs: 30_000, what: 'uvicorn to listen' });
    const r = await runCli(
      ['eval', '--endpoint', `http://127.0.0.1:${port}`, '--env', 'metaworld/reach-v3', '--episodes', '2', '--max-steps', '10', '--json'],
      { timeoutMs: 150_000 },
    );
    t.is(r.code, 0, r.stderr);
    t.like(JSON.parse(r.stdout).envs['metaworld/reach-v3'], { errors: 0, mean_steps: 10 });
  } finally {
    await stopChild(child);
  }
});
