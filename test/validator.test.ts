/**
 * The validator against the LocalChain (and once against SubtensorChain over the memory provider),
 * with a controllable clock: one submission per published vector, no resubmission after a restart or
 * an unknown outcome, rate limit and version key respected, commit-reveal across a restart, transient
 * failures retried, a stalled chain reconnected.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { openDatabase } from '../src/store/db.ts';
import { LocalChain } from '../src/chain/local-chain.ts';
import { ManualClock } from '../src/chain/clock.ts';
import { localHarness, memorySubtensorHarness, type ChainHarness } from '../src/chain/testing/harness.ts';
import { SubmissionLog } from '../src/store/submissions.ts';
import { Validator, prepareWeightVector, type ValidatorOptions } from '../src/validator/validator.ts';
import { BackendError, httpWeightsSource, type WeightsResponse } from '../src/validator/weights-source.ts';
import { FaultyChain, weightsAt } from './helpers/validator.ts';

interface Setup {
  h: ChainHarness;
  chain: FaultyChain;
  published: { value: WeightsResponse | null; error: Error | null };
  make(extra?: Partial<ValidatorOptions>): Validator;
  setWeightsCalls(): number;
}

async function setup(options: Parameters<typeof localHarness>[0] = {}): Promise<Setup> {
  const h = await localHarness(options);
  const chain = new FaultyChain(h.chain);
  const published: Setup['published'] = { value: null, error: null };
  return {
    h,
    chain,
    published,
    make: (extra = {}) =>
      new Validator({
        chain,
        netuid: h.netuid,
        hotkey: h.keys.alice,
        weights: async () => {
          if (published.error) throw published.error;
          return published.value;
        },
        db: h.local.store.db,
        clock: h.clock,
        ...extra,
      }),
    setWeightsCalls: () =>
      (h.local.store.db.prepare(`SELECT COUNT(*) AS n FROM local_chain_extrinsics WHERE call = 'SubtensorModule.set_weights'`).get() as { n: number }).n,
  };
}

test('published weights are set once, with weights_u16 as published, and not again', async (t) => {
  const s = await setup();
  try {
    const v = s.make();
    t.is((await v.tick()).kind, 'no-weights');
    s.published.value = weightsAt(100, [1, 0], [16383, 49151]);
    const applied = await v.tick();
    t.like(applied, { kind: 'applied', sourceBlock: 100, via: 'set_weights' });
    t.deepEqual((await s.h.chain.weights(1))[0]!.weights, [
      { uid: 0, value: 65535 },
      { uid: 1, value: 21844 },
    ]);
    t.like(await v.tick(), { kind: 'up-to-date', sourceBlock: 100 });
    t.is(s.setWeightsCalls(), 1);
    t.is(v.status().lastAppliedSourceBlock, 100);
    // No new weights for a long time: still no resubmission, but the outcome says how stale they are.
    await s.h.advanceBlocks(3001);
    const stale = await v.tick();
    t.is(stale.kind, 'up-to-date');
    t.true((stale as { blocksSinceUpdate?: number }).blocksSinceUpdate! > 3000);
    t.is(s.setWeightsCalls(), 1);
  } finally {
    await s.h.close();
  }
});

test('a restart never resubmits weights that are already on chain', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-validator-'));
  const file = path.join(dir, 'k.sqlite');
  const clock = new ManualClock();
  try {
    const s = await setup({ dbFile: file, clock });
    s.published.value = weightsAt(100, [0, 1], [1, 1]);
    t.is((await s.make().tick()).kind, 'applied');
    await s.h.close();

    // A new process: reopened database, new chain client, new validator.
    const db = openDatabase(file);
    const chain = await LocalChain.open(db, { clock });
    const v = new Validator({ chain, netuid: 1, hotkey: s.h.keys.alice, weights: async () => weightsAt(100, [0, 1], [1, 1]), db, clock });
    t.like(await v.tick(), { kind: 'up-to-date', sourceBlock: 100 });
    t.is((db.prepare(`SELECT COUNT(*) AS n FROM local_chain_extrinsics WHERE call = 'SubtensorModule.set_weights'`).get() as { n: number }).n, 1);
    db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an attempt with an unknown outcome is resolved from chain state, not resent', async (t) => {
  const s = await setup();
  try {
    const v = s.make();
    s.published.value = weightsAt(100, [0, 1], [3, 1]);
    s.chain.nextSetWeights = 'applied-then-timeout';
    t.is((await v.tick()).kind, 'transient-error');
    const log = new SubmissionLog(s.h.local.store.db);
    const key = { chainId: s.h.local.genesisHash, netuid: 1, hotkey: s.h.keys.alice.address };
    t.is(log.open(key)[0]!.status, 'sending');
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 100, via: 'set_weights' });
    t.like(await v.tick(), { kind: 'up-to-date', sourceBlock: 100 });
    t.is(log.forSource(key, 100)[0]!.status, 'applied');
    t.is(s.setWeightsCalls(), 1);
  } finally {
    await s.h.close();
  }
});

test('a lost transaction is waited out for its era, then the weights are sent again', async (t) => {
  const s = await setup();
  try {
    const v = s.make({ lostAfterBlocks: 8 });
    s.published.value = weightsAt(100, [0, 1], [3, 1]);
    s.chain.nextSetWeights = 'lost';
    t.is((await v.tick()).kind, 'transient-error');
    t.is((await v.tick()).kind, 'awaiting-outcome', 'does not resend while the transaction could still land');
    await s.h.advanceBlocks(10);
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 100 });
    t.is(s.setWeightsCalls(), 1);
  } finally {
    await s.h.close();
  }
});

test('WeightsSetRateLimit is respected before sending', async (t) => {
  const s = await setup({ hyperparams: { weightsRateLimit: 20 } });
  try {
    const v = s.make();
    s.published.value = weightsAt(100, [0, 1], [1, 1]);
    const first = await v.tick();
    t.is(first.kind, 'applied');
    const appliedAt = (first as { block: number }).block;
    s.published.value = weightsAt(200, [0, 1], [1, 3]);
    const limited = await v.tick();
    t.like(limited, { kind: 'rate-limited', sourceBlock: 200, nextBlock: appliedAt + 20 });
    t.is(s.setWeightsCalls(), 1, 'nothing was sent while rate limited');
    t.true(v.delayAfter(limited) > 0);
    await s.h.advanceBlocks(20);
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 200 });
  } finally {
    await s.h.close();
  }
});

test('runOnce waits through the rate limit', async (t) => {
  const s = await setup({ hyperparams: { weightsRateLimit: 30 } });
  try {
    const v = s.make({ pollIntervalMs: 60_000 });
    s.published.value = weightsAt(100, [0, 1], [1, 1]);
    await v.tick();
    s.published.value = weightsAt(200, [0, 1], [2, 1]);
    t.like(await v.runOnce(), { kind: 'applied', sourceBlock: 200 });
  } finally {
    await s.h.close();
  }
});

test("the subnet's WeightsVersionKey is passed; a lower override is rejected with a readable reason", async (t) => {
  const s = await setup({ hyperparams: { weightsVersionKey: 7 } });
  try {
    s.published.value = weightsAt(100, [0, 1], [1, 1]);
    const low = await s.make({ versionKey: 3 }).tick();
    t.is(low.kind, 'rejected');
    t.regex(
      (low as { error: string }).error,
      /IncorrectWeightVersionKey: the version key is lower than the subnet's WeightsVersionKey \(sent 3, the subnet requires ≥ 7\)/,
    );
    t.is((await s.make().tick()).kind, 'applied');
    const args = s.h.local.store.db.prepare(`SELECT args FROM local_chain_extrinsics WHERE call = 'SubtensorModule.set_weights' AND outcome = 'ok'`).get() as {
      args: string;
    };
    t.is(JSON.parse(args.args).versionKey, 7);
  } finally {
    await s.h.close();
  }
});

test('transient chain failures are retried and repeated ones trigger a reconnect', async (t) => {
  const s = await setup();
  try {
    const v = s.make();
    s.published.value = weightsAt(100, [0, 1], [1, 1]);
    s.chain.viewFailures = 3;
    for (let i = 0; i < 3; i++) {
      const outcome = await v.tick();
      t.is(outcome.kind, 'transient-error');
      t.true(v.delayAfter(outcome) <= 60_000);
    }
    t.is(s.chain.reconnects, 1);
    t.is((await v.tick()).kind, 'applied');
  } finally {
    await s.h.close();
  }
});

test('an unregistered hotkey or an unreachable backend is waited out, never fatal', async (t) => {
  const s = await setup({ register: ['bob', 'charlie'] });
  try {
    const v = s.make();
    s.published.error = new BackendError('GET http://backend/v1/weights/latest failed: ECONNREFUSED');
    t.is((await v.tick()).kind, 'transient-error');
    s.published.error = null;
    s.published.value = weightsAt(100, [0, 1], [1, 1]);
    t.is((await v.tick()).kind, 'not-registered');
    await s.h.local.registerHotkey(1, s.h.keys.alice.address);
    t.is((await v.tick()).kind, 'applied');
  } finally {
    await s.h.close();
  }
});

test('commit-reveal: commit, wait for the reveal epoch across a restart, reveal', async (t) => {
  const s = await setup({ hyperparams: { commitRevealEnabled: true, tempo: 9 } });
  try {
    s.published.value = weightsAt(100, [0, 1], [30000, 10000]);
    const committed = await s.make().tick();
    t.is(committed.kind, 'committed');
    t.is((await s.make().tick()).kind, 'reveal-wait');
    // A fresh validator (restart): the salt comes from the database.
    const restarted = s.make();
    const { revealFrom } = committed as { revealFrom: number };
    await s.h.advanceBlocks(revealFrom - s.h.local.headNumber() - 1);
    t.like(await restarted.tick(), { kind: 'applied', sourceBlock: 100, via: 'reveal' });
    t.deepEqual((await s.h.chain.weights(1))[0]!.weights, [
      { uid: 0, value: 65535 },
      { uid: 1, value: 21845 },
    ]);
    t.like(await restarted.tick(), { kind: 'up-to-date', sourceBlock: 100 });
  } finally {
    await s.h.close();
  }
});

test('commit-reveal end to end with runOnce', async (t) => {
  const s = await setup({ hyperparams: { commitRevealEnabled: true, tempo: 20, revealPeriodEpochs: 2 } });
  try {
    s.published.value = weightsAt(100, [1], [5]);
    t.like(await s.make().runOnce(), { kind: 'applied', via: 'reveal' });
    t.deepEqual((await s.h.chain.weights(1))[0]!.weights, [{ uid: 1, value: 65535 }]);
  } finally {
    await s.h.close();
  }
});

test('a stalled chain head triggers a reconnect', async (t) => {
  const s = await setup();
  try {
    const v = s.make({ stallTimeoutMs: 120_000 });
    s.chain.frozenView = await s.h.chain.validatorView(1, s.h.keys.alice.address);
    await v.tick();
    s.h.clock.advance(60_000);
    await v.tick();
    t.is(s.chain.reconnects, 0);
    s.h.clock.advance(61_000);
    await v.tick();
    t.is(s.chain.reconnects, 1);
  } finally {
    await s.h.close();
  }
});

test('a subnet that only accepts timelocked commit-reveal is reported, nothing is sent', async (t) => {
  const h = await memorySubtensorHarness({ hyperparams: { commitRevealEnabled: true }, metadata: { withoutHashCommitReveal: true } });
  try {
    const v = new Validator({
      chain: h.chain,
      netuid: 1,
      hotkey: h.keys.alice,
      weights: async () => weightsAt(100, [0], [1]),
      db: h.local.store.db,
      clock: h.clock,
    });
    const outcome = await v.tick();
    t.is(outcome.kind, 'unsupported');
    t.regex((outcome as { reason: string }).reason, /timelocked/);
    t.is(h.provider.submitted.length, 0);
  } finally {
    await h.close();
  }
});

test('the validator sets weights through SubtensorChain too', async (t) => {
  const h = await memorySubtensorHarness({ hyperparams: { weightsVersionKey: 4 } });
  try {
    const v = new Validator({
      chain: h.chain,
      netuid: 1,
      hotkey: h.keys.alice,
      weights: async () => weightsAt(100, [0, 1], [2, 1]),
      db: h.local.store.db,
      clock: h.clock,
    });
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 100 });
    t.like(await v.tick(), { kind: 'up-to-date' });
    t.is(h.provider.submitted.length, 1);
  } finally {
    await h.close();
  }
});

test('the weight vector: sorted, uids beyond the subnet dropped, floats as a fallback, bad input skipped', (t) => {
  t.deepEqual(prepareWeightVector(weightsAt(1, [3, 0, 9], [5, 7, 1]), 5), { uids: [0, 3], values: [7, 5], dropped: [9] });
  const floatsOnly = { ...weightsAt(1, [], []), weights: { '0': 0.75, '1': 0.25 } };
  t.deepEqual(prepareWeightVector(floatsOnly, 5), { uids: [0, 1], values: [65535, 21845], dropped: [] });
  t.deepEqual(prepareWeightVector(weightsAt(1, [0, 0], [1, 1]), 5), { skip: 'the published weights list a uid twice' });
  t.deepEqual(prepareWeightVector(weightsAt(1, [0, 1], [0, 0]), 5), { skip: 'no non-zero weights to set' });
  t.deepEqual(prepareWeightVector(weightsAt(1, [], []), 5), { skip: 'no non-zero weights to set' });
});

test('HTTP weights source: 404 is "none yet", errors and bad bodies are BackendErrors', async (t) => {
  let reply: { status: number; body: string } = { status: 404, body: '{"detail":"No weights available yet"}' };
  const server = http.createServer((req, res) => {
    if (req.url !== '/v1/weights/latest') {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.statusCode = reply.status;
    res.setHeader('content-type', 'application/json');
    res.end(reply.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const source = httpWeightsSource(url, { timeoutMs: 5_000 });
    t.is(await source(), null);
    reply = { status: 200, body: JSON.stringify(weightsAt(42, [0, 1], [1, 2])) };
    t.like(await source(), { block_number: 42, weights_u16: { uids: [0, 1], values: [1, 2] } });
    reply = { status: 500, body: '{"detail":"boom"}' };
    await t.throwsAsync(source(), { instanceOf: BackendError, message: /answered 500/ });
    reply = { status: 200, body: '{"cycle_id":1}' };
    await t.throwsAsync(source(), { instanceOf: BackendError, message: /not a WeightsResponse/ });

    // End to end: a validator polling this server sets the weights.
    reply = { status: 200, body: JSON.stringify(weightsAt(42, [0, 1], [1, 2])) };
    const h = await localHarness();
    const v = new Validator({ chain: h.chain, netuid: 1, hotkey: h.keys.alice, weights: source, db: h.local.store.db, clock: h.clock });
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 42 });
    await h.close();
  } finally {
    server.close();
  }
});

test('the record is not trusted over the chain: after a reset to the same genesis, the weights are submitted again', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-validator-'));
  const validatorDb = openDatabase(path.join(dir, 'validator.sqlite'));
  const weights = async () => weightsAt(100, [0, 1], [1, 1]);
  try {
    // Both chains come from the same seed: the same genesis hash, as a dev chain restarted from genesis.
    const first = await localHarness({ dbFile: path.join(dir, 'chain-1.sqlite') });
    const v1 = new Validator({ chain: first.chain, netuid: 1, hotkey: first.keys.alice, weights, db: validatorDb, clock: first.clock });
    t.like(await v1.tick(), { kind: 'applied', sourceBlock: 100 });
    t.like(await v1.tick(), { kind: 'up-to-date' });
    await first.advanceBlocks(50);
    const genesis = await first.chain.chainId();
    await first.close();

    const reset = await localHarness({ dbFile: path.join(dir, 'chain-2.sqlite') });
    t.is(await reset.chain.chainId(), genesis);
    t.deepEqual(await reset.chain.weights(1), []);
    const v2 = new Validator({ chain: reset.chain, netuid: 1, hotkey: reset.keys.alice, weights, db: validatorDb, clock: reset.clock });
    t.like(await v2.tick(), { kind: 'applied', sourceBlock: 100, via: 'set_weights' }, 'submitted again, not "already submitted"');
    t.is((await reset.chain.weights(1))[0]!.uid, 0);
    t.like(await v2.tick(), { kind: 'up-to-date', sourceBlock: 100 }, 'and confirmed on chain this time');
    const rows = v2.log.forSource({ chainId: genesis, netuid: 1, hotkey: reset.keys.alice.address }, 100);
    t.deepEqual(
      rows.map((r) => r.status),
      ['failed', 'applied'],
    );
    t.regex(rows[0]!.error!, /no longer on chain/);
    await reset.close();
  } finally {
    validatorDb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the record is keyed by genesis: weights set on one chain never suppress them on another', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-validator-'));
  const validatorDb = openDatabase(path.join(dir, 'validator.sqlite'));
  const weights = async () => weightsAt(100, [0, 1], [1, 1]);
  try {
    const a = await localHarness({ dbFile: path.join(dir, 'a.sqlite') });
    const b = await LocalChain.open(openDatabase(path.join(dir, 'b.sqlite')), { clock: a.clock, genesisSeed: 'another network' });
    b.ensureSubnet(1, { tempo: 9, weightsRateLimit: 5 });
    await b.registerHotkey(1, a.keys.alice.address);
    await b.registerHotkey(1, a.keys.bob.address);
    t.not(await a.chain.chainId(), await b.chainId());
    t.like(await new Validator({ chain: a.chain, netuid: 1, hotkey: a.keys.alice, weights, db: validatorDb, clock: a.clock }).tick(), { kind: 'applied' });
    t.like(await new Validator({ chain: b, netuid: 1, hotkey: a.keys.alice, weights, db: validatorDb, clock: a.clock }).tick(), { kind: 'applied' });
    t.is((await b.weights(1)).length, 1);
    await b.close();
    await a.close();
  } finally {
    validatorDb.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('an attempt sent at a block the chain has not reached (a reset while in flight) is not waited out for its era', async (t) => {
  const s = await setup();
  try {
    s.published.value = weightsAt(100, [0, 1], [1, 1]);
    const v = s.make();
    const head = (await s.h.chain.head()).number;
    // A record left by a process that sent on the old chain, far ahead of this one.
    v.log.insert({
      chainId: await s.h.chain.chainId(),
      netuid: 1,
      hotkey: s.h.keys.alice.address,
      sourceBlock: 100,
      cycleId: 1,
      mode: 'set',
      uids: [0, 1],
      values: [1, 1],
      versionKey: 0,
      status: 'sending',
      sentAtBlock: head + 5000,
    });
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 100 });
    t.is(s.setWeightsCalls(), 1);
  } finally {
    await s.h.close();
  }
});
