/**
 * Decoding follows the runtime's metadata: every item kinitro reads or sends is checked against the
 * shape it expects. A runtime whose layout drifted is refused by name (never misread); one that lacks
 * what a command needs is refused before it runs; the same checks pass for the synthetic metadata and
 * for the metadata captured from runtime spec 218.
 */
import test, { type ExecutionContext } from 'ava';
import { TypeRegistry } from '@polkadot/types';
import { Metadata } from '@polkadot/types/metadata';
import { UnsupportedRuntimeError } from '../src/chain/errors.ts';
import { SUBTENSOR_SIGNED_EXTENSIONS } from '../src/chain/extensions.ts';
import { checkRuntimeSchema, problemsFor } from '../src/chain/runtime-schema.ts';
import { capturedMetadataHex } from '../src/chain/testing/captured-metadata.ts';
import { memorySubtensorHarness } from '../src/chain/testing/harness.ts';
import { buildSyntheticMetadata, type SyntheticMetadataOptions } from '../src/chain/testing/synthetic-metadata.ts';

function report(hex: `0x${string}`) {
  const registry = new TypeRegistry();
  const metadata = new Metadata(registry, hex);
  registry.setMetadata(metadata, undefined, SUBTENSOR_SIGNED_EXTENSIONS, true);
  return checkRuntimeSchema(metadata, registry, { specName: 'node-subtensor', specVersion: 999 });
}

test('the captured spec 218 metadata and the synthetic metadata have every item kinitro needs, in the shapes it reads', (t) => {
  for (const hex of [capturedMetadataHex(), buildSyntheticMetadata().hex]) {
    const r = report(hex);
    t.deepEqual(problemsFor(r, ['read', 'discover', 'commit', 'validate']), []);
    t.deepEqual(
      [...r.items].filter(([, v]) => v.state === 'mismatch'),
      [],
    );
  }
  // What differs between them is what a runtime may or may not have.
  const spec218 = report(capturedMetadataHex()).items;
  t.is(spec218.get('call SubtensorModule.commit_timelocked_weights')!.state, 'missing');
  t.is(spec218.get('storage SubtensorModule.CommitRevealWeightsVersion')!.state, 'missing');
  t.is(spec218.get('call SubtensorModule.commit_weights')!.state, 'ok');
  const current = report(buildSyntheticMetadata({ timelock: { version: 4 } }).hex).items;
  t.is(current.get('call SubtensorModule.commit_timelocked_weights')!.state, 'ok');
  t.is(current.get('storage SubtensorModule.TimelockedWeightCommits')!.state, 'ok');
});

test('a changed layout is named with both shapes', (t) => {
  const r = report(buildSyntheticMetadata({ driftedWeights: true }).hex);
  t.deepEqual(r.items.get('storage SubtensorModule.Weights'), {
    state: 'mismatch',
    found: '[uint,uint] → Vec<(uint,uint,uint)>',
    expected: '[uint,uint] → Vec<(uint,uint)>',
  });
  t.deepEqual(problemsFor(r, ['validate']), [
    'storage SubtensorModule.Weights is [uint,uint] → Vec<(uint,uint,uint)>, kinitro needs [uint,uint] → Vec<(uint,uint)>',
  ]);
  t.deepEqual(problemsFor(r, ['discover']), [], 'discovery does not read Weights');
});

async function harness(t: ExecutionContext, metadata: SyntheticMetadataOptions) {
  const h = await memorySubtensorHarness({ metadata });
  t.teardown(() => h.close());
  return h;
}

test('reading a drifted item is refused with the runtime and the item named, never misread', async (t) => {
  const h = await harness(t, { driftedWeights: true });
  await h.local.setWeights(h.netuid, h.keys.alice, { uids: [0, 1], values: [3, 1], versionKey: 0 });
  const err = await t.throwsAsync(h.subtensor.weights(h.netuid), { instanceOf: UnsupportedRuntimeError });
  t.regex(
    err!.message,
    /runtime node-subtensor\/425: storage SubtensorModule\.Weights is \[uint,uint\] → Vec<\(uint,uint,uint\)>, but kinitro reads \[uint,uint\] → Vec<\(uint,uint\)>/,
  );
  // Everything else keeps working.
  t.is((await h.subtensor.snapshot(h.netuid)).neurons.length, 2);
  t.throws(() => h.subtensor.requireRuntime(['validate']), {
    instanceOf: UnsupportedRuntimeError,
    message: /cannot be used for validate: storage SubtensorModule\.Weights/,
  });
  t.notThrows(() => h.subtensor.requireRuntime(['discover', 'commit']));
});

test('a runtime without set_weights or LastUpdate is refused for validating, with every missing item named', async (t) => {
  const h = await harness(t, { withoutCalls: ['set_weights'], withoutStorage: ['LastUpdate'] });
  const err = t.throws(() => h.subtensor.requireRuntime(['validate']), { instanceOf: UnsupportedRuntimeError });
  t.is(
    err!.message,
    'runtime node-subtensor/425 cannot be used for validate: storage SubtensorModule.LastUpdate is missing; call SubtensorModule.set_weights is missing',
  );
  t.deepEqual(h.subtensor.runtime(), { specName: 'node-subtensor', specVersion: 425 });
  await t.throwsAsync(h.subtensor.setWeights(h.netuid, h.keys.alice, { uids: [0], values: [1], versionKey: 0 }), {
    instanceOf: UnsupportedRuntimeError,
    message: /no SubtensorModule\.set_weights call/,
  });
});

test('a runtime that is not Subtensor (no Keys) is refused at connect', async (t) => {
  const err = await t.throwsAsync(memorySubtensorHarness({ metadata: { withoutStorage: ['Keys'] } }), { instanceOf: UnsupportedRuntimeError });
  t.regex(err!.message, /not a Subtensor runtime kinitro can read: storage SubtensorModule\.Keys is missing/);
});

test("the current runtime's timelocked commit-reveal is detected from its metadata and storage", async (t) => {
  const h = await harness(t, { timelock: { version: 4 } });
  h.local.setHyperparams(h.netuid, { commitRevealEnabled: true });
  const view = await h.subtensor.validatorView(h.netuid, h.keys.alice.address);
  t.deepEqual(view.timelock, { version: 4 });
  t.is(view.commitReveal, 'v2', 'hash commits remain available on this runtime');
  t.deepEqual(view.pendingTimelocked, []);
  const old = await harness(t, {});
  t.is((await old.subtensor.validatorView(old.netuid, old.keys.alice.address)).timelock, null, 'no CommitRevealWeightsVersion: no timelocked commits');
});
