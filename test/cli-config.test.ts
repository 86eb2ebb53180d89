import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { defineCommand, formatHelp, opt, resolveOptions, CliUsageError } from '../src/cli/command.ts';
import { COMMANDS } from '../src/cli/commands/index.ts';
import { runCli, spawnCli } from './helpers/cli.ts';
import { tempDir, waitFor } from './helpers/store.ts';

const spec = defineCommand({
  path: ['demo'],
  summary: 'demo',
  options: {
    port: opt.int('port', { default: 8000, min: 1, max: 65535 }),
    dbFile: opt.string('db', { default: 'a.sqlite' }),
    mode: opt.choice(['fast', 'slow'] as const, 'mode', { default: 'fast' }),
    apiKey: opt.string('key'),
    verbose: opt.flag('verbose'),
    ratio: opt.number('ratio', { default: 0.5, min: 0, max: 1 }),
    name: opt.string('name', { required: true, env: false }),
  },
  async run() {},
});

test('precedence is flag > environment > .env > default', (t) => {
  const base = { argv: ['--name', 'n'] };
  t.is(resolveOptions(spec, base).options.port, 8000);
  t.is(resolveOptions(spec, { ...base, dotenv: { KINITRO_PORT: '7000' } }).options.port, 7000);
  t.is(resolveOptions(spec, { ...base, env: { KINITRO_PORT: '6000' }, dotenv: { KINITRO_PORT: '7000' } }).options.port, 6000);
  t.is(resolveOptions(spec, { argv: ['--name', 'n', '--port', '5000'], env: { KINITRO_PORT: '6000' }, dotenv: { KINITRO_PORT: '7000' } }).options.port, 5000);
  t.is(resolveOptions(spec, { ...base, env: { KINITRO_DB_FILE: 'b.sqlite' } }).options.dbFile, 'b.sqlite', 'camelCase keys map to UPPER_SNAKE env names');
  t.true(resolveOptions(spec, { ...base, env: { KINITRO_VERBOSE: 'yes' } }).options.verbose);
  t.is(resolveOptions(spec, { ...base, env: {} }).options.apiKey, undefined);
  const aliased = defineCommand({
    path: ['x'],
    summary: 'x',
    options: { key: opt.string('k', { env: 'KINITRO_NEW', envAliases: ['KINITRO_OLD'] }) },
    async run() {},
  });
  t.is(resolveOptions(aliased, { argv: [], env: { KINITRO_OLD: 'old' } }).options.key, 'old', "the original's variable name still works");
  t.is(resolveOptions(aliased, { argv: [], env: { KINITRO_OLD: 'old', KINITRO_NEW: 'new' } }).options.key, 'new', 'the primary name wins');
});

test('unknown flags, bad values and missing required options are rejected clearly', (t) => {
  const bad: [string[], Record<string, string>, RegExp][] = [
    [['--name', 'n', '--bogus'], {}, /Unknown option '--bogus'/],
    [['--name', 'n', '--port', 'eighty'], {}, /--port: expected a number/],
    [['--name', 'n', '--port', '1.5'], {}, /--port: expected an integer/],
    [['--name', 'n', '--port', '70000'], {}, /--port: must be ≤ 65535/],
    [['--name', 'n', '--mode', 'medium'], {}, /--mode: expected one of fast, slow/],
    [['--name', 'n', '--ratio', '2'], {}, /--ratio: must be ≤ 1/],
    [['--name', 'n'], { KINITRO_PORT: 'x' }, /environment KINITRO_PORT: expected a number/],
    [['--name', 'n'], { KINITRO_VERBOSE: 'maybe' }, /expected a boolean/],
    [[], {}, /missing --name/],
    [['--name', 'n', 'extra'], {}, /unexpected argument "extra"/],
  ];
  for (const [argv, env, message] of bad) {
    t.throws(() => resolveOptions(spec, { argv, env }), { instanceOf: CliUsageError, message }, argv.join(' '));
  }
});

test('--help is answered by every command and lists every option with its env var', (t) => {
  for (const command of COMMANDS) {
    const r = resolveOptions(command, { argv: ['--help'], env: {} });
    t.true(r.help, command.path.join(' '));
    const help = formatHelp(command);
    for (const key of Object.keys(command.options))
      t.true(help.includes(key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)), `${command.path.join(' ')} --${key}`);
  }
  t.regex(formatHelp(spec), /--port N\s+port \(default 8000; env KINITRO_PORT\)/);
});

test('kinitro prints help, lists environments as JSON, and exits 2 on usage errors', async (t) => {
  const help = await runCli(['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /Commands:/);
  const envs = await runCli(['list-envs', '--json']);
  t.is(envs.code, 0);
  const parsed = JSON.parse(envs.stdout) as { env_id: string }[];
  t.is(parsed.length, 8);
  t.is(parsed[0]!.env_id, 'metaworld/reach-v3');
  const unknown = await runCli(['frobnicate']);
  t.is(unknown.code, 2);
  t.regex(unknown.stderr, /unknown command "frobnicate"/);
  const badFlag = await runCli(['api', '--port', 'abc']);
  t.is(badFlag.code, 2);
  t.regex(badFlag.stderr, /--port: expected a number/);
});

test('kinitro db init/status work on a file and refuse a non-database', async (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'k.sqlite');
  const init = await runCli(['db', 'init', '--db', file]);
  t.is(init.code, 0, init.stderr);
  t.regex(init.stdout, /ready at schema version \d+/);
  const status = await runCli(['db', 'status', '--db', file]);
  t.is(status.code, 0, status.stderr);
  t.regex(status.stdout, /cycles:\s+0 total/);
  const junk = path.join(dir, 'junk.sqlite');
  fs.writeFileSync(junk, 'hello world, not sqlite'.repeat(100));
  const bad = await runCli(['db', 'status', '--db', junk]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /not a kinitro SQLite database or is corrupt/);
  fs.rmSync(dir, { recursive: true });
});

test('kinitro api serves, reads its key from .env, and shuts down on SIGTERM', async (t) => {
  t.timeout(180_000); // a cold CLI start (tsx transform) on a loaded CI box; a passing run returns at once
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '.env'), 'KINITRO_API_KEY=from-dotenv\n');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = spawnCli(['api', '--db', path.join(dir, 'k.sqlite'), '--port', String(port), '--host', '127.0.0.1'], { cwd: dir });
  try {
    await waitFor(() => proc.output().includes('API listening'), { timeoutMs: 120_000, what: 'API start' });
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    t.is(health.status, 200);
    const fetchTasks = (key: string) =>
      fetch(`http://127.0.0.1:${port}/v1/tasks/fetch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: '{"executor_id":"e"}',
      });
    t.is((await fetchTasks('from-dotenv')).status, 200);
    t.is((await fetchTasks('other')).status, 401);
  } finally {
    proc.child.kill('SIGTERM');
  }
  const code = await new Promise((resolve) => proc.child.on('close', resolve));
  t.is(code, 0);
  fs.rmSync(dir, { recursive: true });
});
