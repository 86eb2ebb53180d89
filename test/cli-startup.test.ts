/**
 * `kinitro start`'s options and start-up: the documented chain names are accepted, a netuid that
 * cannot be a subnet is a usage error, the auth error names both variables, and `q` or Ctrl-C during a
 * slow start-up (a chain that never answers) cancels it promptly and leaves the database intact.
 */
import test from 'ava';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import BetterSqlite3 from 'better-sqlite3';
import { runCli, spawnCli, waitForOutput, whenClosed } from './helpers/cli.ts';
import { tempDir } from './helpers/store.ts';
import { closedPort } from './helpers/policy-server.ts';
import { resolveOptions } from '../src/cli/command.ts';
import { startCommand } from '../src/cli/commands/start.ts';
import { runWithDashboard } from '../src/cli/run-appliance.ts';
import { createLogger } from '../src/log.ts';
import type { ApplianceConfig } from '../src/appliance.ts';
import { SCHEMA_VERSION } from '../src/store/db.ts';

/** A TCP server that accepts connections and never answers: a chain node that hangs the handshake. */
async function blackhole(): Promise<{ url: string; connected: Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let onConnection!: () => void;
  const connected = new Promise<void>((resolve) => (onConnection = resolve));
  const server = net.createServer((s) => {
    onConnection();
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}`,
    connected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** The database was closed cleanly and is whole: no WAL left behind, integrity ok, schema current. */
function assertClosedCleanly(t: { is(a: unknown, b: unknown, m?: string): void; false(a: boolean, m?: string): void }, file: string) {
  t.false(fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0, 'no WAL left behind: the store was closed');
  const db = new BetterSqlite3(file, { readonly: true });
  t.is(db.pragma('integrity_check', { simple: true }), 'ok');
  t.is(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
  db.close();
}

test('start accepts --chain finney and test (as documented); the error, if any, is about the network', async (t) => {
  t.timeout(120_000);
  for (const chain of ['finney', 'test']) {
    t.is(resolveOptions(startCommand, { argv: ['--chain', chain], env: {}, dotenv: {} }).options.chain, chain);
  }
  const help = await runCli(['start', '--chain', 'finney', '--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /--chain local\|finney\|test\|URL/);
  const bad = await runCli(['start', '--chain', 'mainnet', '--no-tui']);
  t.is(bad.code, 2);
  t.regex(bad.stderr, /--chain must be "local", "finney", "test" or a ws:\/\/ \/ wss:\/\/ URL/);

  // A real attempt: this box reaches no chain, so it fails (or, given a network, hangs) on the
  // connection; either way it got past option parsing. A hang is cancelled with SIGINT.
  const dir = tempDir();
  try {
    const proc = spawnCli(['start', '--chain', 'finney', '--no-tui', '--db', path.join(dir, 'k.sqlite'), '--port', '0', '--workers', '0'], { cwd: dir });
    await waitForOutput(proc.child, /connecting to the chain/, 60_000);
    const closed = whenClosed(proc.child);
    const timer = setTimeout(() => proc.child.kill('SIGINT'), 20_000);
    const code = await closed;
    clearTimeout(timer);
    t.true(code === 1 || code === 130, `exit ${code}`);
    t.notRegex(proc.output(), /expected "local"|must be "local"/);
    t.regex(proc.output(), /wss:\/\/entrypoint-finney\.opentensor\.ai/);
    if (code === 1) t.regex(proc.output(), /cannot connect|ENOTFOUND|EAI_AGAIN|timed out|connect/i);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--netuid 0 is a usage error; the missing-key error names both variables', async (t) => {
  const zero = await runCli(['start', '--netuid', '0', '--no-tui']);
  t.is(zero.code, 2);
  t.regex(zero.stderr, /--netuid: must be ≥ 1, got 0/);
  const dir = tempDir();
  try {
    const noKey = await runCli(['api', '--db', path.join(dir, 'k.sqlite'), '--port', '0'], { cwd: dir });
    t.is(noKey.code, 1);
    t.regex(noKey.stderr, /KINITRO_API_KEY/);
    t.regex(noKey.stderr, /KINITRO_API_API_KEY/);
    t.regex(noKey.stderr, /--api-key-file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Ctrl-C while start-up waits on a chain that never answers cancels it promptly and closes the database', async (t) => {
  t.timeout(120_000);
  const dir = tempDir();
  const node = await blackhole();
  const db = path.join(dir, 'k.sqlite');
  try {
    const port = await closedPort();
    const proc = spawnCli(['start', '--chain', node.url, '--no-tui', '--db', db, '--port', String(port), '--workers', '0', '--log-level', 'debug'], {
      cwd: dir,
    });
    await waitForOutput(proc.child, /connecting to the chain/, 60_000);
    const sent = Date.now();
    proc.child.kill('SIGINT');
    // Generous: the connection attempt alone would take 60 s; cancelling takes well under a second.
    const code = await Promise.race([whenClosed(proc.child), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000).unref())]);
    if (code === 'hung') proc.child.kill('SIGKILL');
    t.is(code, 130, proc.output());
    t.true(Date.now() - sent < 30_000);
    t.regex(proc.output(), /start-up cancelled; everything started so far has been stopped/);
    t.notRegex(proc.output(), /"level":50/, 'no error logged');
    assertClosedCleanly(t, db);
    // No --api-key: one was generated for remote executors, kept in a 0600 file and never printed.
    const keyFile = `${db}.api-key`;
    t.is(fs.statSync(keyFile).mode & 0o777, 0o600);
    t.is(fs.statSync(db).mode & 0o777, 0o600);
    t.false(proc.output().includes(fs.readFileSync(keyFile, 'utf8').trim()), 'the generated key is not logged');
  } finally {
    await node.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('q in the dashboard while start-up waits on the chain cancels it and gives the terminal back', async (t) => {
  t.timeout(120_000);
  const dir = tempDir('kinitro-tui-cancel-');
  const node = await blackhole();
  const db = path.join(dir, 'k.sqlite');
  const input = new PassThrough();
  const output = Object.assign(new PassThrough(), { columns: 120, rows: 40, isTTY: true });
  let written = '';
  output.on('data', (d: Buffer) => (written += d.toString('utf8')));
  const config = {
    db,
    host: '127.0.0.1',
    port: 0,
    apiKey: null,
    authDisabled: true,
    logLevel: 'info',
    chain: node.url,
    netuid: 1,
    hotkeyUri: null,
    demoMiners: 0,
    envIds: ['metaworld/reach-v3'],
    episodesPerEnv: 1,
    maxSteps: 10,
    cycleCron: '0 0 1 1 *',
    randomization: 'cued',
    cycleTimeoutSeconds: 60,
    workers: 0,
    maxEpisodesPerMiner: 1,
    useImages: false,
    validate: false,
    allowPrivateEndpoints: false,
    backendPrivateKey: null,
    minCoverage: 0.9,
  } satisfies ApplianceConfig;
  try {
    const running = runWithDashboard(config, { generatedKeyMessage: null, createLogger, input, output, refreshMs: 100 });
    running.catch(() => undefined); // awaited below; a start-up failure must not go unhandled meanwhile
    // Start-up is now waiting on the chain's handshake, which never comes.
    await node.connected;
    const pressed = Date.now();
    input.write('q');
    const code = await Promise.race([running, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 30_000).unref())]);
    t.is(code, 130);
    t.true(Date.now() - pressed < 30_000);
    t.true(written.includes('\x1b[?1049l'), 'the terminal is restored');
    // eslint-disable-next-line no-control-regex -- strips the terminal's escape sequences
    t.regex(written.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''), /cancels/, 'the dashboard said how to cancel');
    assertClosedCleanly(t, db);
  } finally {
    await node.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
