/**
 * The behavioural contract every ChainClient must honour, as a list of cases that each test file
 * registers against its implementations: the LocalChain and SubtensorChain over the in-memory provider
 * (with synthetic or captured metadata) in `chain-contract.test.ts`, SubtensorChain on chopsticks
 * running the real runtime in `chain-chopsticks.test.ts`.
 */
import type { ExecutionContext } from 'ava';
import { ChainModuleError } from '../../src/chain/errors.ts';
import { commitHashV2 } from '../../src/chain/weights.ts';
import type { SubnetHyperparams } from '../../src/chain/types.ts';
import type { ChainClient } from '../../src/chain/client.ts';
import type { DevKeys } from '../../src/chain/testing/harness.ts';

export interface Contract {
  chain: ChainClient;
  netuid: number;
  keys: DevKeys;
  setHyperparams(patch: Partial<SubnetHyperparams>): Promise<void>;
  advanceBlocks(n: number): Promise<void>;
  /**
   * Lets `hotkey` publish a commitment again at once. Runtime 218 allows one commitment per
   * `Commitments.RateLimit` (100) blocks; the chopsticks tier clears `LastCommitment` instead of
   * building 100 blocks. The other implementations have no such limit.
   */
  allowRecommit?(hotkey: string): Promise<void>;
  close(): Promise<void>;
}

export type ContractFactory = (hyperparams: Partial<SubnetHyperparams>) => Promise<Contract>;

export interface ContractCase {
  title: string;
  hyperparams: Partial<SubnetHyperparams>;
  body(t: ExecutionContext, c: Contract): Promise<void>;
}

/** The hyperparameters every case starts from (a case adds its own). */
export const CONTRACT_BASE: Partial<SubnetHyperparams> = {
  tempo: 9,
  weightsRateLimit: 5,
  weightsVersionKey: 0,
  commitRevealEnabled: false,
  minAllowedWeights: 1,
};

export async function expectModuleError(t: ExecutionContext, work: Promise<unknown>, name: string): Promise<ChainModuleError> {
  const err = await t.throwsAsync(work);
  t.true(err instanceof ChainModuleError, `expected ChainModuleError ${name}, got ${err?.name}: ${err?.message}`);
  t.is((err as ChainModuleError).error, name);
  return err as ChainModuleError;
}

export const CONTRACT_CASES: ContractCase[] = [];
const run = (title: string, hyperparams: Partial<SubnetHyperparams>, body: ContractCase['body']) => CONTRACT_CASES.push({ title, hyperparams, body });

run('a commitment is read back with the block that included it; a re-commit moves the block', {}, async (t, c) => {
  const first = await c.chain.setCommitment(c.netuid, c.keys.bob, 'user/policy:abc12345:95edf2b6-e18b-400a-8398-5573df10e5e4');
  let snap = await c.chain.snapshot(c.netuid);
  t.true(snap.block >= first.block);
  t.deepEqual(
    snap.neurons.map((n) => n.hotkey),
    [c.keys.alice.address, c.keys.bob.address],
  );
  t.deepEqual(snap.commitments, [
    { uid: 1, hotkey: c.keys.bob.address, data: 'user/policy:abc12345:95edf2b6-e18b-400a-8398-5573df10e5e4', block: first.block },
  ]);
  await c.advanceBlocks(3);
  await c.allowRecommit?.(c.keys.bob.address);
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
    {
      uid: 0,
      hotkey: c.keys.alice.address,
      lastUpdate: receipt.block,
      weights: [
        { uid: 0, value: 65535 },
        { uid: 1, value: 21845 },
      ],
    },
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
  t.deepEqual((await c.chain.weights(c.netuid))[0]!.weights, [
    { uid: 0, value: 65535 },
    { uid: 1, value: 32768 },
  ]);
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
