import test from 'ava';
import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CliUsageError, resolveOptions } from '../src/cli/command.ts';
import { evalCommand } from '../src/cli/commands/eval.ts';

async function runEval(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { options, positionals } = resolveOptions(evalCommand, { argv, env: {}, dotenv: {} });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (b: Buffer) => out.push(b));
  stderr.on('data', (b: Buffer) => err.push(b));
  const code = (await evalCommand.run({ options, positionals, stdout, stderr })) ?? 0;
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

test('eval --json reports per-environment results and is reproducible from --seed', async (t) => {
  const argv = ['--policy', 'oracle', '--env', 'metaworld/reach-v3,metaworld/drawer-close-v3', '--episodes', '3', '--seed', '9', '--no-images', '--json'];
  const first = await runEval(argv);
  t.is(first.code, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  t.is(summary.policy, 'oracle');
  t.deepEqual(Object.keys(summary.envs), ['metaworld/reach-v3', 'metaworld/drawer-close-v3']);
  for (const env of Object.values(summary.envs) as Record<string, number>[]) {
    t.deepEqual(Object.keys(env).sort(), ['episodes', 'errors', 'mean_reward', 'mean_steps', 'success_rate', 'successes', 'violations']);
    t.is(env.episodes, 3);
    t.is(env.successes, 3);
    t.is(env.success_rate, 1);
    t.is(env.errors, 0);
    t.true(env.mean_steps! > 10 && env.mean_steps! < 500);
  }
  t.is(
    summary.steps,
    Object.values(summary.envs).reduce((n: number, e) => n + (e as { mean_steps: number }).mean_steps * 3, 0),
  );
  t.true(typeof summary.seconds === 'number');

  const second = JSON.parse((await runEval(argv)).stdout);
  delete summary.seconds;
  delete second.seconds;
  t.deepEqual(second, summary);
  const other = JSON.parse((await runEval(argv.map((a) => (a === '9' ? '10' : a)))).stdout);
  t.notDeepEqual(other.envs, summary.envs, 'another seed gives other episodes');
});

test('eval rejects unknown environments and policies as usage errors', async (t) => {
  await t.throwsAsync(() => runEval(['--env', 'metaworld/nope-v3']), { instanceOf: CliUsageError });
  t.throws(() => resolveOptions(evalCommand, { argv: ['--policy', 'clever'], env: {}, dotenv: {} }), { instanceOf: CliUsageError });
  t.throws(() => resolveOptions(evalCommand, { argv: ['--episodes', '0'], env: {}, dotenv: {} }), { instanceOf: CliUsageError });
});

test('the kinitro binary runs eval end to end (random policy, human-readable output)', async (t) => {
  const bin = fileURLToPath(new URL('../bin/kinitro.js', import.meta.url));
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [bin, 'eval', '--policy', 'random', '--env', 'metaworld/button-press-v3', '--episodes', '1', '--max-steps', '50', '--no-images'],
    {
      timeout: 30_000,
    },
  );
  t.regex(stdout, /policy random/);
  t.regex(stdout, /metaworld\/button-press-v3\s+0\/1\s+0%/);
  t.regex(stdout, /50 control steps/);
});
