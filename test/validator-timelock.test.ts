/**
 * The validator's opt-in timelocked commit-reveal (kept apart from validator.test.ts: the BLS pairings
 * are CPU-heavy and would hold up that file's loopback HTTP tests).
 */
import test from 'ava';
import { ChainModuleError } from '../src/chain/errors.ts';
import type { ChainClient } from '../src/chain/client.ts';
import { localHarness, type ChainHarness } from '../src/chain/testing/harness.ts';
import { Validator } from '../src/validator/validator.ts';
import { FaultyChain, weightsAt } from './helpers/validator.ts';

/**
 * The current runtime's timelocked commit-reveal, played by a wrapper around the LocalChain: it takes
 * `commit_timelocked_weights`, queues the ciphertext, and "reveals" like the chain does — decrypting
 * with a beacon of the test's own (secret key known), checking the payload's hotkey, setting the weights.
 */
class TimelockChain extends FaultyChain {
  queue: { who: string; commit: Uint8Array; round: number; commitBlock: number; epoch: number }[] = [];
  lastCommitBlock = 0;
  constructor(
    readonly h: ChainHarness,
    readonly beaconSecret: bigint,
  ) {
    super(h.chain);
  }
  override async validatorView(n: number, hotkey: string) {
    const view = await super.validatorView(n, hotkey);
    const { blake2AsHex } = await import('@polkadot/util-crypto');
    return {
      ...view,
      commitReveal: view.hyperparams.commitRevealEnabled ? ('timelocked-only' as const) : ('off' as const),
      timelock: { version: 4 },
      lastUpdate: Math.max(view.lastUpdate, this.lastCommitBlock),
      pendingTimelocked: this.queue
        .filter((c) => c.who === hotkey)
        .map((c) => ({ hash: blake2AsHex(c.commit, 256) as `0x${string}`, commitBlock: c.commitBlock, epoch: c.epoch, revealRound: c.round })),
    };
  }
  override async commitTimelockedWeights(
    _n: number,
    signer: Parameters<ChainClient['setWeights']>[1],
    p: { commit: Uint8Array; revealRound: number; version: number },
  ) {
    if (p.version !== 4) throw new ChainModuleError('SubtensorModule', 'IncorrectCommitRevealVersion');
    await this.h.advanceBlocks(1);
    const block = this.h.local.headNumber();
    this.queue.push({ who: signer.address, commit: p.commit, round: p.revealRound, commitBlock: block, epoch: 0 });
    this.lastCommitBlock = block;
    return { block, blockHash: this.h.local.blockHash(block) as `0x${string}` };
  }
  /** The chain's reveal: decrypt with the round's signature, check the hotkey, set the weights. */
  async reveal(signer: Parameters<ChainClient['setWeights']>[1], tamper = false) {
    const { tlockDecrypt, roundIdentity } = await import('../src/chain/tlock.ts');
    const { decodeAddress } = await import('@polkadot/util-crypto');
    for (const c of this.queue.splice(0)) {
      const signature = roundIdentity(c.round)
        .multiply(tamper ? this.beaconSecret + 1n : this.beaconSecret)
        .toBytes(true);
      let plain: Uint8Array;
      try {
        plain = tlockDecrypt(c.commit, signature);
      } catch {
        continue; // the chain drops what it cannot decrypt
      }
      const { TypeRegistry } = await import('@polkadot/types');
      const decoded = new TypeRegistry().createType('(Vec<u8>, Vec<u16>, Vec<u16>, u64)', plain).toJSON() as [string, number[], number[], number];
      if (decoded[0] !== `0x${Buffer.from(decodeAddress(c.who)).toString('hex')}`) continue;
      // The runtime applies revealed weights internally; the LocalChain's extrinsic path refuses
      // set_weights while commit-reveal is on, so it is switched off around the call.
      this.h.local.setHyperparams(this.h.netuid, { commitRevealEnabled: false });
      try {
        await this.h.chain.setWeights(this.h.netuid, signer, { uids: decoded[1], values: decoded[2], versionKey: Number(decoded[3]) });
      } finally {
        this.h.local.setHyperparams(this.h.netuid, { commitRevealEnabled: true });
      }
    }
  }
}

test('timelocked commit-reveal (opt-in): the weights are encrypted to a round, committed, revealed by the chain, and confirmed', async (t) => {
  const { bls12_381 } = await import('@noble/curves/bls12-381.js');
  const secret = 0x1234567890abcdefn;
  const h = await localHarness({ hyperparams: { commitRevealEnabled: true, tempo: 9 } });
  const chain = new TimelockChain(h, secret);
  try {
    const make = (timelockedCommits: boolean) =>
      new Validator({
        chain,
        netuid: 1,
        hotkey: h.keys.alice,
        weights: async () => weightsAt(100, [0, 1], [30000, 10000]),
        db: h.local.store.db,
        clock: h.clock,
        timelockedCommits,
        beaconPublicKey: bls12_381.G2.Point.BASE.multiply(secret).toBytes(true),
      });
    const refused = await make(false).tick();
    t.is(refused.kind, 'unsupported', 'without the flag a timelocked-only subnet is reported, nothing sent');
    t.regex((refused as { reason: string }).reason, /--timelocked-commits/);
    t.is(chain.queue.length, 0);

    const v = make(true);
    const committed = await v.tick();
    t.is(committed.kind, 'committed');
    t.is(chain.queue.length, 1);
    const row = v.log.recent({ chainId: await h.chain.chainId(), netuid: 1, hotkey: h.keys.alice.address }, 1)[0]!;
    t.is(row.mode, 'timelocked');
    t.is(row.revealRound, chain.queue[0]!.round);
    t.like(await v.tick(), { kind: 'reveal-wait' }, 'queued on chain: wait for the chain to reveal it');
    await h.advanceBlocks(12);
    await chain.reveal(h.keys.alice);
    t.like(await v.tick(), { kind: 'applied', sourceBlock: 100, via: 'timelocked' });
    t.deepEqual((await h.chain.weights(1))[0]!.weights, [
      { uid: 0, value: 65535 },
      { uid: 1, value: 21845 },
    ]);
    t.like(await v.tick(), { kind: 'up-to-date', sourceBlock: 100 });
  } finally {
    await h.close();
  }
});

test('timelocked commit-reveal: a commit the chain cannot open is reported, not taken for applied', async (t) => {
  const { bls12_381 } = await import('@noble/curves/bls12-381.js');
  const secret = 0x42n;
  const h = await localHarness({ hyperparams: { commitRevealEnabled: true, tempo: 9 } });
  const chain = new TimelockChain(h, secret);
  try {
    const v = new Validator({
      chain,
      netuid: 1,
      hotkey: h.keys.alice,
      weights: async () => weightsAt(100, [0, 1], [1, 1]),
      db: h.local.store.db,
      clock: h.clock,
      timelockedCommits: true,
      beaconPublicKey: bls12_381.G2.Point.BASE.multiply(secret).toBytes(true),
    });
    t.is((await v.tick()).kind, 'committed');
    await h.advanceBlocks(12);
    await chain.reveal(h.keys.alice, true);
    const outcome = await v.tick();
    t.is(outcome.kind, 'rejected');
    t.regex((outcome as { error: string }).error, /dropped the timelocked commit/);
    t.deepEqual(await h.chain.weights(1), []);
  } finally {
    await h.close();
  }
});
