/** The appliance's in-process validator: weights from the store, log in the same database, metrics counted. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Store } from '../src/store/index.ts';
import { LocalChain } from '../src/chain/local-chain.ts';
import { ManualClock } from '../src/chain/clock.ts';
import { devKeys } from '../src/chain/testing/harness.ts';
import { latestWeightsFromStore, startInProcessValidator } from '../src/validator/in-process.ts';

test('published weights in the store reach the chain once; outcomes are counted', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kinitro-inproc-'));
  const store = Store.open(path.join(dir, 'k.sqlite'));
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'), { autoAdvance: false });
  try {
    const chain = await LocalChain.open(store.db, { clock });
    chain.ensureSubnet(1, { weightsRateLimit: 5 });
    const keys = await devKeys();
    for (const k of [keys.alice, keys.bob]) void chain.registerHotkey(1, k.address, { wait: false });
    clock.advance(12_000);
    t.is(latestWeightsFromStore(store), null);

    const cycle = store.cycles.start({ blockNumber: 7, blockHash: '0xabc', envIds: ['metaworld/reach-v3'], episodesPerEnv: 1 });
    store.results.save(cycle.id, {
      blockNumber: 7,
      scores: [],
      weights: { '0': 0.8, '1': 0.2 },
      weightsU16: { uids: [0, 1], values: [52428, 13107] },
      points: {},
      explanation: null,
    });
    t.like(latestWeightsFromStore(store), { cycle_id: cycle.id, block_number: 7, weights_u16: { uids: [0, 1], values: [52428, 13107] } });

    const counted: string[] = [];
    const running = await startInProcessValidator({
      store,
      chain,
      netuid: 1,
      hotkey: keys.alice,
      clock,
      metrics: { weightSubmissions: { inc: ({ outcome }) => counted.push(outcome) } },
    });
    // Drive time until the loop has applied the weights (the loop and inclusion both wait on the clock).
    for (let i = 0; i < 200 && running.lastSubmission().lastOutcome?.kind !== 'applied'; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(1_000);
    }
    t.is(running.lastSubmission().lastOutcome?.kind, 'applied');
    t.deepEqual((await chain.weights(1))[0]!.weights, [
      { uid: 0, value: 65535 },
      { uid: 1, value: 16384 },
    ]);
    for (let i = 0; i < 100 && running.lastSubmission().lastOutcome?.kind !== 'up-to-date'; i++) {
      await new Promise((r) => setImmediate(r));
      clock.advance(10_000);
    }
    t.is(running.lastSubmission().lastOutcome?.kind, 'up-to-date');
    t.deepEqual(counted, ['applied']);
    await running.stop();
    t.false(running.lastSubmission().running);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
