/**
 * The real-runtime tier: SubtensorChain against chopsticks executing Subtensor's runtime (spec 218,
 * test/fixtures/chain/raonet.json). One chopsticks process serves the whole file; each test rewinds
 * to a prepared block (`dev_setHead`), builds a fresh block and sets its own storage on it, so tests
 * do not see each other's extrinsics. Tests are serial: they share the process.
 */
import test from 'ava';
import { buildCommitment } from '../src/chain/commitment.ts';
import { encryptDeploymentId, generateKeypair } from '../src/chain/crypto.ts';
import { discoverMiners } from '../src/chain/discovery.ts';
import { ChainModuleError } from '../src/chain/errors.ts';
import { SubtensorChain } from '../src/chain/subtensor.ts';
import { capturedMetadataHex } from '../src/chain/testing/captured-metadata.ts';
import { openDatabase } from '../src/store/db.ts';
import { Validator } from '../src/validator/validator.ts';
import { weightsAt } from './helpers/validator.ts';
import { devKeys, type DevKeys } from '../src/chain/testing/harness.ts';
import type { SubnetHyperparams } from '../src/chain/types.ts';
import { CONTRACT_BASE, CONTRACT_CASES, expectModuleError, type Contract } from './helpers/chain-contract.ts';
import { hyperparamStorage, startChopsticks, subnetStorage, TEST_NETUID, type Chopsticks } from './helpers/chopsticks.ts';

/** Per-test deadline: each block runs the real runtime (≈0.3 s idle, far more on a loaded box). */
const SLOW = 180_000;
let node: Chopsticks;
let base: `0x${string}`;
let keys: DevKeys;

test.before(async () => {
  keys = await devKeys();
  node = await startChopsticks();
  base = (await node.head()).hash;
});

test.after.always(async () => {
  await node?.stop();
});

/** A subnet with alice (uid 0) and bob (uid 1) — or `hotkeys` — on a fresh block after the saved base. */
async function fresh(hyperparams: Partial<SubnetHyperparams>, hotkeys = [keys.alice, keys.bob]): Promise<Contract> {
  await node.setHead(base);
  await node.newBlocks(1);
  await node.setStorage(subnetStorage(TEST_NETUID, hotkeys, hyperparams));
  await node.newBlocks(1);
  const chain = await SubtensorChain.connect(node.url, { readAt: 'best' });
  return {
    chain,
    netuid: TEST_NETUID,
    keys,
    async setHyperparams(patch) {
      await node.setStorage(hyperparamStorage(TEST_NETUID, patch));
      await node.newBlocks(1);
    },
    async advanceBlocks(n) {
      await node.newBlocks(n);
    },
    async allowRecommit(hotkey) {
      await node.setStorage({ Commitments: { LastCommitment: [[[TEST_NETUID, hotkey], null]] } });
    },
    close: () => chain.close(),
  };
}

for (const c of CONTRACT_CASES) {
  test.serial(`chopsticks: ${c.title}`, async (t) => {
    t.timeout(SLOW);
    const contract = await fresh({ ...CONTRACT_BASE, ...c.hyperparams });
    try {
      await c.body(t, contract);
    } finally {
      await contract.close();
    }
  });
}

test.serial('chopsticks: the runtime serves exactly the metadata captured in src/chain/testing (spec 218)', async (t) => {
  t.timeout(SLOW);
  const c = await fresh(CONTRACT_BASE);
  try {
    t.deepEqual(c.chain.runtime(), { specName: 'node-subtensor', specVersion: 218 });
    t.is((c.chain as SubtensorChain).polkadotApi.runtimeMetadata.toHex(), capturedMetadataHex());
    t.notThrows(() => c.chain.requireRuntime(['read', 'discover', 'commit', 'validate']));
  } finally {
    await c.close();
  }
});

test.serial('chopsticks: plain, encrypted and @url commitments are read back with their blocks and discovered as miners', async (t) => {
  t.timeout(SLOW);
  const c = await fresh(CONTRACT_BASE, [keys.alice, keys.bob, keys.charlie, keys.dave]);
  try {
    const operator = generateKeypair();
    const deployment = '95edf2b6-e18b-400a-8398-5573df10e5e4';
    const plain = buildCommitment({ repo: 'user/plain', revision: 'abc123def', deploymentId: deployment });
    const encrypted = buildCommitment({ repo: 'user/secret', revision: '0123456789', encryptedBlob: encryptDeploymentId(deployment, operator.publicKeyHex) });
    const url = buildCommitment({ repo: 'user/self', revision: 'feedbeef', endpoint: 'http://miner.example.com:8001' });
    const blocks = [];
    for (const [key, text] of [
      [keys.bob, plain],
      [keys.charlie, encrypted],
      [keys.dave, url],
    ] as const)
      blocks.push((await c.chain.setCommitment(TEST_NETUID, key, text)).block);
    const snap = await c.chain.snapshot(TEST_NETUID);
    t.deepEqual(
      snap.commitments.map((x) => [x.uid, x.data, x.block]),
      [
        [1, plain, blocks[0]],
        [2, encrypted, blocks[1]],
        [3, url, blocks[2]],
      ],
    );
    const { miners, skipped } = discoverMiners(snap, { backendPrivateKey: operator.privateKeyHex, excludeHotkeys: [keys.alice.address] });
    t.deepEqual(
      miners.map((m) => [m.uid, m.endpoint, m.encrypted, m.selfHosted, m.commitBlock]),
      [
        [1, `https://${deployment}.deployments.basilica.ai`, false, false, blocks[0]],
        [2, `https://${deployment}.deployments.basilica.ai`, true, false, blocks[1]],
        [3, 'http://miner.example.com:8001', false, true, blocks[2]],
      ],
    );
    t.deepEqual(
      skipped.map((s) => [s.uid, s.reason]),
      [[0, 'operator hotkey']],
    );
    // Runtime 218 allows one commitment per 100 blocks per hotkey: the error is named, not generic.
    const err = await expectModuleError(t, c.chain.setCommitment(TEST_NETUID, keys.bob, plain), 'CommitmentSetRateLimitExceeded');
    t.regex(err.message, /too recently/);
  } finally {
    await c.close();
  }
});

test.serial('chopsticks: neurons, uids, hyperparameters, weights and the validator view (the metagraph reads)', async (t) => {
  t.timeout(SLOW);
  const c = await fresh({ ...CONTRACT_BASE, weightsRateLimit: 3, maxWeightsLimit: 65535, revealPeriodEpochs: 2 });
  try {
    const snap = await c.chain.snapshot(TEST_NETUID);
    t.deepEqual(snap.neurons, [
      { uid: 0, hotkey: keys.alice.address },
      { uid: 1, hotkey: keys.bob.address },
    ]);
    t.like(snap.hyperparams, {
      tempo: 9,
      weightsRateLimit: 3,
      revealPeriodEpochs: 2,
      minAllowedWeights: 1,
      maxWeightsLimit: 65535,
      commitRevealEnabled: false,
    });
    t.is(snap.commitReveal, 'off');
    t.is(await c.chain.uidOf(TEST_NETUID, keys.bob.address), 1);
    t.is(await c.chain.uidOf(TEST_NETUID, keys.charlie.address), null);
    const receipt = await c.chain.setWeights(TEST_NETUID, keys.alice, { uids: [0, 1], values: [1, 3], versionKey: 0 }).catch((err: Error) => {
      throw new Error(`${err.message}; chopsticks said: ${node.output().slice(-3000)}`);
    });
    t.deepEqual(await c.chain.weights(TEST_NETUID), [
      {
        uid: 0,
        hotkey: keys.alice.address,
        lastUpdate: receipt.block,
        weights: [
          { uid: 0, value: 21845 },
          { uid: 1, value: 65535 },
        ],
      },
    ]);
    const view = await c.chain.validatorView(TEST_NETUID, keys.alice.address);
    t.like(view, { uid: 0, subnetN: 2, lastUpdate: receipt.block, commitReveal: 'off', timelock: null, pendingTimelocked: [] });
    await t.throwsAsync(c.chain.snapshot(77), { instanceOf: ChainModuleError, message: /SubnetNotExists/ });
  } finally {
    await c.close();
  }
});

test.serial('chopsticks: the validator commits, waits for the reveal epoch and reveals on the real runtime (hash commit-reveal)', async (t) => {
  t.timeout(SLOW);
  const c = await fresh({ ...CONTRACT_BASE, commitRevealEnabled: true });
  const db = openDatabase(':memory:');
  try {
    const v = new Validator({ chain: c.chain, netuid: TEST_NETUID, hotkey: keys.alice, weights: async () => weightsAt(50, [0, 1], [30000, 10000]), db });
    const committed = await v.tick();
    t.is(committed.kind, 'committed');
    const { revealFrom } = committed as { revealFrom: number };
    t.like(await v.tick(), { kind: 'reveal-wait' });
    const head = (await c.chain.head()).number;
    await node.newBlocks(Math.max(0, revealFrom - head - 1));
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 50, via: 'reveal' });
    t.deepEqual((await c.chain.weights(TEST_NETUID))[0]!.weights, [
      { uid: 0, value: 65535 },
      { uid: 1, value: 21845 },
    ]);
    t.like(await v.tick(), { kind: 'up-to-date', sourceBlock: 50 });
  } finally {
    db.close();
    await c.close();
  }
});
