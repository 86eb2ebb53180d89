/**
 * The chain commands end to end on a local chain: commit → miners shows it with its block; validate
 * --once against a loopback WeightsResponse server → weights shows it; readable rate-limit and
 * version-key messages; crypto key files. The database is prepared with 50 ms blocks so waiting for
 * inclusion takes milliseconds.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { CliUsageError, resolveOptions, type CommandSpec } from '../src/cli/command.ts';
import { commitCommand } from '../src/cli/commands/commit.ts';
import { minersCommand } from '../src/cli/commands/miners.ts';
import { weightsCommand } from '../src/cli/commands/weights.ts';
import { validateCommand } from '../src/cli/commands/validate.ts';
import { cryptoGenerateKeypairCommand, cryptoShowPublicKeyCommand } from '../src/cli/commands/crypto.ts';
import { openDatabase } from '../src/store/db.ts';
import { LocalChain } from '../src/chain/local-chain.ts';

async function cli(spec: CommandSpec, argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { options, positionals } = resolveOptions(spec, { argv, env: {}, dotenv: {} });
  const collect = () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  };
  const out = collect();
  const err = collect();
  const code = (await spec.run({ options, positionals, stdout: out.stream, stderr: err.stream })) ?? 0;
  return { code, stdout: out.text(), stderr: err.text() };
}

async function fastChainDb(): Promise<{ dir: string; file: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-cli-'));
  const file = path.join(dir, 'k.sqlite');
  const db = openDatabase(file);
  await LocalChain.open(db, { blockMs: 50 });
  db.close();
  return { dir, file };
}

function serve(body: () => object): Promise<{ url: string; close(): void }> {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/health') return res.end('{"status":"ok"}');
    if (req.url === '/v1/weights/latest') return res.end(JSON.stringify(body()));
    res.statusCode = 404;
    res.end('{"detail":"Not Found"}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })),
  );
}

const LOCAL = (file: string) => ['--chain', 'local', '--db', file, '--netuid', '3', '--log-level', 'silent'];

test('commit refuses a non-public endpoint; one committed anyway is listed by miners as skipped, with the reason', async (t) => {
  const { dir, file } = await fastChainDb();
  try {
    const metadata = ['--repo', 'user/x', '--revision', 'abc123def456', '--endpoint', 'http://169.254.169.254/latest/meta-data'];
    const refused = await cli(commitCommand, [...LOCAL(file), '--hotkey-uri', '//Eve', ...metadata]).catch((err: Error) => err);
    t.true(refused instanceof CliUsageError);
    t.regex((refused as Error).message, /--endpoint: 169\.254\.169\.254 is a non-public address \(linkLocal\); validators only call public endpoints/);
    for (const endpoint of ['http://[64:ff9b::a9fe:a9fe]:80', 'http://192.0.2.7:8001', 'http://localhost:8001', 'http://0x7f.1:8001']) {
      await t.throwsAsync(
        cli(commitCommand, [...LOCAL(file), '--hotkey-uri', '//Eve', '--repo', 'user/x', '--revision', 'abc', '--endpoint', endpoint]),
        { instanceOf: CliUsageError },
        endpoint,
      );
    }
    // Committed anyway (local testing, or a commit made with another tool): discovery refuses it.
    const forced = await cli(commitCommand, [...LOCAL(file), '--hotkey-uri', '//Eve', ...metadata, '--allow-private-endpoints']);
    t.is(forced.code, 0);
    const listed = JSON.parse((await cli(minersCommand, [...LOCAL(file), '--json'])).stdout) as {
      miners: unknown[];
      skipped: { hotkey: string; reason: string }[];
    };
    t.deepEqual(listed.miners, []);
    t.is(listed.skipped.length, 1);
    t.regex(listed.skipped[0]!.reason, /^refused endpoint: 169\.254\.169\.254 is a non-public address \(linkLocal\); miner endpoints must be public$/);
    const table = (await cli(minersCommand, [...LOCAL(file), '--all'])).stdout;
    t.regex(table, /0 miner\(s\), 1 skipped/);
    t.regex(table, /refused endpoint: 169\.254\.169\.254 is a non-public address/);
    t.regex((await cli(minersCommand, LOCAL(file))).stdout, /1 skipped for a non-public endpoint/);
    const allowed = JSON.parse((await cli(minersCommand, [...LOCAL(file), '--json', '--allow-private-endpoints'])).stdout) as { miners: unknown[] };
    t.is(allowed.miners.length, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('commit → miners shows the commitment with its block; validate --once → weights shows the weights', async (t) => {
  const { dir, file } = await fastChainDb();
  let published = {
    cycle_id: 1,
    block_number: 10,
    timestamp: '2026-01-01T00:00:00Z',
    weights: { '0': 0.75, '1': 0.25 },
    weights_u16: { uids: [0, 1], values: [49151, 16383] },
    metadata: {},
  };
  const backend = await serve(() => published);
  try {
    const bob = await cli(commitCommand, [
      ...LOCAL(file),
      '--hotkey-uri',
      '//Bob',
      '--repo',
      'user/policy',
      '--revision',
      'abc123def456',
      '--endpoint',
      'https://bob.example.com:8001',
      '--json',
    ]);
    t.is(bob.code, 0);
    const committed = JSON.parse(bob.stdout) as { block: number; commitment: string; registered_uid: number };
    t.is(committed.commitment, 'user/policy:abc123de:@https%3A//bob.example.com%3A8001');
    t.is(committed.registered_uid, 0);
    t.regex(bob.stderr, /created subnet 3/);
    const charlie = await cli(commitCommand, [
      ...LOCAL(file),
      '--hotkey-uri',
      '//Charlie',
      '--repo',
      'user/other',
      '--revision',
      '0123456789',
      '--deployment-id',
      '95edf2b6-e18b-400a-8398-5573df10e5e4',
    ]);
    t.regex(charlie.stdout, /^committed at block \d+ \(0x[0-9a-f]{64}\)\nuser\/other:01234567:95edf2b6/);

    const miners = JSON.parse((await cli(minersCommand, [...LOCAL(file), '--json'])).stdout) as {
      miners: { uid: number; commit_block: number; endpoint: string }[];
    };
    t.deepEqual(
      miners.miners.map((m) => [m.uid, m.endpoint]),
      [
        [0, 'https://bob.example.com:8001'],
        [1, 'https://95edf2b6-e18b-400a-8398-5573df10e5e4.deployments.basilica.ai'],
      ],
    );
    t.is(miners.miners[0]!.commit_block, committed.block);
    t.regex((await cli(minersCommand, LOCAL(file))).stdout, /2 miner\(s\)/);

    const validate = await cli(validateCommand, ['--backend-url', backend.url, ...LOCAL(file), '--hotkey-uri', '//Alice', '--once']);
    t.is(validate.code, 0, validate.stdout + validate.stderr);
    t.regex(validate.stdout, /weights of backend block 10 are on chain \(block \d+, via set_weights\)/);
    const weights = JSON.parse((await cli(weightsCommand, [...LOCAL(file), '--json'])).stdout) as {
      validators: { uid: number; hotkey: string; weights: Record<string, number> }[];
    };
    t.is(weights.validators.length, 1);
    t.like(weights.validators[0], { uid: 2, hotkey: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', weights: { '0': 65535, '1': 21844 } });
    t.regex((await cli(weightsCommand, LOCAL(file))).stdout, /uid 2 .*\n {2}→ uid 0 +65535 +75\.00%\n {2}→ uid 1 +21844 +25\.00%/);

    const again = await cli(validateCommand, ['--backend-url', backend.url, ...LOCAL(file), '--hotkey-uri', '//Alice', '--once']);
    t.is(again.code, 0);
    t.regex(again.stdout, /already submitted/);

    // New weights inside the rate limit (100 blocks): a readable answer, exit 1.
    published = { ...published, cycle_id: 2, block_number: 20 };
    const limited = await cli(validateCommand, ['--backend-url', backend.url, ...LOCAL(file), '--hotkey-uri', '//Alice', '--once', '--timeout', '1']);
    t.is(limited.code, 1);
    t.regex(limited.stdout, /^rate limited until block \d+ \(now \d+\)/);

    // A version key below the subnet's: the chain's reason, readable.
    const db = openDatabase(file);
    (await LocalChain.open(db)).setHyperparams(3, { weightsVersionKey: 7, weightsRateLimit: 0 });
    db.close();
    const rejected = await cli(validateCommand, ['--backend-url', backend.url, ...LOCAL(file), '--hotkey-uri', '//Alice', '--once', '--version-key', '3']);
    t.is(rejected.code, 1);
    t.regex(
      rejected.stdout,
      /rejected: SubtensorModule\.IncorrectWeightVersionKey: the version key is lower than the subnet's WeightsVersionKey \(sent 3, the subnet requires ≥ 7\)/,
    );
  } finally {
    backend.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('encrypted commitments are decrypted by miners with the operator key', async (t) => {
  const { dir, file } = await fastChainDb();
  try {
    const keys = await cli(cryptoGenerateKeypairCommand, ['--output', path.join(dir, 'keys')]);
    const publicKey = keys.stdout.trim().split('\n').at(-1)!;
    t.regex(publicKey, /^[0-9a-f]{64}$/);
    t.is(fs.statSync(path.join(dir, 'keys', 'backend')).mode & 0o777, 0o600);
    await t.throwsAsync(cli(cryptoGenerateKeypairCommand, ['--output', path.join(dir, 'keys')]), { instanceOf: CliUsageError, message: /--force/ });
    t.is((await cli(cryptoShowPublicKeyCommand, ['--private-key-file', path.join(dir, 'keys', 'backend')])).stdout.trim(), publicKey);

    await cli(commitCommand, [
      ...LOCAL(file),
      '--hotkey-uri',
      '//Bob',
      '--repo',
      'user/policy',
      '--revision',
      'abc',
      '--deployment-id',
      '95edf2b6-e18b-400a-8398-5573df10e5e4',
      '--encrypt',
      '--backend-public-key',
      publicKey,
    ]);
    const without = JSON.parse((await cli(minersCommand, [...LOCAL(file), '--json'])).stdout) as { miners: unknown[]; skipped: { reason: string }[] };
    t.deepEqual(without.miners, []);
    t.regex(without.skipped[0]!.reason, /no backend private key/);
    const withKey = JSON.parse(
      (await cli(minersCommand, [...LOCAL(file), '--json', '--backend-private-key-file', path.join(dir, 'keys', 'backend')])).stdout,
    ) as {
      miners: { deployment_id: string; encrypted: boolean }[];
    };
    t.like(withKey.miners[0], { deployment_id: '95edf2b6-e18b-400a-8398-5573df10e5e4', encrypted: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input is a usage error', async (t) => {
  await t.throwsAsync(cli(commitCommand, ['--netuid', '1', '--repo', 'a/b', '--revision', 'c', '--endpoint', 'http://x', '--deployment-id', 'd']), {
    instanceOf: CliUsageError,
    message: /exactly one/,
  });
  await t.throwsAsync(cli(commitCommand, ['--netuid', '1', '--repo', 'a/b', '--revision', 'c', '--endpoint', 'ftp://x']), {
    instanceOf: CliUsageError,
    message: /http or https/,
  });
  await t.throwsAsync(cli(minersCommand, ['--netuid', '1', '--chain', 'http://not-a-ws']), { instanceOf: CliUsageError, message: /--chain must be/ });
  await t.throwsAsync(cli(commitCommand, ['--netuid', '1', '--repo', 'a/b', '--revision', 'c', '--deployment-id', 'd', '--hotkey-uri', 'typo in my words']), {
    instanceOf: CliUsageError,
    message: /not a valid BIP39 mnemonic/,
  });
});
