/**
 * The LocalChain's state at a block as Subtensor's storage items: what the MemoryProvider
 * (memory-provider.ts) serves, item by item, for every subnet, to be SCALE-encoded with the served
 * metadata's types.
 */
import { u8aToHex } from '@polkadot/util';
import type { LocalChainStore } from '../../store/local-chain.ts';

/** Stores one item (pallet and item as @polkadot/api names them); items the metadata lacks are skipped. */
export type PutStorage = (pallet: string, item: string, args: unknown[], value: unknown) => void;

/**
 * Every subnet's items at block `n`: hyperparameters, neurons, last updates, weight commits, weights
 * and commitments. `driftedWeights` stores each weight as a triple (the synthetic metadata's drifted `Weights` layout).
 */
export function putSubtensorState(put: PutStorage, store: LocalChainStore, n: number, driftedWeights: boolean): void {
  for (const subnet of store.subnets()) {
    const netuid = subnet.netuid;
    const neurons = store.neurons(netuid, n);
    put('subtensorModule', 'networksAdded', [netuid], true);
    put('subtensorModule', 'subnetworkN', [netuid], neurons.length);
    put('subtensorModule', 'tempo', [netuid], subnet.tempo);
    put('subtensorModule', 'weightsSetRateLimit', [netuid], subnet.weightsRateLimit);
    put('subtensorModule', 'weightsVersionKey', [netuid], subnet.weightsVersionKey);
    put('subtensorModule', 'commitRevealWeightsEnabled', [netuid], subnet.commitRevealEnabled);
    put('subtensorModule', 'revealPeriodEpochs', [netuid], subnet.revealPeriodEpochs);
    put('subtensorModule', 'maxAllowedUids', [netuid], subnet.maxAllowedUids);
    put('subtensorModule', 'minAllowedWeights', [netuid], subnet.minAllowedWeights);
    put('subtensorModule', 'maxWeightsLimit', [netuid], subnet.maxWeightsLimit);
    const lastUpdates = store.lastUpdates(netuid, n);
    put(
      'subtensorModule',
      'lastUpdate',
      [netuid],
      neurons.map((x) => lastUpdates.get(x.uid) ?? 0),
    );
    for (const neuron of neurons) {
      put('subtensorModule', 'keys', [netuid, neuron.uid], neuron.hotkey);
      put('subtensorModule', 'uids', [netuid, neuron.hotkey], neuron.uid);
      const commits = store.weightCommits(netuid, neuron.hotkey, n);
      if (commits.length) {
        put(
          'subtensorModule',
          'weightCommits',
          [netuid, neuron.hotkey],
          commits.map((c) => [c.hash, c.commitBlock, c.firstRevealBlock, c.lastRevealBlock]),
        );
      }
    }
    for (const w of store.weights(netuid, n)) put('subtensorModule', 'weights', [netuid, w.uid], driftedWeights ? w.weights.map((p) => [...p, 0]) : w.weights);
    for (const c of store.commitments(netuid, n)) {
      put('commitments', 'commitmentOf', [netuid, c.hotkey], {
        deposit: 0,
        block: c.block,
        info: { fields: [{ [`Raw${c.data.length}`]: u8aToHex(c.data) }] },
      });
      put('commitments', 'lastCommitment', [netuid, c.hotkey], c.block);
    }
  }
}
