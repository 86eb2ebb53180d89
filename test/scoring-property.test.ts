/**
 * Property tests: the fast winner search must pick exactly the same winner as the plain
 * enumeration of docs/original.md §8.5 for every subset, on inputs full of ties, duplicates, equal and
 * missing blocks and missing scores/thresholds.
 */
import test from 'ava';
import fc from 'fast-check';
import {
  computeThresholds,
  computeWeights,
  findSubsetWinners,
  findSubsetWinnersReference,
  UNKNOWN_FIRST_BLOCK,
  weightsToU16,
  type SubsetWeightScheme,
  type WinnersInput,
} from '../src/scoring/index.ts';

/** Few distinct values, so ties and exact-threshold hits are common; plus arbitrary doubles. */
const scoreArb = fc.oneof(
  fc.constantFrom(0, 0.02, 0.1, 0.5, 0.52, 0.6, 0.62, 0.7, 0.9, 0.98, 1),
  fc.integer({ min: 0, max: 10 }).map((k) => k / 10),
  fc.double({ min: 0, max: 1, noNaN: true }),
);
const blockArb = fc.option(fc.constantFrom(1, 2, 3, 5, UNKNOWN_FIRST_BLOCK), { nil: undefined });
const schemeArb = fc.constantFrom<SubsetWeightScheme>('linear', 'exponential', 'equal');

interface Case {
  input: WinnersInput;
}

function caseArb(maxMiners: number, maxEnvs: number): fc.Arbitrary<Case> {
  return fc
    .record({
      envCount: fc.integer({ min: 0, max: maxEnvs }),
      uids: fc.uniqueArray(fc.integer({ min: 0, max: 300 }), { maxLength: maxMiners }),
      thresholdMode: fc.constantFrom('computed', 'computed-odd-params', 'arbitrary'),
      seedRows: fc.array(fc.tuple(fc.array(fc.option(scoreArb, { nil: undefined, freq: 4 }), { minLength: maxEnvs, maxLength: maxEnvs }), blockArb), {
        minLength: maxMiners,
        maxLength: maxMiners,
      }),
      arbitraryThresholds: fc.array(fc.option(fc.double({ min: 0, max: 1.1, noNaN: true }), { nil: undefined }), {
        minLength: maxMiners * maxEnvs,
        maxLength: maxMiners * maxEnvs,
      }),
      duplicateOf: fc.array(fc.option(fc.nat(), { nil: undefined, freq: 2 }), { minLength: maxMiners, maxLength: maxMiners }),
      sampleCount: fc.constantFrom(0, 1, 10, 50),
      zScore: fc.constantFrom(0, 1.5, 3),
      minGap: fc.constantFrom(0, 0.02),
      scheme: schemeArb,
    })
    .map((c) => {
      const environments = Array.from({ length: c.envCount }, (_, i) => `env${i}`);
      const rows = c.uids.map((_, i) => {
        // Some miners copy another miner's scores (sybils / exact ties).
        const copy = c.duplicateOf[i];
        return c.seedRows[copy !== undefined && c.uids.length > 0 ? copy % c.uids.length : i]![0];
      });
      const scores = new Map(
        c.uids.map((uid, i) => [uid, new Map(environments.flatMap((env, j) => (rows[i]![j] === undefined ? [] : [[env, rows[i]![j]!] as [string, number]])))]),
      );
      let thresholds: Map<number, Map<string, number>>;
      if (c.thresholdMode === 'arbitrary') {
        thresholds = new Map(
          c.uids.map((uid, i) => [
            uid,
            new Map(
              environments.flatMap((env, j) => {
                const v = c.arbitraryThresholds[i * maxEnvs + j];
                return v === undefined ? [] : [[env, v] as [string, number]];
              }),
            ),
          ]),
        );
      } else {
        const params = c.thresholdMode === 'computed' ? { zScore: 1.5, minGap: 0.02, maxGap: 0.1 } : { zScore: c.zScore, minGap: c.minGap, maxGap: 0.1 };
        thresholds = computeThresholds(scores, c.sampleCount, params);
      }
      const firstBlocks = new Map<number, number>();
      c.uids.forEach((uid, i) => {
        const block = c.seedRows[i]![1];
        if (block !== undefined) firstBlocks.set(uid, block);
      });
      return { input: { uids: c.uids, environments, scores, thresholds, firstBlocks, subsetWeight: c.scheme } };
    });
}

function assertSame(input: WinnersInput): void {
  const fast = findSubsetWinners(input);
  const reference = findSubsetWinnersReference(input);
  for (let s = 0; s < reference.winners.length; s++) {
    if (fast.winners[s] !== reference.winners[s]) {
      throw new Error(`subset ${s.toString(2)}: fast winner ${fast.winners[s]}, reference ${reference.winners[s]}`);
    }
  }
  if (fast.winners.length !== reference.winners.length) throw new Error('winner tables differ in length');
  const a = JSON.stringify([...fast.points]);
  const b = JSON.stringify([...reference.points]);
  if (a !== b) throw new Error(`points differ: ${a} vs ${b}`);
}

test('fast winners == enumeration: small cases (M ≤ 8, E ≤ 5)', (t) => {
  fc.assert(
    fc.property(caseArb(8, 5), ({ input }) => assertSame(input)),
    { numRuns: 5000 },
  );
  t.pass();
});

test('fast winners == enumeration: wider cases (M ≤ 40, E ≤ 8)', (t) => {
  fc.assert(
    fc.property(caseArb(40, 8), ({ input }) => assertSame(input)),
    { numRuns: 400 },
  );
  t.pass();
});

test('fast winners == enumeration: many same-block miners with few distinct scores (zeta path)', (t) => {
  // Many equal blocks force wide candidate searches with many killer masks.
  const arb = fc.record({
    envCount: fc.integer({ min: 3, max: 8 }),
    rows: fc.array(fc.tuple(fc.array(fc.constantFrom(0, 0.3, 0.5, 0.7, 1), { minLength: 8, maxLength: 8 }), fc.constantFrom(1, 2)), {
      minLength: 2,
      maxLength: 30,
    }),
  });
  fc.assert(
    fc.property(arb, ({ envCount, rows }) => {
      const environments = Array.from({ length: envCount }, (_, i) => `e${i}`);
      const scores = new Map(rows.map(([row], uid) => [uid, new Map(environments.map((env, j) => [env, row[j]!]))]));
      assertSame({
        uids: rows.map((_, uid) => uid),
        environments,
        scores,
        thresholds: computeThresholds(scores, 50, { zScore: 1.5, minGap: 0.02, maxGap: 0.1 }),
        firstBlocks: new Map(rows.map(([, block], uid) => [uid, block])),
      });
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('computeWeights invariants: weights sum to 1, u16 to 65535, points = awarded subset points', (t) => {
  const arb = fc.record({
    envCount: fc.integer({ min: 0, max: 6 }),
    miners: fc.uniqueArray(
      fc.record({
        uid: fc.integer({ min: 0, max: 500 }),
        firstBlock: fc.option(fc.integer({ min: 0, max: 20 }), { nil: null }),
        scores: fc.array(fc.option(scoreArb), { minLength: 6, maxLength: 6 }),
      }),
      { selector: (m) => m.uid, minLength: 1, maxLength: 30 },
    ),
    temperature: fc.double({ min: 0.05, max: 20, noNaN: true }),
  });
  fc.assert(
    fc.property(arb, ({ envCount, miners, temperature }) => {
      const environments = Array.from({ length: envCount }, (_, i) => `e${i}`);
      const result = computeWeights({
        environments,
        episodesPerEnv: 50,
        params: { temperature },
        miners: miners.map((m) => ({
          uid: m.uid,
          firstBlock: m.firstBlock,
          scores: Object.fromEntries(environments.flatMap((env, j) => (m.scores[j] === null ? [] : [[env, m.scores[j]!]]))),
        })),
      });
      const weightSum = Object.values(result.weights).reduce((a, b) => a + b, 0);
      if (Math.abs(weightSum - 1) > 1e-9) throw new Error(`weights sum to ${weightSum}`);
      if (result.weightsU16.values.reduce((a, b) => a + b, 0) !== 65535) throw new Error('u16 values do not sum to 65535');
      const pointSum = Object.values(result.points).reduce((a, b) => a + b, 0);
      const { pointsAvailable, unclaimed, miners: explained } = result.explanation;
      if (pointSum !== pointsAvailable - unclaimed.points) throw new Error('points do not add up');
      const subsetsWon = explained.reduce((a, m) => a + m.subsetsWon, 0);
      if (subsetsWon + unclaimed.subsets !== 2 ** envCount - 1) throw new Error('subset counts do not add up');
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('exact u16: sums to 65535, every value is floor or ceil of its quota, independent of entry order', (t) => {
  const arb = fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e6, noNaN: true }))), {
    selector: ([uid]) => uid,
    minLength: 1,
    maxLength: 300,
  });
  fc.assert(
    fc.property(arb, (entries) => {
      const out = weightsToU16(new Map(entries));
      if (out.values.reduce((a, b) => a + b, 0) !== 65535) throw new Error('sum is not 65535');
      const sum = entries.reduce((a, [, w]) => a + w, 0);
      const byUid = new Map(entries);
      out.uids.forEach((uid, i) => {
        const quota = sum === 0 ? 65535 / entries.length : (byUid.get(uid)! / sum) * 65535;
        if (out.values[i]! < Math.floor(quota) || out.values[i]! > Math.floor(quota) + 1) throw new Error(`uid ${uid}: ${out.values[i]} vs quota ${quota}`);
      });
      const reversed = weightsToU16(new Map([...entries].reverse()));
      if (JSON.stringify(reversed) !== JSON.stringify(out)) throw new Error('depends on entry order');
    }),
    { numRuns: 500 },
  );
  t.pass();
});
