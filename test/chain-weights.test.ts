import test from 'ava';
import { checkWeightsVector, commitHashV2, epochIndex, maxUpscaleU16, randomSalt, rateLimitAllows, revealWindow } from '../src/chain/weights.ts';

test('CR-v2 commit hash equals an independent blake2b-256 over the SCALE fields (Python oracle)', (t) => {
  // hashlib.blake2b(bytes(range(32)) + <u16 1> + vec[0,1] + vec[65535,32768] + vec[1..8] + <u64 7>, digest_size=32)
  const hash = commitHashV2({
    hotkey: Uint8Array.from({ length: 32 }, (_, i) => i),
    netuidIndex: 1,
    uids: [0, 1],
    values: [65535, 32768],
    salt: [1, 2, 3, 4, 5, 6, 7, 8],
    versionKey: 7,
  });
  t.is(hash, '0x97681357d0164954df2c799d6565302b1baa4011e1ce16199be7cfa31c5b7e4d');
});

test('the reveal window matches the runtime-218 observation (tempo 4, netuid 1: commit 20 → blocks 23–27)', (t) => {
  t.deepEqual(revealWindow(20, 1, { tempo: 4, revealPeriodEpochs: 1 }), { revealEpoch: 5, firstBlock: 23, lastBlock: 27 });
  t.is(epochIndex(22, 1, 4), 4);
  t.is(epochIndex(23, 1, 4), 5);
  t.is(epochIndex(27, 1, 4), 5);
  t.is(epochIndex(28, 1, 4), 6);
  t.deepEqual(revealWindow(20, 1, { tempo: 4, revealPeriodEpochs: 2 }), { revealEpoch: 6, firstBlock: 28, lastBlock: 32 });
});

test('maxUpscaleU16 reproduces the chain fixed-point results', (t) => {
  t.deepEqual(maxUpscaleU16([30000, 10000]), [65535, 21845]);
  t.deepEqual(maxUpscaleU16([49151, 16383]), [65535, 21844]);
  t.deepEqual(maxUpscaleU16([65535, 21845]), [65535, 21845]);
  t.deepEqual(maxUpscaleU16([1]), [65535]);
  t.deepEqual(maxUpscaleU16([0, 0]), [0, 0]);
  t.deepEqual(maxUpscaleU16([]), []);
  t.deepEqual(maxUpscaleU16([21845, 21845, 21845]), [65535, 65535, 65535]);
  for (const v of [maxUpscaleU16([3, 7, 11]), maxUpscaleU16([40000, 123, 39999])]) t.is(Math.max(...v), 65535);
});

test('rate limit rule: never set, or limit blocks passed', (t) => {
  t.true(rateLimitAllows(0, 5, 100));
  t.false(rateLimitAllows(10, 109, 100));
  t.true(rateLimitAllows(10, 110, 100));
});

test('weight vector checks mirror the runtime', (t) => {
  const hp = { minAllowedWeights: 2, maxWeightsLimit: 65535 };
  t.is(checkWeightsVector({ uids: [0, 1], values: [1], selfUid: 0, subnetN: 3, hyperparams: hp }), 'WeightVecNotEqualSize');
  t.is(checkWeightsVector({ uids: [0, 0], values: [1, 1], selfUid: 0, subnetN: 3, hyperparams: hp }), 'DuplicateUids');
  t.is(checkWeightsVector({ uids: [0, 3], values: [1, 1], selfUid: 0, subnetN: 3, hyperparams: hp }), 'UidVecContainInvalidOne');
  t.is(checkWeightsVector({ uids: [1], values: [1], selfUid: 0, subnetN: 3, hyperparams: hp }), 'WeightVecLengthIsLow');
  t.is(checkWeightsVector({ uids: [0], values: [1], selfUid: 0, subnetN: 3, hyperparams: hp }), null, 'a self-weight is always allowed');
  t.is(
    checkWeightsVector({ uids: [0, 1], values: [9, 1], selfUid: 2, subnetN: 3, hyperparams: { minAllowedWeights: 0, maxWeightsLimit: 32768 } }),
    'MaxWeightExceeded',
  );
  t.is(checkWeightsVector({ uids: [0, 1, 2, 3], values: [1, 1, 1, 1], selfUid: 0, subnetN: 3, hyperparams: hp }), 'UidsLengthExceedUidsInSubNet');
});

test('salts are eight u16 values and differ between calls', (t) => {
  const a = randomSalt();
  t.is(a.length, 8);
  t.true(a.every((v) => Number.isInteger(v) && v >= 0 && v <= 65535));
  t.notDeepEqual(a, randomSalt());
});
