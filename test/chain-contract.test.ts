/**
 * One behavioural contract for ChainClient, run against every implementation: the LocalChain, and
 * SubtensorChain (real @polkadot/api encoding, signing and event decoding) over the in-memory
 * provider. With SUBTENSOR_CHAINSPEC=/path/to/raw-spec.json and @acala-network/chopsticks-core
 * installed, it also runs against SubtensorChain on chopsticks executing a real Subtensor runtime.
 */
import fs from 'node:fs';
import test, { type ExecutionContext } from 'ava';
import { ChainModuleError } from '../src/chain/errors.ts';
import { commitHashV2 } from '../src/chain/weights.ts';
import type { SubnetHyperparams } from '../src/chain/types.ts';
import type { ChainClient } from '../src/chain/client.ts';
import type { KeyringPair } from '@polkadot/keyring/types';
import { devKeys, localHarness, memorySubtensorHarness, type DevKeys } from '../src/chain/testing/harness.ts';

interface Contract {
  chain: ChainClient;
  netuid: number;
  keys: DevKeys;
  setHyperparams(patch: Partial<SubnetHyperparams>): Promise<void>;
  advanceBlocks(n: number): Promise<void>;
  close(): Promise<void>;
}

type Factory = (hyperparams: Partial<SubnetHyperparams>) => Promise<Contract>;

const factories: [string, Factory][] = [
  ['LocalChain', (hyperparams) => localHarness({ hyperparams })],
  ['SubtensorChain/memory', (hyperparams) => memorySubtensorHarness({ hyperparams })],
];

const chainspec = process.env.SUBTENSOR_CHAINSPEC;
if (chainspec) factories.push(['SubtensorChain/chopsticks', chopsticksFactory(chainspec)]);
else test.skip('SubtensorChain/chopsticks tier (set SUBTENSOR_CHAINSPEC to a raw chain spec to run)', () => undefined);

async function expectModuleError(t: ExecutionContext, work: Promise<unknown>, name: string): Promise<ChainModuleError> {
  const err = await t.throwsAsync(work);
  t.true(err instanceof ChainModuleError, `expected ChainModuleError ${name}, got ${err?.name}: ${err?.message}`);
  t.is((err as ChainModuleError).error, name);
  return err as ChainModuleError;
}

const BASE = { tempo: 9, weightsRateLimit: 5, weightsVersionKey: 0, commitRevealEnabled: false, minAllowedWeights: 1 };

for (const [name, make] of factories) {
  const run = (title: string, hyperparams: Partial<SubnetHyperparams>, body: (t: ExecutionContext, c: Contract) => Promise<void>) =>
    test(`${name}: ${title}`, async (t) => {
      const c = await make({ ...BASE, ...hyperparams });
      try {
        await body(t, c);
      } finally {
        await c.close();
      }
    });

  run('a commitment is read back with the block that included it; a re-commit moves the block', {}, async (t, c) => {
    const first = await c.chain.setCommitment(c.netuid, c.keys.bob, 'user/policy:abc12345:95edf2b6-e18b-400a-8398-5573df10e5e4');
    let snap = await c.chain.snapshot(c.netuid);
    t.true(snap.block >= first.block);
    t.deepEqual(snap.neurons.map((n) => n.hotkey), [c.keys.alice.address, c.keys.bob.address]);
    t.deepEqual(snap.commitments, [{ uid: 1, hotkey: c.keys.bob.address, data: 'user/policy:abc12345:95edf2b6-e18b-400a-8398-5573df10e5e4', block: first.block }]);
    await c.advanceBlocks(3);
    const second = await c.chain.setCommitment(c.netuid, c.keys.bob, 'user/policy:ffff0000:95edf2b6-e18b-400a-8398-5573df10e5e4');
    t.true(second.block > first.block);
    snap = await c.chain.snapshot(c.netuid);
    t.is(snap.commitments[0]!.block, second.block);
    t.is(snap.commitments[0]!.data.split(':')[1], 'ffff0000');
  });

  run('only registered hotkeys may commit', {}, async (t, c) => {
    await expectModuleError(t, c.chain.setCommitment(c.netuid, c.keys.charlie, 'user/policy:abc12345:some-id'), 'AccountNotAllowedCommit');
  });

  run('hyperparameters and the validator view are read from the chain', { weightsRateLimit: 7, weightsVersionKey: 3 }, async (t, c) => {
    const hp = await c.chain.hyperparams(c.netuid);
    t.is(hp.weightsRateLimit, 7);
    t.is(hp.weightsVersionKey, 3);
    t.is(hp.tempo, 9);
    t.false(hp.commitRevealEnabled);
    const view = await c.chain.validatorView(c.netuid, c.keys.alice.address);
    t.is(view.uid, 0);
    t.is(view.subnetN, 2);
    t.is(view.lastUpdate, 0);
    t.is(view.commitReveal, 'off');
    t.is(await c.chain.uidOf(c.netuid, c.keys.bob.address), 1);
    t.is(await c.chain.uidOf(c.netuid, c.keys.charlie.address), null);
  });

  run('set_weights stores max-upscaled weights and enforces WeightsSetRateLimit', {}, async (t, c) => {
    const receipt = await c.chain.setWeights(c.netuid, c.keys.alice, { uids: [0, 1], values: [30000, 10000], versionKey: 0 });
    const weights = await c.chain.weights(c.netuid);
    t.deepEqual(weights, [
      { uid: 0, hotkey: c.keys.alice.address, lastUpdate: receipt.block, weights: [{ uid: 0, value: 65535 }, { uid: 1, value: 21845 }] },
    ]);
    await expectModuleError(t, c.chain.setWeights(c.netuid, c.keys.alice, { uids: [1], values: [1], versionKey: 0 }), 'SettingWeightsTooFast');
    await c.advanceBlocks(5);
    const later = await c.chain.setWeights(c.netuid, c.keys.alice, { uids: [1], values: [1], versionKey: 0 });
    t.true(later.block - receipt.block >= 5);
    t.is((await c.chain.validatorView(c.netuid, c.keys.alice.address)).lastUpdate, later.block);
  });

  run('the version key must be at least WeightsVersionKey', { weightsVersionKey: 7 }, async (t, c) => {
    const err = await expectModuleError(t, c.chain.setWeights(c.netuid, c.keys.alice, { uids: [0], values: [1], versionKey: 3 }), 'IncorrectWeightVersionKey');
    t.regex(err.message, /version key/);
    await c.chain.setWeights(c.netuid, c.keys.alice, { uids: [0], values: [1], versionKey: 7 });
    t.pass();
  });

  run('weights from unregistered hotkeys or with bad uids are rejected by name', {}, async (t, c) => {
    await expectModuleError(t, c.chain.setWeights(c.netuid, c.keys.charlie, { uids: [0], values: [1], versionKey: 0 }), 'HotKeyNotRegisteredInSubNet');
    await expectModuleError(t, c.chain.setWeights(c.netuid, c.keys.alice, { uids: [0, 5], values: [1, 1], versionKey: 0 }), 'UidVecContainInvalidOne');
    await expectModuleError(t, c.chain.setWeights(c.netuid, c.keys.alice, { uids: [1, 1], values: [1, 1], versionKey: 0 }), 'DuplicateUids');
  });

  run('commit-reveal: set_weights is refused, a reveal before its epoch is too early, in its epoch it applies', { commitRevealEnabled: true }, async (t, c) => {
    const view = await c.chain.validatorView(c.netuid, c.keys.alice.address);
    t.is(view.commitReveal, 'v2');
    await expectModuleError(t, c.chain.setWeights(c.netuid, c.keys.alice, { uids: [0], values: [1], versionKey: 0 }), 'CommitRevealEnabled');
    const payload = { uids: [0, 1], values: [65535, 32768], salt: [1, 2, 3, 4, 5, 6, 7, 8], versionKey: 0 };
    const hash = commitHashV2({ hotkey: c.keys.alice.address, netuidIndex: c.netuid, ...payload });
    const commit = await c.chain.commitWeights(c.netuid, c.keys.alice, hash);
    const pending = await c.chain.weightCommits(c.netuid, c.keys.alice.address);
    t.is(pending.length, 1);
    t.is(pending[0]!.hash, hash);
    t.is(pending[0]!.commitBlock, commit.block);
    await expectModuleError(t, c.chain.revealWeights(c.netuid, c.keys.alice, payload), 'RevealTooEarly');
    const first = pending[0]!.firstRevealBlock!;
    const head = (await c.chain.head()).number;
    await c.advanceBlocks(Math.max(0, first - head - 1));
    await expectModuleError(t, c.chain.revealWeights(c.netuid, c.keys.alice, { ...payload, salt: [9, 9, 9, 9, 9, 9, 9, 9] }), 'InvalidRevealCommitHashNotMatch');
    const reveal = await c.chain.revealWeights(c.netuid, c.keys.alice, payload);
    t.true(reveal.block >= first && reveal.block <= pending[0]!.lastRevealBlock!);
    t.deepEqual((await c.chain.weights(c.netuid))[0]!.weights, [{ uid: 0, value: 65535 }, { uid: 1, value: 32768 }]);
    t.deepEqual(await c.chain.weightCommits(c.netuid, c.keys.alice.address), []);
  });

  run('commit-reveal: a commit not revealed in its epoch expires', { commitRevealEnabled: true }, async (t, c) => {
    const payload = { uids: [1], values: [7], salt: [8, 7, 6, 5, 4, 3, 2, 1], versionKey: 0 };
    await c.chain.commitWeights(c.netuid, c.keys.alice, commitHashV2({ hotkey: c.keys.alice.address, netuidIndex: c.netuid, ...payload }));
    const [pending] = await c.chain.weightCommits(c.netuid, c.keys.alice.address);
    const head = (await c.chain.head()).number;
    await c.advanceBlocks(pending!.lastRevealBlock! - head + 1);
    await expectModuleError(t, c.chain.revealWeights(c.netuid, c.keys.alice, payload), 'ExpiredWeightCommit');
  });
}

/** SubtensorChain on chopsticks running a real Subtensor runtime from a raw chain spec (opt-in). */
function chopsticksFactory(specFile: string): Factory {
  return async (hyperparams) => {
    // Optional dev dependency: not installed by default. Resolved at run time only.
    const modName = '@acala-network/chopsticks-core';
    const core = (await import(modName)) as {
      setup(o: unknown): Promise<{ newBlock(): Promise<unknown>; close(): Promise<void> }>;
      GenesisProvider: new (spec: unknown) => unknown;
      ChopsticksProvider: new (chain: unknown) => import('@polkadot/rpc-provider/types').ProviderInterface;
      BuildBlockMode: { Instant: unknown };
      timeTravel(chain: unknown, ms: number): Promise<void>;
      setStorage(chain: unknown, storage: unknown): Promise<unknown>;
    };
    const { SubtensorChain } = await import('../src/chain/subtensor.ts');
    const spec = JSON.parse(fs.readFileSync(specFile, 'utf8')) as unknown;
    const chain = await core.setup({ genesis: new core.GenesisProvider(spec), buildBlockMode: core.BuildBlockMode.Instant, runtimeLogLevel: 0 });
    await core.timeTravel(chain, Math.floor(Date.now() / 12_000) * 12_000);
    const client = await SubtensorChain.connect({ providerFactory: () => new core.ChopsticksProvider(chain), readAt: 'best' });
    const keys = await devKeys();
    const netuid = 1;
    const hp = { ...BASE, ...hyperparams };
    const hotkeys: KeyringPair[] = [keys.alice, keys.bob];
    const apply = (patch: Partial<SubnetHyperparams>) =>
      core.setStorage(chain, {
        SubtensorModule: {
          ...(patch.tempo !== undefined ? { Tempo: [[[netuid], patch.tempo]] } : {}),
          ...(patch.weightsRateLimit !== undefined ? { WeightsSetRateLimit: [[[netuid], patch.weightsRateLimit]] } : {}),
          ...(patch.weightsVersionKey !== undefined ? { WeightsVersionKey: [[[netuid], patch.weightsVersionKey]] } : {}),
          ...(patch.commitRevealEnabled !== undefined ? { CommitRevealWeightsEnabled: [[[netuid], patch.commitRevealEnabled]] } : {}),
          ...(patch.minAllowedWeights !== undefined ? { MinAllowedWeights: [[[netuid], patch.minAllowedWeights]] } : {}),
        },
      });
    await core.setStorage(chain, {
      System: { Account: hotkeys.map((k) => [[k.address], { providers: 1, data: { free: 10n ** 15n } }]) },
      SubtensorModule: {
        NetworksAdded: [[[netuid], true]],
        SubnetworkN: [[[netuid], hotkeys.length]],
        Keys: hotkeys.map((k, uid) => [[netuid, uid], k.address]),
        Uids: hotkeys.map((k, uid) => [[netuid, k.address], uid]),
        ValidatorPermit: [[[netuid], hotkeys.map(() => true)]],
        Active: [[[netuid], hotkeys.map(() => true)]],
        LastUpdate: [[[netuid], hotkeys.map(() => 0)]],
      },
    });
    await apply(hp);
    await chain.newBlock();
    return {
      chain: client,
      netuid,
      keys,
      setHyperparams: async (patch) => {
        await apply(patch);
        await chain.newBlock();
      },
      advanceBlocks: async (n) => {
        for (let i = 0; i < n; i++) await chain.newBlock();
      },
      close: async () => {
        await client.close();
        await chain.close();
      },
    };
  };
}
