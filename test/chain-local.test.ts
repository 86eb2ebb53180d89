/** LocalChain specifics beyond the shared contract: registration, block clock, hashes, persistence. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { openDatabase } from '../src/store/db.ts';
import { ManualClock } from '../src/chain/clock.ts';
import type { ChainModuleError } from '../src/chain/errors.ts';
import { LocalChain } from '../src/chain/local-chain.ts';
import { devKeys, localHarness } from '../src/chain/testing/harness.ts';

function tempFile(): { file: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-local-chain-'));
  return { file: path.join(dir, 'k.sqlite'), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test('registration assigns uids in order, refuses duplicates and a full subnet, and shows from its block on', async (t) => {
  const h = await localHarness({ hyperparams: { maxAllowedUids: 3 }, register: [] });
  try {
    const a = await h.local.registerHotkey(1, h.keys.alice.address);
    t.is(a.uid, 0);
    const pending = h.local.registerHotkey(1, h.keys.bob.address, { wait: false });
    const before = await h.chain.snapshot(1);
    const b = await pending;
    t.is(b.uid, 1);
    t.is(b.block, before.block + 1);
    t.deepEqual(
      before.neurons.map((n) => n.uid),
      [0],
      'the registration is not visible before its block',
    );
    await h.advanceBlocks(1);
    t.deepEqual(
      (await h.chain.snapshot(1)).neurons.map((n) => n.uid),
      [0, 1],
    );
    const dup = await t.throwsAsync(h.local.registerHotkey(1, h.keys.alice.address));
    t.is((dup as ChainModuleError).error, 'HotKeyAlreadyRegisteredInSubNet');
    await h.local.registerHotkey(1, h.keys.charlie.address);
    const full = await t.throwsAsync(h.local.registerHotkey(1, h.keys.dave.address));
    t.is((full as ChainModuleError).error, 'NoNeuronIdAvailable');
    t.deepEqual(await h.local.ensureRegistered(1, h.keys.bob.address), { uid: 1, registered: false });
    const missing = await t.throwsAsync(h.local.registerHotkey(7, h.keys.alice.address));
    t.is((missing as ChainModuleError).error, 'SubnetNotExists');
  } finally {
    await h.close();
  }
});

test('blocks follow the 12 s clock and writes resolve only once their block is reached', async (t) => {
  const clock = new ManualClock(Date.parse('2026-03-01T00:00:05Z'), { autoAdvance: false });
  const h = await localHarness({ clock, register: [] });
  try {
    t.is(h.local.headNumber(), 0);
    clock.advance(12_000 * 3);
    t.is(h.local.headNumber(), 3);
    let done = false;
    const reg = h.local.registerHotkey(1, h.keys.alice.address).then((r) => ((done = true), r));
    await new Promise((r) => setImmediate(r));
    t.false(done, 'waits for inclusion');
    t.is(clock.pendingSleeps, 1);
    clock.advance(12_000);
    t.deepEqual(await reg, { uid: 0, block: 4 });
  } finally {
    await h.close();
  }
});

test('block hashes are a deterministic function of the seed and the history', async (t) => {
  const run = async (data: string) => {
    const h = await localHarness();
    await h.advanceBlocks(10);
    await h.chain.setCommitment(1, h.keys.bob, data);
    await h.advanceBlocks(600);
    const head = await h.chain.head();
    const result = { head, early: h.local.blockHash(5), atCommit: h.local.blockHash(13), mid: h.local.blockHash(300) };
    await h.close();
    return result;
  };
  const a = await run('user/policy:aaaa:dep');
  const b = await run('user/policy:aaaa:dep');
  const c = await run('user/policy:bbbb:dep');
  t.deepEqual(a, b);
  t.is(a.early, c.early, 'identical history up to block 5');
  t.not(a.atCommit, c.atCommit);
  t.not(a.head.hash, c.head.hash);
  t.regex(a.head.hash, /^0x[0-9a-f]{64}$/);
});

test('historic block hashes equal the hashes seen when the blocks were the head', async (t) => {
  const h = await localHarness({ register: [] });
  try {
    const seen = new Map<number, `0x${string}`>();
    for (let i = 0; i < 40; i++) {
      const head = await h.chain.head();
      seen.set(head.number, head.hash);
      await h.advanceBlocks(1 + (i % 3) * 50);
    }
    for (const [n, hash] of seen) t.is(h.local.blockHash(n), hash);
    t.throws(() => h.local.blockHash(h.local.headNumber() + 1), { instanceOf: RangeError });
  } finally {
    await h.close();
  }
});

test('state, rate limits and hashes survive closing and reopening the database', async (t) => {
  const tmp = tempFile();
  const clock = new ManualClock();
  try {
    const first = await localHarness({ dbFile: tmp.file, clock });
    await first.chain.setCommitment(1, first.keys.bob, 'user/policy:abc:dep-1');
    const set = await first.chain.setWeights(1, first.keys.alice, { uids: [0, 1], values: [2, 1], versionKey: 0 });
    const snap = await first.chain.snapshot(1);
    const weights = await first.chain.weights(1);
    await first.close();

    const db = openDatabase(tmp.file);
    const reopened = await LocalChain.open(db, { clock, genesisSeed: 'ignored once created' });
    t.deepEqual(await reopened.snapshot(1), snap);
    t.deepEqual(await reopened.weights(1), weights);
    const keys = await devKeys();
    const err = await t.throwsAsync(reopened.setWeights(1, keys.alice, { uids: [0], values: [1], versionKey: 0 }));
    t.is((err as ChainModuleError).error, 'SettingWeightsTooFast');
    t.regex(err!.message, new RegExp(`last update at block ${set.block}`));
    db.close();
  } finally {
    tmp.cleanup();
  }
});

test("two processes sharing one database see each other's extrinsics", async (t) => {
  const tmp = tempFile();
  const clock = new ManualClock();
  try {
    const appliance = await localHarness({ dbFile: tmp.file, clock });
    const otherDb = openDatabase(tmp.file);
    const cli = await LocalChain.open(otherDb, { clock });
    const receipt = await cli.setCommitment(1, appliance.keys.bob, 'user/policy:abc:dep-2');
    const snap = await appliance.chain.snapshot(1);
    t.deepEqual(
      snap.commitments.map((c) => [c.hotkey, c.block]),
      [[appliance.keys.bob.address, receipt.block]],
    );
    t.is((await cli.head()).hash, (await appliance.chain.head()).hash);
    otherDb.close();
    await appliance.close();
  } finally {
    tmp.cleanup();
  }
});

test('the commitment space budget per epoch is enforced like Subtensor (SpaceLimitExceeded)', async (t) => {
  const h = await localHarness({ hyperparams: { tempo: 360 } });
  try {
    let accepted = 0;
    let error: ChainModuleError | undefined;
    for (let i = 0; i < 40 && !error; i++) {
      try {
        await h.chain.setCommitment(1, h.keys.bob, `user/policy:${i}:dep`);
        accepted++;
      } catch (err) {
        error = err as ChainModuleError;
      }
    }
    t.is(accepted, 31);
    t.is(error?.qualifiedName, 'Commitments.SpaceLimitExceeded');
  } finally {
    await h.close();
  }
});

test('failed extrinsics change nothing but are part of their block', async (t) => {
  const h = await localHarness();
  try {
    const before = await h.chain.snapshot(1);
    await t.throwsAsync(h.chain.setCommitment(1, h.keys.charlie, 'user/policy:abc:dep'));
    const head = h.local.headNumber();
    const rows = h.local.store.extrinsics(head);
    t.is(rows.length, 1);
    t.is(rows[0]!.outcome, 'Commitments.AccountNotAllowedCommit');
    t.deepEqual((await h.chain.snapshot(1)).commitments, before.commitments);
  } finally {
    await h.close();
  }
});

test('hyperparameters are validated', async (t) => {
  const h = await localHarness();
  try {
    t.throws(() => h.local.setHyperparams(1, { revealPeriodEpochs: 0 }), { instanceOf: RangeError });
    t.throws(() => h.local.ensureSubnet(0), { message: /root network/ });
    t.is(h.local.setHyperparams(1, { weightsVersionKey: 9 }).weightsVersionKey, 9);
    t.deepEqual(
      h.local.listSubnets().map((s) => s.netuid),
      [1],
    );
  } finally {
    await h.close();
  }
});
