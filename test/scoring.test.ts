import test from 'ava';
import {
  aggregateEpisodes,
  computeEpsilon,
  computeThresholds,
  computeWeights,
  epsilonDominates,
  findSubsetWinners,
  findSubsetWinnersReference,
  paretoFrontier,
  pointsToWeights,
  successRateTable,
  threshold,
  totalSubsetPoints,
  weightsToU16,
  weightsToU16Truncating,
  type MinerScoresInput,
  type SubsetWeightScheme,
  type WinnersInput,
} from '../src/scoring/index.ts';

const GAPS = { zScore: 1.5, minGap: 0.02, maxGap: 0.1 };
const ENVS3 = ['a/x', 'a/y', 'a/z'];

interface Row {
  uid: number;
  block?: number;
  scores: Record<string, number>;
}

/** Builds a winners input with thresholds computed as the pipeline does (n = 50). */
function winnersInput(rows: Row[], environments = ENVS3, subsetWeight: SubsetWeightScheme = 'linear'): WinnersInput {
  const scores = new Map(rows.map((r) => [r.uid, new Map(Object.entries(r.scores))]));
  return {
    uids: rows.map((r) => r.uid),
    environments,
    scores,
    thresholds: computeThresholds(scores, 50, GAPS),
    firstBlocks: new Map(rows.filter((r) => r.block !== undefined).map((r) => [r.uid, r.block!])),
    subsetWeight,
  };
}

/** Runs both implementations, checks they agree, returns the points as a plain object. */
function points(input: WinnersInput): Record<number, number> {
  const fast = findSubsetWinners(input);
  const reference = findSubsetWinnersReference(input);
  if (!fast.winners.every((w, i) => w === reference.winners[i])) throw new Error('fast and reference winners differ');
  return Object.fromEntries(fast.points);
}

const all = (v: number) => Object.fromEntries(ENVS3.map((e) => [e, v]));

// --- thresholds (docs/original.md §8.4) ---

test('threshold: binomial gap clamped to [min_gap, max_gap] and the result to 1.0', (t) => {
  t.is(threshold(0.5, 50, GAPS), 0.6); // 1.5·√(.25/50) = 0.106 → max_gap
  t.true(Math.abs(threshold(0.0, 50, GAPS) - (0 + 1.5 * Math.sqrt((0.01 * 0.99) / 50))) < 1e-15); // p clamped to 0.01
  t.true(Math.abs(threshold(0.95, 50, GAPS) - (0.95 + 1.5 * Math.sqrt((0.95 * 0.05) / 50))) < 1e-15);
  t.is(threshold(0.99, 50, GAPS), 1.0); // 0.99 + 0.021 clamps to 1
  t.is(threshold(1.0, 50, GAPS), 1.0);
  t.is(threshold(0.5, 0, GAPS), 0.6); // n ≤ 0 → max_gap
  t.is(threshold(0.3, -5, GAPS), 0.4);
  t.is(threshold(0.5, 1e9, GAPS), 0.52); // tiny se → min_gap
  t.is(threshold(0.5, 50, { zScore: 0, minGap: 0, maxGap: 0.1 }), 0.5);
});

test('computeThresholds: only for present (uid, env) entries', (t) => {
  const out = computeThresholds(
    new Map([
      [1, new Map([['a/x', 0.5]])],
      [2, new Map()],
    ]),
    50,
    GAPS,
  );
  t.deepEqual([...out.get(1)!], [['a/x', 0.6]]);
  t.is(out.get(2)!.size, 0);
});

// --- ε-Pareto (docs/original.md §8.3) ---

test('epsilon: 2·std/√n clipped to [0.01, 0.2], n ≤ 1 → 0.2', (t) => {
  t.is(computeEpsilon([0.1, 0.9], 1), 0.2);
  t.is(computeEpsilon([0.1, 0.9], 0), 0.2);
  t.is(computeEpsilon([0.5, 0.5, 0.5], 50), 0.01);
  t.true(Math.abs(computeEpsilon([0, 1], 50) - (2 * 0.5) / Math.sqrt(50)) < 1e-15); // population std 0.5
  t.is(computeEpsilon([0, 1], 4), 0.2);
});

test('epsilon dominance and frontier', (t) => {
  const eps = [0.02, 0.02];
  t.true(epsilonDominates([0.9, 0.9], [0.5, 0.5], eps));
  t.false(epsilonDominates([0.51, 0.5], [0.5, 0.5], eps)); // better only within ε
  t.false(epsilonDominates([0.9, 0.4], [0.5, 0.5], eps)); // worse than b − ε somewhere
  t.true(epsilonDominates([0.9, 0.49], [0.5, 0.5], eps)); // within ε below is still "≥ b − ε"
  t.false(epsilonDominates([0.5, 0.5], [0.5, 0.5], eps));

  const scores = new Map([
    [
      3,
      new Map([
        ['x', 0.9],
        ['y', 0.9],
      ]),
    ],
    [
      1,
      new Map([
        ['x', 0.1],
        ['y', 0.1],
      ]),
    ],
    [
      2,
      new Map([
        ['x', 0.9],
        ['y', 0.9],
      ]),
    ], // duplicate of 3: neither dominates the other
    [4, new Map([['x', 0.95]])], // y missing → 0.0: specialist, not dominated
  ]);
  const result = paretoFrontier([3, 1, 2, 4], ['x', 'y'], scores, 10_000); // large n → ε = 0.01
  t.deepEqual(result.frontier, [2, 3, 4]);
  t.deepEqual([...result.epsilons.keys()], ['x', 'y']);
  t.deepEqual(paretoFrontier([], ['x'], new Map(), 50), { frontier: [], epsilons: new Map() });
});

// --- subset winners (docs/original.md §8.5) ---

test('subset weights: LINEAR k, EXPONENTIAL 2^(k−1), EQUAL 1; E=9 LINEAR totals 2304', (t) => {
  t.is(totalSubsetPoints('linear', 9), 2304);
  t.is(totalSubsetPoints('linear', 3), 12);
  t.is(totalSubsetPoints('exponential', 3), 3 * 1 + 3 * 2 + 1 * 4);
  t.is(totalSubsetPoints('equal', 3), 7);
  for (const scheme of ['linear', 'exponential', 'equal'] as const) {
    t.deepEqual(points(winnersInput([{ uid: 5, block: 1, scores: all(0.3) }], ENVS3, scheme)), { 5: totalSubsetPoints(scheme, 3) });
  }
});

test('an exact copy of the earliest committer gets nothing', (t) => {
  const leader = { 'a/x': 0.8, 'a/y': 0.6, 'a/z': 0.7 };
  t.deepEqual(
    points(
      winnersInput([
        { uid: 9, block: 200, scores: leader },
        { uid: 4, block: 100, scores: leader },
      ]),
    ),
    { 4: 12, 9: 0 },
  );
});

test('sybils copying the leader, even slightly improved within the gap, get nothing', (t) => {
  const leader = { 'a/x': 0.8, 'a/y': 0.6, 'a/z': 0.7 };
  const nudged = { 'a/x': 0.84, 'a/y': 0.66, 'a/z': 0.75 };
  const rows: Row[] = [{ uid: 0, block: 100, scores: leader }];
  for (let i = 1; i <= 5; i++) rows.push({ uid: i, block: 100 + i, scores: i % 2 ? leader : nudged });
  t.deepEqual(points(winnersInput(rows)), { 0: 12, 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 });
});

test('equal blocks: the lower uid has priority', (t) => {
  t.deepEqual(
    points(
      winnersInput([
        { uid: 7, block: 50, scores: all(0.5) },
        { uid: 3, block: 50, scores: all(0.5) },
      ]),
    ),
    { 3: 12, 7: 0 },
  );
  // Priority is only the order of candidates: a same-block miner that clearly beats it still takes the subsets.
  t.deepEqual(
    points(
      winnersInput([
        { uid: 7, block: 50, scores: all(0.9) },
        { uid: 3, block: 50, scores: all(0.5) },
      ]),
    ),
    { 3: 0, 7: 12 },
  );
});

test('a later miner beating the earliest everywhere takes every subset', (t) => {
  t.deepEqual(
    points(
      winnersInput([
        { uid: 1, block: 10, scores: all(0.5) },
        { uid: 2, block: 20, scores: all(0.61) },
      ]),
    ),
    { 1: 0, 2: 12 },
  );
  // 0.6 is exactly the threshold: "strictly greater" is required.
  t.deepEqual(
    points(
      winnersInput([
        { uid: 1, block: 10, scores: all(0.5) },
        { uid: 2, block: 20, scores: all(0.6) },
      ]),
    ),
    { 1: 12, 2: 0 },
  );
});

test('specialists win their own single-environment subsets, the generalist keeps the rest', (t) => {
  const rows: Row[] = [
    { uid: 1, block: 10, scores: all(0.5) },
    { uid: 2, block: 20, scores: { 'a/x': 0.9, 'a/y': 0.1, 'a/z': 0.1 } },
    { uid: 3, block: 30, scores: { 'a/x': 0.1, 'a/y': 0.9, 'a/z': 0.1 } },
  ];
  t.deepEqual(points(winnersInput(rows)), { 1: 10, 2: 1, 3: 1 });
  const winners = findSubsetWinners(winnersInput(rows)).winners;
  t.is(winners[0b001], 2);
  t.is(winners[0b010], 3);
  t.is(winners[0b011], 1);
});

test('three miners with no winner (docs/original.md §8.5): C beats A but not B, B does not beat A', (t) => {
  // thr(A) = 0.6; B = 0.6 does not beat it; C = 0.65 does; thr(B) = 0.7 stops C.
  const rows: Row[] = [
    { uid: 1, block: 1, scores: { x: 0.5 } },
    { uid: 2, block: 2, scores: { x: 0.6 } },
    { uid: 3, block: 3, scores: { x: 0.65 } },
  ];
  const input = winnersInput(rows, ['x']);
  t.deepEqual(points(input), { 1: 0, 2: 0, 3: 0 });
  t.is(findSubsetWinners(input).winners[1], -1);
  const result = computeWeights({ environments: ['x'], episodesPerEnv: 50, miners: rows.map((r) => ({ uid: r.uid, firstBlock: r.block!, scores: r.scores })) });
  t.deepEqual(result.weights, { 1: 1 / 3, 2: 1 / 3, 3: 1 / 3 });
  t.deepEqual(result.explanation.unclaimed, { subsets: 1, points: 1, bySize: [1] });
});

test('missing scores count 0.0 with threshold 0.02, unlike an explicit 0.0 (threshold 0.0211)', (t) => {
  const later = { uid: 2, block: 20, scores: { x: 0.0, y: 0.021 } };
  // Early miner with y missing: 0.021 > 0.02 → the later miner takes {y}.
  t.deepEqual(points(winnersInput([{ uid: 1, block: 10, scores: { x: 0.5 } }, later], ['x', 'y'])), { 1: 3, 2: 1 });
  // Early miner with y = 0.0 explicitly: its threshold is 0.0211 > 0.021, so it keeps {y}.
  t.deepEqual(points(winnersInput([{ uid: 1, block: 10, scores: { x: 0.5, y: 0.0 } }, later], ['x', 'y'])), { 1: 4, 2: 0 });
});

test('missing threshold falls back to score(earlier) + 0.02; missing block ranks last', (t) => {
  const base: WinnersInput = {
    uids: [1, 2],
    environments: ['x'],
    scores: new Map([
      [1, new Map([['x', 0.5]])],
      [2, new Map([['x', 0.53]])],
    ]),
    thresholds: new Map(), // every threshold missing
    firstBlocks: new Map([
      [1, 10],
      [2, 20],
    ]),
  };
  t.deepEqual(points(base), { 1: 0, 2: 1 }); // 0.53 > 0.52
  t.deepEqual(
    points({
      ...base,
      scores: new Map([
        [1, new Map([['x', 0.5]])],
        [2, new Map([['x', 0.52]])],
      ]),
    }),
    { 1: 1, 2: 0 },
  );
  // uid 1 has no block → +∞, so uid 2 (block 20) is the earlier committer and 0.5 does not beat 0.53+0.02.
  t.deepEqual(points({ ...base, firstBlocks: new Map([[2, 20]]) }), { 1: 0, 2: 1 });
  t.throws(() => findSubsetWinners({ ...base, uids: [1, 1] }), { message: /duplicate uid 1/ });
  t.throws(() => findSubsetWinnersReference({ ...base, uids: [1, 1] }), { message: /duplicate uid 1/ });
});

test('all-zero scores: the earliest committer wins everything (docs/original.md §13.12)', (t) => {
  const miners: MinerScoresInput[] = [
    { uid: 2, firstBlock: 30, scores: { x: 0, y: 0 } },
    { uid: 1, firstBlock: 20, scores: { x: 0, y: 0 } },
    { uid: 0, firstBlock: null, scores: { x: 0, y: 0 } },
  ];
  const result = computeWeights({ environments: ['x', 'y'], episodesPerEnv: 50, miners });
  t.deepEqual(result.points, { 0: 0, 1: 4, 2: 0 });
  t.true(Math.abs(result.weights[1]! - Math.exp(4) / (Math.exp(4) + 2)) < 1e-12); // ≈ 0.965
  t.is(result.explanation.minersWithoutWins, 2);
  t.deepEqual(
    result.explanation.miners.map((m) => [m.uid, m.subsetsWon, m.priority]),
    [[1, 3, 0]],
  );
});

test('single miner wins every subset even with zero scores; no miners / no environments', (t) => {
  const one = computeWeights({ environments: ENVS3, episodesPerEnv: 50, miners: [{ uid: 42, firstBlock: null, scores: {} }] });
  t.deepEqual(one.points, { 42: 12 });
  t.deepEqual(one.weights, { 42: 1 });
  t.deepEqual(one.weightsU16, { uids: [42], values: [65535] });

  const none = computeWeights({ environments: ENVS3, episodesPerEnv: 50, miners: [] });
  t.deepEqual(none.points, {});
  t.deepEqual(none.weights, {});
  t.deepEqual(none.weightsU16, { uids: [], values: [] });
  t.deepEqual(none.frontier, []);
  t.deepEqual(none.epsilons, {});
  t.deepEqual(none.explanation.miners, []);

  const noEnvs = computeWeights({
    environments: [],
    episodesPerEnv: 50,
    miners: [
      { uid: 1, firstBlock: 1, scores: {} },
      { uid: 2, firstBlock: 2, scores: {} },
    ],
  });
  t.deepEqual(noEnvs.points, { 1: 0, 2: 0 });
  t.deepEqual(noEnvs.weights, { 1: 0.5, 2: 0.5 });
  t.deepEqual(noEnvs.weightsU16, { uids: [1, 2], values: [32768, 32767] });
});

// --- softmax (docs/original.md §8.6) and u16 (docs/original.md §7.4) ---

test('softmax: 4 points vs 0 → 0.982/0.018; one 4-point winner among 256 → 0.176', (t) => {
  const two = pointsToWeights(
    new Map([
      [0, 4],
      [1, 0],
    ]),
    1,
  );
  t.is(Number(two.get(0)!.toFixed(3)), 0.982);
  t.is(Number(two.get(1)!.toFixed(3)), 0.018);
  const many = pointsToWeights(new Map(Array.from({ length: 256 }, (_, uid) => [uid, uid === 17 ? 4 : 0])), 1);
  t.is(Number(many.get(17)!.toFixed(3)), 0.176);
  const hot = pointsToWeights(
    new Map([
      [0, 4],
      [1, 0],
    ]),
    2,
  );
  t.true(Math.abs(hot.get(0)! - Math.exp(2) / (Math.exp(2) + 1)) < 1e-15);
  t.deepEqual(
    [
      ...pointsToWeights(
        new Map([
          [3, 0],
          [1, 0],
        ]),
        1,
      ),
    ],
    [
      [1, 0.5],
      [3, 0.5],
    ],
  );
  t.is(pointsToWeights(new Map(), 1).size, 0);
  // Huge point gaps underflow to exact zeros instead of NaN.
  t.deepEqual(
    [
      ...pointsToWeights(
        new Map([
          [0, 524288],
          [1, 0],
        ]),
        1,
      ),
    ],
    [
      [0, 1],
      [1, 0],
    ],
  );
});

test('softmax: temperature ≤ 0 is an error', (t) => {
  for (const temperature of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
    t.throws(() => pointsToWeights(new Map([[0, 1]]), temperature), { instanceOf: RangeError });
  }
  t.throws(() => computeWeights({ environments: [], episodesPerEnv: 50, miners: [], params: { temperature: 0 } }), { message: /temperature/ });
});

test('u16 truncating conversion reproduces the original oracles (docs/original.md §7.4)', (t) => {
  t.deepEqual(
    weightsToU16Truncating([
      [0, 1 / 3],
      [1, 1 / 3],
      [2, 1 / 3],
    ]).values,
    [21845, 21845, 21845],
  );
  t.deepEqual(
    weightsToU16Truncating([
      [0, 0],
      [1, 0],
    ]).values,
    [32767, 32767],
  );
  const soft = pointsToWeights(
    new Map([
      [0, 3],
      [1, 0],
    ]),
    1,
  );
  t.deepEqual(weightsToU16Truncating(soft).values, [62426, 3108]);
  t.deepEqual(
    weightsToU16Truncating([
      [0, 0.834],
      [1, 0.0415],
      [2, 0.0415],
      [3, 0.0415],
      [4, 0.0415],
    ]).values,
    [54656, 2719, 2719, 2719, 2719],
  );
  t.deepEqual(
    weightsToU16Truncating([
      [5, 2],
      [1, 2],
    ]),
    { uids: [5, 1], values: [32767, 32767] },
  ); // order kept
});

test('u16 exact conversion sums to 65535, largest remainders first, ties to the lower uid', (t) => {
  t.deepEqual(
    weightsToU16(
      new Map([
        [0, 1 / 3],
        [1, 1 / 3],
        [2, 1 / 3],
      ]),
    ).values,
    [21845, 21845, 21845],
  );
  t.deepEqual(
    weightsToU16(
      new Map([
        [1, 0],
        [0, 0],
      ]),
    ),
    { uids: [0, 1], values: [32768, 32767] },
  );
  t.deepEqual(
    weightsToU16(
      pointsToWeights(
        new Map([
          [0, 3],
          [1, 0],
        ]),
        1,
      ),
    ).values,
    [62427, 3108],
  );
  t.deepEqual(
    weightsToU16(
      new Map([
        [4, 0.0415],
        [3, 0.0415],
        [0, 0.834],
        [2, 0.0415],
        [1, 0.0415],
      ]),
    ),
    { uids: [0, 1, 2, 3, 4], values: [54656, 2720, 2720, 2720, 2719] },
  );
  t.deepEqual(weightsToU16(new Map()), { uids: [], values: [] });
  t.throws(
    () =>
      weightsToU16(
        new Map([
          [0, -0.1],
          [1, 1],
        ]),
      ),
    { instanceOf: RangeError },
  );
  t.throws(() => weightsToU16(new Map([[0, Number.NaN]])), { instanceOf: RangeError });
});

// --- aggregation (docs/original.md §8.1) ---

test('aggregation: success rate, mean reward and real episode counts per (uid, env)', (t) => {
  const results = [
    { uid: 2, envId: 'a/y', success: true, totalReward: 10, error: null },
    { uid: 1, envId: 'a/y', success: false, totalReward: 1, error: 'act timeout' },
    { uid: 2, envId: 'a/x', success: false, totalReward: 2, error: null },
    { uid: 2, envId: 'a/y', success: false, totalReward: 4, error: null },
    { uid: 2, envId: 'a/y', success: true, totalReward: 7, error: null },
    { uid: 2, envId: 'a/y', success: false, totalReward: 0, error: 'bad action' },
  ];
  const rows = aggregateEpisodes(results, ['a/y', 'a/x']);
  t.deepEqual(rows, [
    { uid: 1, envId: 'a/y', successRate: 0, meanReward: 1, episodesCompleted: 1, episodesFailed: 1, episodesErrored: 1 },
    { uid: 2, envId: 'a/y', successRate: 0.5, meanReward: 21 / 4, episodesCompleted: 4, episodesFailed: 2, episodesErrored: 1 },
    { uid: 2, envId: 'a/x', successRate: 0, meanReward: 2, episodesCompleted: 1, episodesFailed: 1, episodesErrored: 0 },
  ]);
  t.deepEqual(
    aggregateEpisodes(results).map((r) => r.envId),
    ['a/y', 'a/x', 'a/y'],
  ); // by id without an order
  t.deepEqual(
    [...successRateTable(rows).get(2)!],
    [
      ['a/y', 0.5],
      ['a/x', 0],
    ],
  );
  t.deepEqual(aggregateEpisodes([]), []);
  t.throws(() => aggregateEpisodes([{ uid: 1, envId: 'x', success: true, totalReward: Number.NaN, error: null }]), { message: /non-finite reward/ });
});

// --- computeWeights ---

test('computeWeights: shape, thresholds, frontier and a JSON-serialisable explanation', (t) => {
  const result = computeWeights({
    environments: ENVS3,
    episodesPerEnv: 50,
    miners: [
      { uid: 1, firstBlock: 10, scores: all(0.5) },
      { uid: 2, firstBlock: 20, scores: { 'a/x': 0.9, 'a/y': 0.1, 'a/z': 0.1 } },
      { uid: 3, firstBlock: null, scores: { 'a/y': 0.9 } },
    ],
  });
  t.deepEqual(result.points, { 1: 10, 2: 1, 3: 1 });
  t.deepEqual(Object.keys(result.weights), ['1', '2', '3']);
  t.true(Math.abs(Object.values(result.weights).reduce((a, b) => a + b, 0) - 1) < 1e-12);
  t.is(
    result.weightsU16.values.reduce((a, b) => a + b, 0),
    65535,
  );
  t.deepEqual(result.frontier, [1, 2, 3]);
  t.deepEqual(Object.keys(result.epsilons), ENVS3);
  t.deepEqual(Object.keys(result.thresholds[3]!), ['a/y']); // missing scores get no threshold row
  t.is(result.thresholds[1]!['a/x'], 0.6);

  const explanation = JSON.parse(JSON.stringify(result.explanation)) as typeof result.explanation;
  t.deepEqual(explanation, result.explanation);
  t.is(explanation.subsets, 7);
  t.is(explanation.pointsAvailable, 12);
  const [m1, m2, m3] = explanation.miners;
  t.deepEqual(m1!.wonBySize, [1, 3, 1]);
  t.deepEqual(m1!.envsWonAlone, ['a/z']);
  t.deepEqual(m1!.examples[0]!.envs, ENVS3);
  t.is(m1!.examples[0]!.beatEarlier, null);
  t.is(m1!.examples.length, 3);
  t.is(m3!.firstBlock, 2 ** 32);
  t.deepEqual(m2!.envsWonAlone, ['a/x']);
  const example = m2!.examples[0]!;
  t.deepEqual(example.envs, ['a/x']);
  t.is(example.beatEarlier!.uid, 1);
  t.true(Math.abs(example.beatEarlier!.margin - (0.9 - 0.6)) < 1e-12);
  t.is(example.closestChallenger!.uid, 3); // uid 3 has no score on a/x: short by the full threshold
  t.true(Math.abs(example.closestChallenger!.shortfall - threshold(0.9, 50, GAPS)) < 1e-12);
});

test('computeWeights rejects bad input', (t) => {
  const base = { environments: ['x'], episodesPerEnv: 50 };
  t.throws(
    () =>
      computeWeights({
        ...base,
        miners: [
          { uid: 1, firstBlock: 1, scores: {} },
          { uid: 1, firstBlock: 2, scores: {} },
        ],
      }),
    { message: /duplicate uid 1/ },
  );
  t.throws(() => computeWeights({ ...base, miners: [{ uid: 1, firstBlock: 1, scores: { y: 0.5 } }] }), { message: /unknown environment "y"/ });
  t.throws(() => computeWeights({ ...base, miners: [{ uid: 1, firstBlock: 1.5, scores: {} }] }), { message: /firstBlock/ });
  t.throws(() => computeWeights({ ...base, miners: [], params: { minGap: 0.2, maxGap: 0.1 } }), { message: /minGap/ });
  t.throws(() => computeWeights({ environments: ['x', 'x'], episodesPerEnv: 50, miners: [] }), { message: /duplicate environment/ });
  t.throws(() => computeWeights({ environments: Array.from({ length: 21 }, (_, i) => `e${i}`), episodesPerEnv: 50, miners: [] }), { message: /at most 20/ });
});
