/**
 * Secrets (API keys, hotkey mnemonics, chain URL credentials) never reach argv, logs or responses.
 * Real child processes: secrets are passed by file and by environment, every log line is captured at
 * debug level, every public route is read, and the command lines of the process tree are inspected.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { cryptoWaitReady, mnemonicGenerate } from '@polkadot/util-crypto';
import { runCli, spawnCli, waitForOutput, whenClosed } from './helpers/cli.ts';
import { tempDir } from './helpers/store.ts';
import { closedPort } from './helpers/policy-server.ts';
import { defineCommand, formatHelp, opt, resolveOptions, CliUsageError } from '../src/cli/command.ts';
import { startCommand } from '../src/cli/commands/start.ts';
import { apiCommand } from '../src/cli/commands/api.ts';
import { openDatabase } from '../src/store/db.ts';
import { LocalChain } from '../src/chain/local-chain.ts';
import { SubtensorChain } from '../src/chain/subtensor.ts';
import { MemoryProvider } from '../src/chain/testing/memory-provider.ts';
import { localHarness } from '../src/chain/testing/harness.ts';
import { redactSecrets, redactUrl } from '../src/redact.ts';
import { createLogger } from '../src/log.ts';

/** The pids of `pid` and all its descendants, from /proc. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* exited meanwhile */
    }
  }
  const out: number[] = [];
  const visit = (p: number) => {
    out.push(p);
    for (const c of parents.get(p) ?? []) visit(c);
  };
  visit(pid);
  return out;
}

function commandLines(pid: number): string[] {
  return processTree(pid).flatMap((p) => {
    try {
      return [fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ')];
    } catch {
      return [];
    }
  });
}

async function readAll(base: string, apiKey: string): Promise<string> {
  const texts: string[] = [];
  for (const route of [
    '/health',
    '/v1/status',
    '/v1/appliance',
    '/metrics',
    '/v1/tasks/stats',
    '/v1/cycles',
    '/v1/miners',
    '/v1/environments',
    '/v1/weights/latest',
    '/v1/scores/latest',
  ]) {
    const res = await fetch(`${base}${route}`);
    texts.push(`${route} ${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
  }
  for (const key of [apiKey, 'wrong-key']) {
    const res = await fetch(`${base}/v1/tasks/fetch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: '{"executor_id":"probe"}',
    });
    texts.push(`fetch ${res.status} ${JSON.stringify([...res.headers])} ${await res.text()}`);
  }
  return texts.join('\n');
}

function assertNoSecret(t: { false(v: boolean, m?: string): void }, where: string, text: string, secrets: string[]) {
  for (const secret of secrets) t.false(text.includes(secret), `${where} contains a secret (${secret.slice(0, 6)}…)`);
}

test('secrets passed by file and by environment appear in no argv, log line or response', async (t) => {
  t.timeout(240_000);
  await cryptoWaitReady();
  const dir = tempDir();
  const apiKey = `sk-${randomBytes(16).toString('hex')}`;
  const mnemonic = mnemonicGenerate(12);
  const secrets = [apiKey, mnemonic, mnemonic.split(' ').slice(0, 3).join(' ')];
  const keyFile = path.join(dir, 'api-key');
  fs.writeFileSync(keyFile, `${apiKey}\n`, { mode: 0o600 });
  const mnemonicFile = path.join(dir, 'hotkey');
  fs.writeFileSync(mnemonicFile, `${mnemonic}\n`, { mode: 0o600 });
  try {
    // 1. The appliance: API key from a file, operator mnemonic from the environment.
    const port = await closedPort();
    const appliance = spawnCli(
      [
        'start',
        '--no-tui',
        '--db',
        path.join(dir, 'a.sqlite'),
        '--port',
        String(port),
        '--workers',
        '0',
        '--demo-miners',
        '1',
        '--envs',
        'metaworld/reach-v3',
        '--cycle-cron',
        '0 0 1 1 *',
        '--api-key-file',
        keyFile,
        '--log-level',
        'debug',
      ],
      { cwd: dir, env: { KINITRO_HOTKEY_URI: mnemonic } },
    );
    try {
      await waitForOutput(appliance.child, /appliance started/, 180_000);
      const responses = await readAll(`http://127.0.0.1:${port}`, apiKey);
      t.regex(responses, /fetch 200/, 'the key from the file works');
      t.regex(responses, /fetch 401/);
      assertNoSecret(t, 'a response', responses, secrets);
      const lines = commandLines(appliance.child.pid!);
      t.true(lines.length >= 1);
      assertNoSecret(t, 'a command line', lines.join('\n'), secrets);
    } finally {
      appliance.child.kill('SIGTERM');
    }
    t.is(await whenClosed(appliance.child), 0);
    t.regex(appliance.output(), /appliance stopped/);
    assertNoSecret(t, "the appliance's logs", appliance.output(), secrets);

    // 2. The API alone: the key from the environment.
    const apiPort = await closedPort();
    const api = spawnCli(['api', '--db', path.join(dir, 'b.sqlite'), '--port', String(apiPort), '--host', '127.0.0.1', '--log-level', 'debug'], {
      cwd: dir,
      env: { KINITRO_API_KEY: apiKey },
    });
    try {
      await waitForOutput(api.child, /API listening/, 60_000);
      const responses = await readAll(`http://127.0.0.1:${apiPort}`, apiKey);
      t.regex(responses, /fetch 200/);
      assertNoSecret(t, 'a response', responses, secrets);
      assertNoSecret(t, 'a command line', commandLines(api.child.pid!).join('\n'), secrets);
    } finally {
      api.child.kill('SIGTERM');
    }
    t.is(await whenClosed(api.child), 0);
    assertNoSecret(t, "the API's logs", api.output(), secrets);

    // 3. A miner commit: the hotkey mnemonic from a file (50 ms blocks so inclusion is quick).
    const chainDb = path.join(dir, 'c.sqlite');
    const db = openDatabase(chainDb);
    await LocalChain.open(db, { blockMs: 50 });
    db.close();
    const commit = await runCli(
      [
        'commit',
        '--chain',
        'local',
        '--db',
        chainDb,
        '--netuid',
        '1',
        '--hotkey-uri-file',
        mnemonicFile,
        '--repo',
        'me/policy',
        '--revision',
        'abcdef12',
        '--deployment-id',
        'dep1',
        '--log-level',
        'debug',
      ],
      { cwd: dir },
    );
    t.is(commit.code, 0, commit.stderr);
    t.regex(commit.stdout, /committed at block/);
    assertNoSecret(t, "commit's output", commit.stdout + commit.stderr, secrets);
    t.false(
      /visible to every local user/.test(appliance.output() + api.output() + commit.stderr),
      'no argv warning when nothing secret is on the command line',
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a secret on the command line draws a warning; -file options and _FILE variables read files', (t) => {
  const dir = tempDir();
  try {
    const file = path.join(dir, 'key');
    fs.writeFileSync(file, 'from-file\n', { mode: 0o600 });
    const onArgv = resolveOptions(apiCommand, { argv: ['--api-key', 'on-argv'], env: {}, dotenv: {} });
    t.is(onArgv.options.apiKey, 'on-argv');
    t.is(onArgv.warnings.length, 1);
    t.regex(
      onArgv.warnings[0]!,
      /--api-key on the command line is visible to every local user \(ps, \/proc\/PID\/cmdline\); use --api-key-file FILE or KINITRO_API_KEY instead/,
    );
    t.deepEqual(resolveOptions(apiCommand, { argv: ['--api-key-file', file], env: {}, dotenv: {} }), {
      options: resolveOptions(apiCommand, { argv: ['--api-key-file', file], env: {}, dotenv: {} }).options,
      positionals: [],
      help: false,
      warnings: [],
    });
    t.is(resolveOptions(apiCommand, { argv: ['--api-key-file', file], env: {}, dotenv: {} }).options.apiKey, 'from-file', 'trailing newline dropped');
    t.is(resolveOptions(apiCommand, { argv: [], env: { KINITRO_API_KEY_FILE: file }, dotenv: {} }).options.apiKey, 'from-file');
    t.is(
      resolveOptions(apiCommand, { argv: [], env: { KINITRO_API_API_KEY_FILE: file }, dotenv: {} }).options.apiKey,
      'from-file',
      "the original's name works too",
    );
    t.is(resolveOptions(apiCommand, { argv: [], env: { KINITRO_API_KEY: 'env' }, dotenv: {} }).warnings.length, 0);
    t.is(resolveOptions(startCommand, { argv: ['--hotkey-uri-file', file], env: {}, dotenv: {} }).options.hotkeyUri, 'from-file');
    t.throws(() => resolveOptions(apiCommand, { argv: ['--api-key', 'a', '--api-key-file', file], env: {}, dotenv: {} }), {
      instanceOf: CliUsageError,
      message: /not both/,
    });
    t.throws(() => resolveOptions(apiCommand, { argv: ['--api-key-file', path.join(dir, 'missing')], env: {}, dotenv: {} }), {
      instanceOf: CliUsageError,
      message: /no such file/,
    });
    const empty = path.join(dir, 'empty');
    fs.writeFileSync(empty, '\n');
    t.throws(() => resolveOptions(apiCommand, { argv: ['--api-key-file', empty], env: {}, dotenv: {} }), { instanceOf: CliUsageError, message: /is empty/ });
    fs.chmodSync(file, 0o644);
    t.regex(
      resolveOptions(apiCommand, { argv: ['--api-key-file', file], env: {}, dotenv: {} }).warnings.join('\n'),
      /readable by other users \(mode 0644\): chmod 600/,
    );
    const help = formatHelp(apiCommand);
    t.regex(help, /--api-key-file FILE\s+Read --api-key from FILE .*env KINITRO_API_KEY_FILE/);
    t.regex(help, /--api-key KEY\s+Bearer key required on the executor routes \(\/v1\/tasks\/fetch, submit, heartbeat, release\)/);
    // A command that has its own file option keeps it (no duplicate).
    const own = defineCommand({ path: ['x'], summary: 'x', options: { key: opt.string('k', { secret: true }), keyFile: opt.string('f') }, async run() {} });
    t.regex(resolveOptions(own, { argv: ['--key', 'v'], env: {} }).warnings[0]!, /use --key-file FILE or KINITRO_KEY instead/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('URL credentials and apikey parameters are redacted in the chain description, logs and CLI errors', async (t) => {
  t.is(redactUrl('wss://alice:hunter2@node.example:9944/rpc?apikey=TOPSECRET&x=1'), 'wss://***:***@node.example:9944/rpc?apikey=***&x=1');
  t.is(redactUrl('wss://entrypoint-finney.opentensor.ai:443'), 'wss://entrypoint-finney.opentensor.ai:443', 'nothing to hide: unchanged');
  t.is(redactSecrets('cannot connect to wss://u:p@h/x?token=abc&api_key=def refused'), 'cannot connect to wss://***@h/x?token=***&api_key=*** refused');

  // The chain's description, which GET /v1/appliance, the TUI and log lines show.
  const harness = await localHarness();
  const provider = new MemoryProvider({ chain: harness.local });
  const chain = await SubtensorChain.connect({ url: 'wss://alice:hunter2@node.example/?apikey=TOPSECRET', providerFactory: () => provider });
  try {
    t.is(chain.description, 'wss://***:***@node.example/?apikey=***');
  } finally {
    await chain.close();
    await harness.close();
  }

  // Every log line passes the redaction, whatever field carries the URL.
  const sink = new PassThrough();
  let logged = '';
  sink.on('data', (d: Buffer) => (logged += d.toString()));
  const logger = createLogger({ level: 'debug', destination: sink });
  logger.warn({ err: new Error('connect failed: ws://bob:s3cret@10.0.0.1:9944/?api-key=K3Y') }, 'chain at wss://carol:pw@x/?token=T0K down');
  await new Promise((r) => setImmediate(r));
  t.regex(logged, /chain at wss:\/\/\*\*\*@x\/\?token=\*\*\* down/);
  for (const secret of ['s3cret', 'K3Y', 'carol', 'T0K']) t.false(logged.includes(secret), secret);

  // A CLI error quoting the URL (and @polkadot's own console lines while it retries).
  const port = await closedPort();
  const r = await runCli(['miners', '--chain', `ws://dave:s3cretpw@127.0.0.1:${port}/?apikey=TOPSECRET`, '--netuid', '1', '--log-level', 'debug'], {
    timeoutMs: 90_000,
  });
  t.is(r.code, 1);
  t.regex(r.stderr, /kinitro miners: error: .*ws:\/\/\*\*\*@127\.0\.0\.1/);
  for (const secret of ['s3cretpw', 'TOPSECRET', 'dave']) t.false((r.stdout + r.stderr).includes(secret), secret);
});
