/**
 * The real-runtime tier, end to end through the CLI: `kinitro validate` against chopsticks running
 * Subtensor's runtime (spec 218), across a chopsticks restart (the connection comes back and the
 * reset chain gets the weights again), `validate --once` after a reset, and the appliance in
 * `--chain ws://…` mode for one cycle with two miners committed on that chain.
 * Each test starts its own chopsticks (restarts are part of them); all run serially.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { buildCommitment } from '../src/chain/commitment.ts';
import { SubtensorChain } from '../src/chain/subtensor.ts';
import { devKeys, type DevKeys } from '../src/chain/testing/harness.ts';
import { startDemoMiners } from '../src/miner/demo.ts';
import { runCli, spawnCli, whenClosed } from './helpers/cli.ts';
import { startChopsticks, subnetStorage, TEST_NETUID, type Chopsticks } from './helpers/chopsticks.ts';
import { closedPort } from './helpers/policy-server.ts';
import { tempDir, waitFor } from './helpers/store.ts';

let keys: DevKeys;
test.before(async () => {
  keys = await devKeys();
});

const HP = { tempo: 99, weightsRateLimit: 0, weightsVersionKey: 0, commitRevealEnabled: false, minAllowedWeights: 1 };

/** A node with alice (validator, uid 0), bob and charlie registered on the test subnet. */
async function node(port?: number): Promise<Chopsticks> {
  const n = await startChopsticks({ port });
  await n.setStorage(subnetStorage(TEST_NETUID, [keys.alice, keys.bob, keys.charlie], HP));
  await n.newBlocks(1);
  return n;
}

function weightsServer(): Promise<{ url: string; close(): void }> {
  const body = {
    cycle_id: 1,
    block_number: 10,
    timestamp: '2026-01-01T00:00:00Z',
    weights: { '1': 0.75, '2': 0.25 },
    weights_u16: { uids: [1, 2], values: [49151, 16383] },
    metadata: {},
  };
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url === '/health') return res.end('{"status":"ok"}');
    if (req.url === '/v1/weights/latest') return res.end(JSON.stringify(body));
    res.statusCode = 404;
    res.end('{"detail":"Not Found"}');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })),
  );
}

async function aliceWeights(url: string): Promise<{ uid: number; value: number }[] | null> {
  const chain = await SubtensorChain.connect(url, { readAt: 'best' });
  try {
    return (await chain.weights(TEST_NETUID)).find((w) => w.uid === 0)?.weights ?? null;
  } finally {
    await chain.close();
  }
}

test.serial('validate --once after the chain was reset submits again instead of saying "already submitted"', async (t) => {
  t.timeout(180_000);
  const dir = tempDir('kinitro-chopsticks-');
  const backend = await weightsServer();
  let chain = await node();
  try {
    const args = [
      'validate',
      '--once',
      '--backend-url',
      backend.url,
      '--chain',
      chain.url,
      '--netuid',
      String(TEST_NETUID),
      '--hotkey-uri',
      '//Alice',
      '--db',
      path.join(dir, 'v.sqlite'),
      '--timeout',
      '60',
    ];
    const first = await runCli(args, { timeoutMs: 90_000 });
    t.is(first.code, 0, first.stderr);
    t.regex(first.stderr, /runtime node-subtensor\/218/, 'the runtime is named');
    t.regex(first.stdout, /weights of backend block 10 are on chain \(block \d+, via set_weights\)/);
    t.deepEqual(await aliceWeights(chain.url), [
      { uid: 1, value: 65535 },
      { uid: 2, value: 21844 },
    ]);
    const again = await runCli(args, { timeoutMs: 90_000 });
    t.regex(again.stdout, /already submitted/);

    // Restart from genesis on the same address: same genesis hash, no weights.
    const port = chain.port;
    await chain.kill();
    chain = await node(port);
    t.is(await aliceWeights(chain.url), null);
    const reset = await runCli(args, { timeoutMs: 90_000 });
    t.is(reset.code, 0, reset.stderr);
    t.regex(reset.stdout, /are on chain \(block \d+, via set_weights\)/, `expected a new submission, got: ${reset.stdout}`);
    t.deepEqual(await aliceWeights(chain.url), [
      { uid: 1, value: 65535 },
      { uid: 2, value: 21844 },
    ]);
  } finally {
    backend.close();
    await chain.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('kinitro validate keeps running through a chopsticks restart: it reconnects and the reset chain gets the weights again', async (t) => {
  t.timeout(240_000);
  const dir = tempDir('kinitro-chopsticks-');
  const backend = await weightsServer();
  let chain = await node();
  const proc = spawnCli(
    [
      'validate',
      '--backend-url',
      backend.url,
      '--chain',
      chain.url,
      '--netuid',
      String(TEST_NETUID),
      '--hotkey-uri',
      '//Alice',
      '--db',
      path.join(dir, 'v.sqlite'),
      '--poll-interval',
      '1',
    ],
    { cwd: dir },
  );
  try {
    await waitFor(() => aliceWeights(chain.url).catch(() => null), {
      timeoutMs: 90_000,
      intervalMs: 500,
      what: `weights on chain (log: ${proc.output().slice(-1500)})`,
    });
    const port = chain.port;
    await chain.kill();
    chain = await node(port);
    t.is(await aliceWeights(chain.url), null, 'the restarted chain starts without weights');
    const weights = await waitFor(() => aliceWeights(chain.url).catch(() => null), {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `weights on the restarted chain (log: ${proc.output().slice(-2000)})`,
    });
    t.deepEqual(weights, [
      { uid: 1, value: 65535 },
      { uid: 2, value: 21844 },
    ]);
    t.regex(proc.output(), /recorded weights are not on chain any more; submitting again/);
  } finally {
    proc.child.kill('SIGTERM');
    backend.close();
  }
  t.is(await whenClosed(proc.child), 0);
  await chain.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.serial('the appliance with --chain ws://… runs a cycle over miners committed on that chain and sets the weights there', async (t) => {
  t.timeout(300_000);
  const dir = tempDir('kinitro-chopsticks-');
  const chain = await node();
  const miners = await startDemoMiners(2);
  const port = await closedPort();
  let proc: ReturnType<typeof spawnCli> | undefined;
  try {
    const client = await SubtensorChain.connect(chain.url, { readAt: 'best' });
    try {
      for (const [i, key] of [keys.bob, keys.charlie].entries()) {
        await client.setCommitment(
          TEST_NETUID,
          key,
          buildCommitment({ repo: `kinitro-demo/${miners[i]!.name}`, revision: 'demo0000', endpoint: miners[i]!.url }),
        );
      }
    } finally {
      await client.close();
    }
    proc = spawnCli(
      [
        'start',
        '--no-tui',
        '--db',
        path.join(dir, 'k.sqlite'),
        '--port',
        String(port),
        '--chain',
        chain.url,
        '--netuid',
        String(TEST_NETUID),
        '--hotkey-uri',
        '//Alice',
        '--validate',
        '--allow-private-endpoints',
        '--envs',
        'metaworld/reach-v3',
        '--episodes-per-env',
        '1',
        '--max-steps',
        '25',
        '--workers',
        '1',
        '--cycle-cron',
        '0 0 1 1 *',
      ],
      { cwd: dir },
    );
    const weights = await waitFor(() => aliceWeights(chain.url).catch(() => null), {
      timeoutMs: 240_000,
      intervalMs: 1000,
      what: `weights from the appliance on chain (log: ${proc.output().slice(-2500)})`,
    });
    t.deepEqual(weights.map((w) => w.uid).sort(), [1, 2], 'both committed miners are weighted');
    const status = (await (await fetch(`http://127.0.0.1:${port}/v1/appliance`)).json()) as { chain: { mode: string; endpoint: string } };
    t.is(status.chain.mode, 'subtensor');
    t.is(status.chain.endpoint, chain.url);
    const published = (await (await fetch(`http://127.0.0.1:${port}/v1/weights/latest`)).json()) as { weights_u16: { uids: number[] } };
    t.deepEqual([...published.weights_u16.uids].sort(), [1, 2]);
    t.regex(proc.output(), /"specVersion":218/);
  } finally {
    proc?.child.kill('SIGTERM');
    await Promise.all(miners.map((m) => m.close()));
  }
  t.is(await whenClosed(proc!.child), 0);
  await chain.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});
