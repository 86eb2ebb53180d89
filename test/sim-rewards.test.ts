import test from 'ava';
import fc from 'fast-check';
import { ENV_IDS } from '../src/sim/registry.ts';
import { evaluateTask, hamacher, rectPrismTolerance, tolerance, type RewardInit, type RewardState, type Vec3 } from '../src/sim/rewards.ts';

const near = (t: { true(v: boolean, m?: string): void }, a: number, b: number, eps = 1e-9) => t.true(Math.abs(a - b) < eps, `${a} ≈ ${b}`);

test('tolerance: 1 inside the bounds, 0.1 one margin outside, hard without margin', (t) => {
  t.is(tolerance(0.02, 0, 0.05, 0.3), 1);
  t.is(tolerance(0, 0, 0.05, 0.3), 1);
  near(t, tolerance(0.35, 0, 0.05, 0.3), 0.1);
  near(t, tolerance(0.35, 0, 0.05, 0.3, 'gaussian'), 0.1);
  near(t, tolerance(-0.3, 0, 0.05, 0.3), 0.1, 1e-9);
  t.true(tolerance(0.2, 0, 0.05, 0.3) > tolerance(0.3, 0, 0.05, 0.3));
  t.is(tolerance(0.06, 0, 0.05, 0), 0);
  t.is(tolerance(0.05, 0, 0.05, 0), 1);
  t.throws(() => tolerance(0, 1, 0, 1));
});

test('hamacher product and rect-prism tolerance', (t) => {
  t.is(hamacher(1, 1), 1);
  t.is(hamacher(0, 0.7), 0);
  t.is(hamacher(0, 0), 0);
  near(t, hamacher(0.5, 0.5), 1 / 3);
  t.is(hamacher(1.2, 1), 1, 'clamped, never throws');
  t.is(rectPrismTolerance([5, 5, 5], [0, 0, 0], [1, 1, 1]), 1);
  near(t, rectPrismTolerance([0.5, 0.5, 0.5], [0, 0, 0], [1, 1, 1]), 0.125);
  near(t, rectPrismTolerance([0.5, -0.5, 0.5], [0, 0, 0], [1, -1, 1]), 0.125, 1e-12);
});

const base = (over: Partial<RewardState> = {}): RewardState => ({
  hand: [0, 0.6, 0.2],
  tcp: [0, 0.6, 0.155],
  gripperDistance: 1,
  object: [0, 0.65, 0.02],
  goal: [0, 0.85, 0.15],
  leftPad: [0, 0.644, 0.2],
  rightPad: [0, 0.556, 0.2],
  effort: 0,
  ...over,
});
const init: RewardInit = { handInit: [0, 0.6, 0.2], tcpInit: [0, 0.6, 0.155], objectInit: [0, 0.65, 0.02] };
const shift = (p: Vec3, d: Vec3): Vec3 => [p[0] + d[0], p[1] + d[1], p[2] + d[2]];

test('reach: success when the fingertips are within 5 cm of the goal', (t) => {
  const goal: Vec3 = [0.05, 0.85, 0.2];
  const hit = evaluateTask('metaworld/reach-v3', base({ goal, tcp: shift(goal, [0, 0.0499, 0]) }), init);
  t.true(hit.success);
  near(t, hit.reward, 10);
  const miss = evaluateTask('metaworld/reach-v3', base({ goal, tcp: shift(goal, [0, 0.0501, 0]) }), init);
  t.false(miss.success);
  t.true(miss.reward < 10 && miss.reward > 9);
  t.true(evaluateTask('metaworld/reach-v3', base({ goal, tcp: shift(goal, [0, 0.3, 0]) }), init).reward < miss.reward);
});

test('push and pick-place: puck within 5 cm / 7 cm of the goal', (t) => {
  const goal: Vec3 = [0, 0.85, 0.02];
  t.true(evaluateTask('metaworld/push-v3', base({ goal, object: shift(goal, [0.049, 0, 0]) }), init).success);
  t.false(evaluateTask('metaworld/push-v3', base({ goal, object: shift(goal, [0.051, 0, 0]) }), init).success);
  const air: Vec3 = [0, 0.85, 0.2];
  const placed = evaluateTask('metaworld/pick-place-v3', base({ goal: air, object: shift(air, [0, 0, 0.06]) }), init);
  t.true(placed.success, 'pick-place succeeds up to 7 cm');
  t.true(placed.reward < 10, 'but the full reward needs 5 cm');
  t.false(evaluateTask('metaworld/pick-place-v3', base({ goal: air, object: shift(air, [0, 0, 0.071]) }), init).success);
  // Lifting the grasped puck earns the lift bonus.
  const grasped = base({
    goal: air,
    object: [0, 0.65, 0.1],
    tcp: [0, 0.65, 0.1],
    gripperDistance: 0.5,
    effort: 1,
    leftPad: [0, 0.671, 0.1],
    rightPad: [0, 0.629, 0.1],
  });
  t.true(evaluateTask('metaworld/pick-place-v3', grasped, init).reward > 1);
});

test('door-open: success when the handle is within 8 cm of the target in x', (t) => {
  const goal: Vec3 = [-0.25, 0.45, 0.15];
  t.true(evaluateTask('metaworld/door-open-v3', base({ goal, object: [-0.17, 0.4, 0.15], doorAngle: -1.4 }), init).success);
  t.false(evaluateTask('metaworld/door-open-v3', base({ goal, object: [-0.169, 0.4, 0.15], doorAngle: -1.38 }), init).success);
  const closed = evaluateTask('metaworld/door-open-v3', base({ goal, object: [0.24, 0.69, 0.15], doorAngle: 0 }), init).reward;
  const half = evaluateTask('metaworld/door-open-v3', base({ goal, object: [0.0, 0.5, 0.15], doorAngle: -1 }), init).reward;
  t.true(half > closed, 'opening the door raises the reward');
});

test('drawers: open within 3 cm of the target, closed within 6.5 cm', (t) => {
  const goal: Vec3 = [0, 0.54, 0.09];
  t.true(evaluateTask('metaworld/drawer-open-v3', base({ goal, object: [0, 0.5699, 0.09] }), init).success);
  t.false(evaluateTask('metaworld/drawer-open-v3', base({ goal, object: [0, 0.5701, 0.09] }), init).success);
  const closeGoal: Vec3 = [0, 0.74, 0.09];
  const closed = evaluateTask('metaworld/drawer-close-v3', base({ goal: closeGoal, object: [0, 0.72, 0.14] }), { ...init, objectInit: [0, 0.58, 0.14] });
  t.true(closed.success);
  t.is(closed.reward, 10);
  t.false(evaluateTask('metaworld/drawer-close-v3', base({ goal: closeGoal, object: [0, 0.69, 0.14] }), { ...init, objectInit: [0, 0.58, 0.14] }).success);
});

test('button: success when the cap top is within 2.4 cm of the goal height', (t) => {
  const goal: Vec3 = [0, 0.85, 0.215];
  t.true(evaluateTask('metaworld/button-press-v3', base({ goal, object: [0, 0.85, 0.2389] }), init).success);
  t.false(evaluateTask('metaworld/button-press-v3', base({ goal, object: [0, 0.85, 0.2391] }), init).success);
  const pressing = base({ goal, object: [0, 0.85, 0.25], tcp: [0, 0.85, 0.25], gripperDistance: 0.3 });
  t.true(
    evaluateTask('metaworld/button-press-v3', pressing, init).reward >
      evaluateTask('metaworld/button-press-v3', base({ goal, object: [0, 0.85, 0.25] }), init).reward,
  );
});

test('peg-insert: the head must be at the target with y and z errors counted double', (t) => {
  const goal: Vec3 = [-0.27, 0.55, 0.13];
  const holeBox: Vec3 = [-0.3, 0.55, 0];
  t.true(
    evaluateTask('metaworld/peg-insert-v3', base({ goal, holeBox, pegHead: shift(goal, [0.066, 0.01, 0.005]), object: [-0.07, 0.56, 0.145] }), init).success,
  );
  t.false(evaluateTask('metaworld/peg-insert-v3', base({ goal, holeBox, pegHead: shift(goal, [0, 0.036, 0]), object: [-0.14, 0.586, 0.14] }), init).success);
});

test('every reward is finite and in [0, 10] for arbitrary states', (t) => {
  const coord = fc.double({ min: -1, max: 1, noNaN: true });
  const vec = fc.tuple(coord, coord, coord);
  fc.assert(
    fc.property(
      fc.constantFrom(...ENV_IDS),
      fc.record({ hand: vec, tcp: vec, object: vec, goal: vec, leftPad: vec, rightPad: vec, pegHead: vec, holeBox: vec }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: -1, max: 1, noNaN: true }),
      fc.double({ min: -2, max: 0, noNaN: true }),
      fc.record({ handInit: vec, tcpInit: vec, objectInit: vec, pegHeadInit: vec }),
      (envId, points, gripperDistance, effort, doorAngle, initState) => {
        const { reward } = evaluateTask(envId, { ...points, gripperDistance, effort, doorAngle }, initState);
        return Number.isFinite(reward) && reward >= 0 && reward <= 10 + 1e-9;
      },
    ),
    { numRuns: 2000 },
  );
  t.pass();
});
