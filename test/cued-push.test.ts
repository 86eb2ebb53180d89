import test from 'ava';
import { colourRgb, GOAL_COLOUR } from '../src/sim/cued/palette.ts';
import { PUSH, pushModule } from '../src/sim/cued/push.ts';
import { carryOracle, PUCKS } from '../src/sim/cued/pucks.ts';
import type { CuedTaskConfig } from '../src/sim/cued/tasks.ts';
import { xySegmentDistance, type Vec3 } from '../src/sim/cued/geometry.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import { devInstance, formatInstance, parseInstance } from '../src/sim/instance.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { drive, pusher, runBlind, touchProbe, viewOf, visibleAtStart } from './helpers/pucks.ts';
import { evaluateMinerPolicy } from '../src/miner/evaluate.ts';
import { createMinerPolicy } from '../src/miner/policies/index.ts';
import { BlindPolicy } from '../src/miner/blind/policy.ts';
import { strategiesFor } from '../src/miner/blind/index.ts';
import { touch } from '../src/miner/blind/pucks.ts';
import { evaluatePolicy } from '../src/sim/evaluation.ts';

const ENV = 'metaworld/push-v3' as const;
const task = (seed: number, i = 0) => generateTask(ENV, devInstance(seed, i)) as CuedTaskConfig;
const layoutOf = (t: CuedTaskConfig) => t.layout as { pucks: [number, number][]; goal: Vec3 };
const at = (p: readonly number[]): Vec3 => [p[0]!, p[1]!, 0];

test('push layouts keep every rule over 400 instances and spread over the whole area', (t) => {
  const lo = [Infinity, Infinity],
    hi = [-Infinity, -Infinity];
  for (let i = 0; i < 400; i++) {
    const { pucks, goal } = layoutOf(task(11, i));
    t.is(pucks.length, 3);
    pushModule.layoutSchema.parse({ pucks, goal });
    t.is(goal[2], PUSH.discZ, 'the goal disc lies on the table');
    for (const p of [...pucks, goal]) {
      t.true(p[0] >= PUCKS.low[0] && p[0] <= PUCKS.high[0] && p[1] >= PUCKS.low[1] && p[1] <= PUCKS.high[1]);
      for (const k of [0, 1]) {
        lo[k] = Math.min(lo[k]!, p[k]!);
        hi[k] = Math.max(hi[k]!, p[k]!);
      }
    }
    for (const [a, p] of pucks.entries()) {
      t.true(Math.hypot(p[0] - PUCKS.handInit[0], p[1] - PUCKS.handInit[1]) >= PUCKS.clearOfStartXy);
      t.true(Math.hypot(p[0] - goal[0], p[1] - goal[1]) >= PUSH.goalClearance, 'goal clear of every puck');
      for (const [b, q] of pucks.entries()) {
        if (b === a) continue;
        t.true(Math.hypot(p[0] - q[0], p[1] - q[1]) >= PUCKS.minSeparation, 'pucks spaced');
        t.true(xySegmentDistance(at(q), at(p), goal) >= PUSH.pathClearance, 'every puck has a clear straight path to the goal');
      }
    }
  }
  // No coordinate is (nearly) constant: pucks and goal cover most of the area in both axes.
  t.true(hi[0]! - lo[0]! > 0.65 && hi[1]! - lo[1]! > 0.37, `spread x ${lo[0]}..${hi[0]}, y ${lo[1]}..${hi[1]}`);
});

test('the push layout does not depend on the variant (target and colours), and every candidate is the target sometimes', (t) => {
  const base = parseInstance(devInstance(5, 0));
  const targets = new Set<number>();
  const first = generateTask(ENV, formatInstance(base)) as CuedTaskConfig;
  for (let v = 0; v < 30; v++) {
    const variant = new Uint8Array(32).fill(v);
    const c = generateTask(ENV, formatInstance({ ...base, variant })) as CuedTaskConfig;
    t.deepEqual(c.layout, first.layout);
    t.deepEqual(c.physics_params, first.physics_params);
    t.deepEqual(c.domain_randomization, first.domain_randomization);
    targets.add(c.target);
  }
  t.deepEqual([...targets].sort(), [0, 1, 2]);
});

test('push pucks are identical to touch, before and after an instance randomizes the physics', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  try {
    const check = () => {
      const m = env.model;
      const fields = (g: number, b: number, j: number) => [
        ...Array.from((m.geom_size as Float64Array).subarray(3 * g, 3 * g + 3)),
        ...Array.from((m.geom_friction as Float64Array).subarray(3 * g, 3 * g + 3)),
        ...Array.from((m.geom_solref as Float64Array).subarray(2 * g, 2 * g + 2)),
        ...Array.from((m.geom_solimp as Float64Array).subarray(5 * g, 5 * g + 5)),
        (m.geom_condim as Int32Array)[g],
        (m.geom_contype as Int32Array)[g],
        (m.geom_conaffinity as Int32Array)[g],
        (m.geom_type as Int32Array)[g],
        (m.body_mass as Float64Array)[b],
        ...Array.from((m.body_inertia as Float64Array).subarray(3 * b, 3 * b + 3)),
        (m.jnt_type as Int32Array)[j],
        ...Array.from((m.dof_damping as Float64Array).subarray((m.jnt_dofadr as Int32Array)[j]!, (m.jnt_dofadr as Int32Array)[j]! + 6)),
      ];
      const all = [0, 1, 2].map((i) => fields(env.id('geom', `puck_${i}`), env.id('body', `puck_${i}`), env.id('joint', `puck_${i}_free`)));
      t.deepEqual(all[1], all[0]);
      t.deepEqual(all[2], all[0]);
      return (env.model.body_mass as Float64Array)[env.id('body', 'puck_0')];
    };
    const nominal = check();
    env.reset(task(2));
    t.not(check(), nominal, 'the mass scale applies (to all three alike)');
    // Only the candidates' colours differ; the goal wears cyan.
    const rgba = env.model.geom_rgba as Float32Array;
    const goal = Array.from(rgba.subarray(4 * env.id('geom', 'goal'), 4 * env.id('geom', 'goal') + 3));
    colourRgb(GOAL_COLOUR).forEach((c, k) => t.true(Math.abs(goal[k]! - c) < 1e-6));
  } finally {
    env.close();
  }
});

test('the push oracle solves instances without ever moving a wrong puck', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  try {
    for (let i = 0; i < 6; i++) {
      env.reset(task(21, i));
      const run = drive(env, (view, memory) => pushModule.oracle(view, memory));
      t.true(run.success, `instance ${i}`);
      t.is(run.violation, null);
      const { state, layout, target } = viewOf(run.last);
      t.true(Math.hypot(state.pucks[target]![0] - layout.goal[0], state.pucks[target]![1] - layout.goal[1]) <= PUSH.radius);
    }
  } finally {
    env.close();
  }
});

test('success needs the puck resting on the table and the hold time; a puck hovering over the goal never passes', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false, endOnSuccess: false });
  try {
    env.reset(task(3));
    const goal = viewOf(env.privileged()).layout.goal;
    // Carried over the goal and held 6 cm up: the horizontal test passes, the table test does not.
    const hover = drive(env, (view, memory) => carryOracle(view, memory, [goal[0], goal[1], 0.08]), 300);
    t.false(hover.success);
    t.is(hover.violation, null);
    const { state, target } = viewOf(hover.last);
    t.true(Math.hypot(state.pucks[target]![0] - goal[0], state.pucks[target]![1] - goal[1]) <= PUSH.radius, 'it is over the goal');
    t.true(state.bottoms[target]! > 0.04);
    t.true(hover.streaks.every((s) => s === 0));

    // Set down on the disc: success is declared exactly when the test has held for 10 steps.
    env.reset(task(3));
    const placed = drive(env, (view, memory) => pushModule.oracle(view, memory), 400);
    t.true(placed.success);
    const first = placed.streaks.indexOf(1);
    t.true(first >= 0);
    t.true(
      placed.streaks.slice(first, first + 10).every((s, k) => s === k + 1),
      'the streak counts up one per step',
    );
  } finally {
    env.close();
  }
});

test('pushing a wrong puck 8 cm along the table ends the episode with a violation that does not name it', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  try {
    for (const seed of [4, 5]) {
      env.reset(task(seed));
      const wrong = (viewOf(env.privileged()).target + 1) % 3;
      const run = drive(env, pusher(wrong, 0.08), 400);
      t.is(run.violation, 'moved a wrong puck');
      t.false(run.success);
      t.true(env.done);
    }
  } finally {
    env.close();
  }
});

test('pushing the target puck is no violation, and a touch probe that rests on a wrong puck is none either', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  try {
    env.reset(task(4));
    const target = viewOf(env.privileged()).target;
    const pushed = drive(env, pusher(target, 0.08), 400);
    t.is(pushed.violation, null);
    const moved = viewOf(pushed.last);
    t.true(
      Math.hypot(moved.state.pucks[target]![0] - moved.start.pucks[target]![0], moved.state.pucks[target]![1] - moved.start.pucks[target]![1]) > 0.04,
      'the pusher really moves a puck',
    );

    env.reset(task(4));
    const wrong = (target + 1) % 3;
    const probed = drive(env, touchProbe(wrong), 400);
    t.is(probed.violation, null);
    const after = viewOf(probed.last);
    t.true(Math.hypot(after.state.pucks[wrong]![0] - after.start.pucks[wrong]![0], after.state.pucks[wrong]![1] - after.start.pucks[wrong]![1]) < 0.01);
    t.true(probed.steps > 20 && !env.done, 'the probe ran to its end');
    const touchedAt = probed.memory.touchedAt as number;
    t.true(touchedAt > 0.035 && touchedAt < 0.05, `the probe stopped on the puck's top (fingertips at ${touchedAt})`);
  } finally {
    env.close();
  }
});

test('push: same instance and same actions give the same trajectory', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  try {
    const trace = () => {
      env.reset(task(8));
      const states: number[] = [];
      drive(
        env,
        (view, memory) => {
          states.push(...view.hand.tcp, ...view.state.pucks.flat());
          return pushModule.oracle(view, memory);
        },
        120,
      );
      return states;
    };
    const a = trace();
    t.deepEqual(trace(), a);
  } finally {
    env.close();
  }
});

test('push: pucks, the goal disc and the cue light show in the miners’ 84×84 cameras at the start', async (t) => {
  const { visible, misses } = await visibleAtStart(ENV, 31, 30);
  t.true(visible >= 28, `${visible}/30 fully visible; ${misses.join('; ')}`);
});

test('vision pushes the cued puck onto the disc from pixels alone', async (t) => {
  const result = await evaluateMinerPolicy({ policy: createMinerPolicy('vision'), envIds: [ENV], episodes: 3, seed: 41 });
  t.deepEqual(
    result.episodes.map((e) => [e.success, e.violation]),
    [
      [true, null],
      [true, null],
      [true, null],
    ],
  );
});

test('the blind touch probe finds every puck by touch without moving any, and finds nothing on empty table', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  try {
    const first = env.reset(task(6));
    const { layout, start } = viewOf(env.privileged());
    const points: Array<[number, number]> = [
      ...layout.pucks.map((p, i) => [p[0] + (i === 1 ? 0.03 : 0), p[1] + (i === 2 ? -0.03 : 0)] as [number, number]),
      [layout.goal[0], layout.goal[1]],
    ];
    const hits = runBlind(env, first, function* (obs) {
      const out: boolean[] = [];
      for (const [x, y] of points) {
        const r = yield* touch(obs, x, y);
        obs = r.obs;
        out.push(r.hit);
      }
      return out;
    });
    t.deepEqual(hits, [true, true, true, false]);
    t.is(env.failure, null);
    const now = viewOf(env.privileged()).state;
    now.pucks.forEach((p, i) => t.true(Math.hypot(p[0] - start.pucks[i]![0], p[1] - start.pucks[i]![1]) < 0.005, `puck ${i} stayed put`));
  } finally {
    env.close();
  }
});

test('every blind push strategy is registered and runs whole episodes on proprioception alone', async (t) => {
  const strategies = strategiesFor(ENV);
  t.deepEqual(
    strategies.map((s) => s.name),
    ['push-touch-drag', 'push-touch-drop', 'push-guess'],
  );
  for (const s of strategies) {
    const summary = await evaluatePolicy({ envIds: [ENV], episodes: 3, seed: 17, images: false, policyFor: () => new BlindPolicy(s.name) });
    const e = summary.envs[ENV]!;
    t.is(e.episodes, 3);
    t.is(e.errors, 0, s.name);
  }
});
