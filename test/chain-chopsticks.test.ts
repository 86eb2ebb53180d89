/**
 * The real-runtime tier: SubtensorChain against chopsticks executing Subtensor's runtime (spec 218,
 * test/fixtures/chain/raonet.json). One chopsticks process serves the whole file; each test rewinds
 * to a prepared block (`dev_setHead`), builds a fresh block and sets its own storage on it, so tests
 * do not see each other's extrinsics. Tests are serial: they share the process.
 */
import test from 'ava';
import { SubtensorChain } from '../src/chain/subtensor.ts';
import { devKeys, type DevKeys } from '../src/chain/testing/harness.ts';
import type { SubnetHyperparams } from '../src/chain/types.ts';
import { CONTRACT_BASE, CONTRACT_CASES, type Contract } from './helpers/chain-contract.ts';
import { hyperparamStorage, startChopsticks, subnetStorage, TEST_NETUID, type Chopsticks } from './helpers/chopsticks.ts';

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

/** A subnet with alice (uid 0) and bob (uid 1) on a fresh block after the saved base. */
async function fresh(hyperparams: Partial<SubnetHyperparams>): Promise<Contract> {
  await node.setHead(base);
  await node.newBlocks(1);
  await node.setStorage(subnetStorage(TEST_NETUID, [keys.alice, keys.bob], hyperparams));
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
    const contract = await fresh({ ...CONTRACT_BASE, ...c.hyperparams });
    try {
      await c.body(t, contract);
    } finally {
      await contract.close();
    }
  });
}
