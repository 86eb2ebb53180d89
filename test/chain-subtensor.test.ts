/**
 * SubtensorChain against the in-memory provider and our synthetic metadata: wire bytes, storage keys,
 * signatures with Subtensor's transaction extensions, tip encoding, error mapping, the refuse-to-sign
 * guard, timelocked-only runtimes and deadlines. Expected bytes are derived by hand from the runtime's
 * documented layout (pallet/call indices, SCALE), not from @polkadot/api.
 */
import test from 'ava';
import { ApiPromise } from '@polkadot/api';
import { u8aToHex, stringToU8a, u8aConcat } from '@polkadot/util';
import { blake2AsU8a, decodeAddress, xxhashAsU8a } from '@polkadot/util-crypto';
import { ChainModuleError, ChainTimeoutError, UnsupportedRuntimeError, isTransientChainError } from '../src/chain/errors.ts';
import { extensionProblems } from '../src/chain/extensions.ts';
import { buildSyntheticMetadata } from '../src/chain/testing/synthetic-metadata.ts';
import { memorySubtensorHarness } from '../src/chain/testing/harness.ts';

const twox128 = (s: string) => xxhashAsU8a(stringToU8a(s), 128);

test('call bytes match the runtime layout (SubtensorModule=7, Commitments=18)', async (t) => {
  const h = await memorySubtensorHarness();
  try {
    const api = h.subtensor.polkadotApi;
    t.is(api.tx.subtensorModule.setWeights(1, [0, 1], [65535, 21845], 7).method.toHex(), '0x07000100080000010008ffff55550700000000000000');
    // set_commitment(1, {fields: [Raw5("hello")]}): call 18/0, netuid LE, one field, 0x06 = Raw5, bytes
    t.is(api.tx.commitments.setCommitment(1, { fields: [{ Raw5: u8aToHex(stringToU8a('hello')) }] }).method.toHex(), '0x12000100040668656c6c6f');
    const hash = `0x${'ab'.repeat(32)}`;
    t.is(api.tx.subtensorModule.commitWeights(1, hash).method.toHex(), `0x07600100${'ab'.repeat(32)}`);
    // reveal_weights(netuid 2, uids [3], values [4], salt [5, 6], version_key 9): call 7/97 (0x61)
    t.is(
      api.tx.subtensorModule.revealWeights(2, [3], [4], [5, 6], 9).method.toHex(),
      `0x0761${'0200'}${'04'}${'0300'}${'04'}${'0400'}${'08'}${'0500'}${'0600'}${'0900000000000000'}`,
    );
  } finally {
    await h.close();
  }
});

test('storage keys are the hand-derived hashes', async (t) => {
  const h = await memorySubtensorHarness();
  try {
    const q = h.subtensor.polkadotApi.query;
    const bob = decodeAddress(h.keys.bob.address);
    const alice = decodeAddress(h.keys.alice.address);
    t.is(q.subtensorModule.subnetworkN.key(1), u8aToHex(u8aConcat(twox128('SubtensorModule'), twox128('SubnetworkN'), new Uint8Array([1, 0]))));
    t.is(q.subtensorModule.keys.key(1, 3), u8aToHex(u8aConcat(twox128('SubtensorModule'), twox128('Keys'), new Uint8Array([1, 0, 3, 0]))));
    t.is(
      q.subtensorModule.uids.key(1, h.keys.alice.address),
      u8aToHex(u8aConcat(twox128('SubtensorModule'), twox128('Uids'), new Uint8Array([1, 0]), blake2AsU8a(alice, 128), alice)),
    );
    t.is(
      q.commitments.commitmentOf.key(1, h.keys.bob.address),
      u8aToHex(u8aConcat(twox128('Commitments'), twox128('CommitmentOf'), new Uint8Array([1, 0]), xxhashAsU8a(bob, 64), bob)),
    );
  } finally {
    await h.close();
  }
});

test('extrinsics are signed over the payload with the compact tip of ChargeTransactionPaymentWrapper', async (t) => {
  const h = await memorySubtensorHarness();
  try {
    await h.chain.setWeights(h.netuid, h.keys.alice, { uids: [0, 1], values: [10, 20], versionKey: 0 });
    await h.advanceBlocks(5);
    await h.chain.setWeights(h.netuid, h.keys.alice, { uids: [1], values: [3], versionKey: 0 });
    t.is(h.provider.submitted.length, 2);
    // The provider parsed each one by hand and verified its signature before dispatching it.
    const [first, second] = h.provider.submitted.map((hex) => h.provider.parseAndVerify(hex));
    t.is(first!.signer, h.keys.alice.address);
    t.is(first!.nonce, 0);
    t.is(second!.nonce, 1);
    t.is(first!.tip, 0n);
    t.is(first!.era.length, 2, 'mortal era');
    t.is(u8aToHex(first!.call), h.subtensor.polkadotApi.tx.subtensorModule.setWeights(1, [0, 1], [10, 20], 0).method.toHex());
    const decoded = h.subtensor.polkadotApi.createType('Extrinsic', h.provider.submitted[0]);
    t.is(decoded.method.section, 'subtensorModule');
    t.is(decoded.method.method, 'setWeights');
    t.is(decoded.era.asMortalEra.period.toNumber(), 64);

    // The pitfall itself: @polkadot/api without our extension table treats the wrapper as carrying
    // nothing, leaves the tip out, and the node refuses the transaction.
    const naive = await ApiPromise.create({ provider: h.provider, noInitWarn: true });
    const naiveTx = naive.tx.subtensorModule.setWeights(1, [1], [2], 0);
    await naiveTx.signAsync(h.keys.alice, { nonce: 2, era: 64 });
    t.throws(() => h.provider.parseAndVerify(naiveTx.toHex()), { message: /1010: Invalid Transaction/ });
    t.is(naiveTx.encodedLength + 1, (await signed(h, 2)).encodedLength, 'exactly one byte (the compact zero tip) is missing');
    // (not disconnected: it shares the provider with the client under test)

    // A non-zero tip lands in the tip position and is covered by the signature.
    const tx = h.subtensor.polkadotApi.tx.subtensorModule.setWeights(1, [1], [1], 0);
    await tx.signAsync(h.keys.alice, { nonce: 2, era: 64, tip: 5 });
    t.is(h.provider.parseAndVerify(tx.toHex()).tip, 5n);
  } finally {
    await h.close();
  }
});

/** The same call signed by the client under test (with Subtensor's extension table); it must verify. */
async function signed(h: Awaited<ReturnType<typeof memorySubtensorHarness>>, nonce: number) {
  const tx = h.subtensor.polkadotApi.tx.subtensorModule.setWeights(1, [1], [2], 0);
  await tx.signAsync(h.keys.alice, { nonce, era: 64 });
  h.provider.parseAndVerify(tx.toHex());
  return tx;
}

test('an older runtime (spec 218 extensions) signs and submits too', async (t) => {
  const h = await memorySubtensorHarness({ metadata: { extensions: 'spec218' } });
  try {
    t.is(h.subtensor.polkadotApi.runtimeVersion.specVersion.toNumber(), 218);
    const receipt = await h.chain.setCommitment(h.netuid, h.keys.bob, 'user/policy:abc12345:some-deployment');
    const snap = await h.chain.snapshot(h.netuid);
    t.is(snap.commitments[0]!.block, receipt.block);
    t.is(h.provider.parseAndVerify(h.provider.submitted[0]!).signer, h.keys.bob.address);
  } finally {
    await h.close();
  }
});

test('module errors are named from the metadata and are not transient', async (t) => {
  const h = await memorySubtensorHarness();
  try {
    await h.chain.setWeights(h.netuid, h.keys.alice, { uids: [0], values: [1], versionKey: 0 });
    const err = await t.throwsAsync(h.chain.setWeights(h.netuid, h.keys.alice, { uids: [0], values: [1], versionKey: 0 }));
    t.true(err instanceof ChainModuleError);
    t.is((err as ChainModuleError).qualifiedName, 'SubtensorModule.SettingWeightsTooFast');
    t.regex(err!.message, /WeightsSetRateLimit/);
    t.false(isTransientChainError(err));
    const commitErr = await t.throwsAsync(h.chain.setCommitment(h.netuid, h.keys.charlie, 'a/b:c:d'));
    t.is((commitErr as ChainModuleError).qualifiedName, 'Commitments.AccountNotAllowedCommit');
  } finally {
    await h.close();
  }
});

test('signing is refused when the runtime has an unknown extension that carries data; reads still work', async (t) => {
  const h = await memorySubtensorHarness({ metadata: { extraExtensions: [{ identifier: 'NewFancyExtension', carriesData: true }] } });
  try {
    const snap = await h.chain.snapshot(h.netuid);
    t.is(snap.neurons.length, 2);
    const err = await t.throwsAsync(h.chain.setWeights(h.netuid, h.keys.alice, { uids: [0], values: [1], versionKey: 0 }));
    t.true(err instanceof UnsupportedRuntimeError);
    t.regex(err!.message, /NewFancyExtension/);
    t.is(h.provider.submitted.length, 0);
  } finally {
    await h.close();
  }
});

test('an unknown extension without data is harmless', async (t) => {
  const h = await memorySubtensorHarness({ metadata: { extraExtensions: [{ identifier: 'SomeMarker', carriesData: false }] } });
  try {
    await h.chain.setWeights(h.netuid, h.keys.alice, { uids: [0], values: [1], versionKey: 0 });
    t.is(h.provider.submitted.length, 1);
  } finally {
    await h.close();
  }
});

test('the guard also catches a declared extension whose runtime type disagrees with our table', (t) => {
  const ok = buildSyntheticMetadata();
  t.deepEqual(extensionProblems(ok.metadata), []);
  const old = buildSyntheticMetadata({ extensions: 'spec218' });
  t.deepEqual(extensionProblems(old.metadata), []);
  const mismatch = buildSyntheticMetadata({ extensions: 'spec218', extraExtensions: [{ identifier: 'DrandPriority', carriesData: true }] });
  const problems = extensionProblems(mismatch.metadata);
  t.is(problems.length, 1);
  t.regex(problems[0]!, /^DrandPriority: declared as carrying nothing/);
});

test('a runtime without hash-based commit-reveal reports timelocked-only and refuses commits', async (t) => {
  const h = await memorySubtensorHarness({ hyperparams: { commitRevealEnabled: true }, metadata: { withoutHashCommitReveal: true } });
  try {
    t.is((await h.chain.snapshot(h.netuid)).commitReveal, 'timelocked-only');
    t.is((await h.chain.validatorView(h.netuid, h.keys.alice.address)).commitReveal, 'timelocked-only');
    const err = await t.throwsAsync(h.chain.commitWeights(h.netuid, h.keys.alice, `0x${'11'.repeat(32)}`));
    t.true(err instanceof UnsupportedRuntimeError);
    t.regex(err!.message, /timelocked/);
  } finally {
    await h.close();
  }
});

test('a node that stops answering hits the call deadline; reconnect restores service', async (t) => {
  const h = await memorySubtensorHarness({ subtensor: { callTimeoutMs: 300 } });
  try {
    h.provider.stalled = true;
    const started = Date.now();
    const err = await t.throwsAsync(h.chain.head());
    t.true(err instanceof ChainTimeoutError);
    t.true(isTransientChainError(err));
    t.true(Date.now() - started < 5_000);
    h.provider.stalled = false;
    await h.chain.reconnect();
    t.is((await h.chain.head()).number, h.local.headNumber());
  } finally {
    await h.close();
  }
});

test('repeated deadlines rebuild the connection in the background', async (t) => {
  const h = await memorySubtensorHarness({ subtensor: { callTimeoutMs: 200, connectTimeoutMs: 1_000 } });
  try {
    const inits = () => h.provider.requests.filter((r) => r === 'rpc_methods').length;
    t.is(inits(), 1);
    h.provider.stalled = true;
    for (let i = 0; i < 3; i++) await t.throwsAsync(h.chain.head(), { instanceOf: ChainTimeoutError });
    h.provider.stalled = false;
    const deadline = Date.now() + 15_000;
    let head: number | null = null;
    while (head === null && Date.now() < deadline) {
      head = await h.chain.head().then(
        (b) => b.number,
        () => null,
      );
      if (head === null) await new Promise((r) => setTimeout(r, 50));
    }
    t.is(head, h.local.headNumber());
    t.true(inits() >= 2, 'a new API was initialised');
  } finally {
    await h.close();
  }
});

test('concurrent reconnects share one rebuild (no second connection left open)', async (t) => {
  const h = await memorySubtensorHarness();
  try {
    const inits = () => h.provider.requests.filter((r) => r === 'rpc_methods').length;
    t.is(inits(), 1);
    const first = h.chain.reconnect();
    const second = h.chain.reconnect();
    t.is(first, second);
    await Promise.all([first, second]);
    t.is(inits(), 2, 'one new API, not two');
    t.is((await h.chain.head()).number, h.local.headNumber());
  } finally {
    await h.close();
  }
});

test('snapshot reads neurons, commitments and hyperparameters pinned at one block', async (t) => {
  const h = await memorySubtensorHarness({ hyperparams: { weightsVersionKey: 12, maxAllowedUids: 64 } });
  try {
    await h.chain.setCommitment(h.netuid, h.keys.alice, '{"t":"pk","k":"' + 'a'.repeat(64) + '"}');
    const before = await h.chain.head();
    await h.chain.setCommitment(h.netuid, h.keys.bob, 'user/policy:abc12345:dep-1');
    const pinned = await h.chain.snapshot(h.netuid, before);
    t.is(pinned.block, before.number);
    t.deepEqual(
      pinned.commitments.map((c) => c.uid),
      [0],
      'the later commitment is not visible at the earlier block',
    );
    const latest = await h.chain.snapshot(h.netuid);
    t.deepEqual(
      latest.commitments.map((c) => c.uid),
      [0, 1],
    );
    t.is(latest.hyperparams.weightsVersionKey, 12);
    t.is(latest.hyperparams.maxAllowedUids, 64);
    t.is(await h.chain.chainId(), h.provider.hashOf(0));
  } finally {
    await h.close();
  }
});
