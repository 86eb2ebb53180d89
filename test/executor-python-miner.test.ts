import test from 'ava';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runCli } from './helpers/cli.ts';
import { waitFor } from './helpers/store.ts';

test('kinitro eval --endpoint evaluates a policy server written in Python for the original protocol (unchanged), with full observations and no seed in /reset', async (t) => {
  t.timeout(180_000);
  const script = fileURLToPath(new URL('./fixtures/python_miner.py', import.meta.url));
  const miner = spawn('python3', [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    miner.stdout!.on('data', (d) => (out += d));
    const port = Number(await waitFor(() => out.trim().split('\n')[0], { timeoutMs: 60_000, what: 'python miner port' }));
    const r = await runCli(['eval', '--endpoint', `http://127.0.0.1:${port}`, '--env', 'all', '--episodes', '1', '--max-steps', '15', '--json'], {
      timeoutMs: 150_000,
    });
    t.is(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as {
      endpoint: string;
      peak_concurrency: number;
      envs: Record<string, { episodes: number; errors: number; mean_steps: number }>;
    };
    t.is(Object.keys(summary.envs).length, 8);
    t.is(summary.peak_concurrency, 1, 'it declares no capacity: one episode at a time, as a validator runs it');
    for (const [env, s] of Object.entries(summary.envs)) {
      t.is(s.errors, 0, `${env} ran without protocol errors`);
      t.true(s.mean_steps > 0);
    }
    const received = (await (await fetch(`http://127.0.0.1:${port}/received`)).json()) as {
      resets: { task_config: Record<string, unknown> }[];
      bad_obs: unknown[];
    };
    t.is(received.resets.length, 8);
    // No seed, no scene; the episode id is the opt-in extension this miner (written for the original protocol) ignores.
    for (const reset of received.resets)
      t.deepEqual(Object.keys(reset.task_config).sort(), ['env_id', 'env_name', 'episode_id', 'task_name'], 'no seed, no scene');
    t.deepEqual(received.bad_obs, [], 'every observation had both cameras, five proprio channels and camera matrices');
  } finally {
    miner.kill('SIGTERM');
  }
});
