/**
 * One behavioural contract for ChainClient (test/helpers/chain-contract.ts), run against the LocalChain
 * and against SubtensorChain (real @polkadot/api encoding, signing and event decoding) over the
 * in-memory provider, once with the synthetic metadata and once with the metadata captured from the
 * real runtime (spec 218). `chain-chopsticks.test.ts` runs the same cases on the real runtime.
 */
import test from 'ava';
import { localHarness, memorySubtensorHarness } from '../src/chain/testing/harness.ts';
import { CONTRACT_BASE, CONTRACT_CASES, type ContractFactory } from './helpers/chain-contract.ts';

const factories: [string, ContractFactory][] = [
  ['LocalChain', (hyperparams) => localHarness({ hyperparams })],
  ['SubtensorChain/memory', (hyperparams) => memorySubtensorHarness({ hyperparams })],
  ['SubtensorChain/memory/spec218', (hyperparams) => memorySubtensorHarness({ hyperparams, metadataSource: 'spec218' })],
];

for (const [name, make] of factories) {
  for (const c of CONTRACT_CASES) {
    test(`${name}: ${c.title}`, async (t) => {
      const contract = await make({ ...CONTRACT_BASE, ...c.hyperparams });
      try {
        await c.body(t, contract);
      } finally {
        await contract.close();
      }
    });
  }
}
