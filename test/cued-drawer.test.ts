/**
 * drawer-open / drawer-close of the cued family (src/sim/cued/drawer.ts, data/scenes/cued/drawer.xml):
 * layout rules, symmetry in the candidates, identical-to-touch drawers, wrong-drawer violations, held
 * and real success, determinism, and the oracle.
 */
import fs from 'node:fs';
import test from 'ava';
import { fromNativeAction } from '../src/sim/action.ts';
import { chestFootprint, DRAWER, drawerCloseModule, drawerOpenModule, handlePoint, type DrawerLayout, type DrawerState } from '../src/sim/cued/drawer.ts';
import type { CuedTaskConfig } from '../src/sim/cued/tasks.ts';
import { ManipulationEnv, type StepResult } from '../src/sim/env.ts';
import { devInstance, formatInstance, parseInstance } from '../src/sim/instance.ts';
import { SCENES_DIR } from '../src/sim/scene.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { stepOracle } from './helpers/cued.ts';

const OPEN = 'metaworld/drawer-open-v3' as const;
const CLOSE = 'metaworld/drawer-close-v3' as const;
type DrawerEnv = typeof OPEN | typeof CLOSE;
const MODULES = { [OPEN]: drawerOpenModule, [CLOSE]: drawerCloseModule };

const task = (envId: DrawerEnv, seed: number, i = 0) => generateTask(envId, devInstance(seed, i)) as CuedTaskConfig;
const layoutOf = (config: CuedTaskConfig) => config.layout as DrawerLayout;

/** One control step driven by the module's oracle, aimed at `aim` (the target, or a wrong drawer on purpose). */
function oracleStep(env: ManipulationEnv, envId: DrawerEnv, aim: number, memory: Record<string, unknown>): StepResult {
  return stepOracle(env, MODULES[envId], aim, memory);
}

/** HSV saturation of an RGB colour. */
const saturation = (r: number, g: number, b: number) => (Math.max(r, g, b) === 0 ? 0 : 1 - Math.min(r, g, b) / Math.max(r, g, b));

/** A step that brings the mocap back onto the hand (it may have wound up ahead), plus `nudge` (cm). */
function stopStep(env: ManipulationEnv, effort: number, nudge: [number, number, number] = [0, 0, 0]): StepResult {
  const p = env.privileged();
  const move = [0, 1, 2].map((k) => (p.hand[k]! - p.mocap[k]! + (k === 2 ? 0.0045 : 0)) * 100 + nudge[k]!) as [number, number, number];
  return env.step(fromNativeAction(move, effort));
}

const openings = (env: ManipulationEnv) => (env.privileged().cued!.state as DrawerState).opening;

for (const envId of [OPEN, CLOSE]) {
  test(`${envId}: layouts keep the chest on the table, clear of the far wall, reachable, and vary every coordinate`, (t) => {
    const xs: number[] = [],
      ys: number[] = [],
      zs: number[] = [],
      yaws: number[] = [];
    for (let seed = 0; seed < 300; seed++) {
      const layout = layoutOf(task(envId, seed));
      t.notThrows(() => MODULES[envId].layoutSchema.parse(layout));
      t.true(layout.centre[0] >= DRAWER.x[0] && layout.centre[0] <= DRAWER.x[1]);
      t.true(layout.centre[1] >= DRAWER.y[0] && layout.centre[1] <= DRAWER.y[1]);
      t.true(Math.abs(layout.yaw) <= DRAWER.yaw[1]);
      t.true(layout.plinth >= DRAWER.plinth[0] && layout.plinth <= DRAWER.plinth[1]);
      for (const corner of chestFootprint(layout)) {
        t.true(corner[1] <= DRAWER.backLimitY, `corner y ${corner[1]}`);
        t.true(Math.abs(corner[0]) < 0.68, `corner x ${corner[0]}`);
      }
      for (let i = 0; i < DRAWER.candidates; i++) {
        const out = handlePoint(layout, i, DRAWER.travel);
        t.true(out[1] >= DRAWER.handleMinY && Math.abs(out[0]) < 0.45, `handle ${i} fully out at ${out.map((v) => v.toFixed(3))}`);
      }
      if (envId === OPEN) t.is(layout.start, 0);
      else t.true(layout.start >= DRAWER.closeStart[0] && layout.start <= DRAWER.closeStart[1]);
      const middle = handlePoint(layout, 1, 0);
      xs.push(middle[0]);
      ys.push(middle[1]);
      zs.push(middle[2]);
      yaws.push(layout.yaw);
    }
    const spread = (v: number[]) => Math.max(...v) - Math.min(...v);
    t.true(spread(xs) > 0.25, `x spread ${spread(xs)}`);
    t.true(spread(ys) > 0.1, `y spread ${spread(ys)}`);
    t.true(spread(zs) > 0.05, `z spread ${spread(zs)}`);
    t.true(spread(yaws) > 0.6, `yaw spread ${spread(yaws)}`);
  });

  test(`${envId}: the layout does not depend on the variant (target and colours)`, (t) => {
    const targets = new Set<number>();
    for (let seed = 0; seed < 20; seed++) {
      const a = parseInstance(devInstance(seed, 0));
      const b = parseInstance(devInstance(seed + 1000, 0));
      const mixed = formatInstance({ randomization: 'cued', layout: a.layout, variant: b.variant });
      const one = generateTask(envId, formatInstance(a)) as CuedTaskConfig;
      const two = generateTask(envId, mixed) as CuedTaskConfig;
      t.deepEqual(two.layout, one.layout);
      t.deepEqual(two.physics_params, one.physics_params);
      targets.add(two.target);
    }
    t.deepEqual([...targets].sort(), [0, 1, 2]);
  });
}

test('the three drawers are identical to touch; only fronts and handles wear colours, the rest is neutral', async (t) => {
  const env = await ManipulationEnv.create(OPEN, { images: false });
  try {
    const m = env.model;
    const fields = (ids: number[], array: ArrayLike<number>, width: number) => ids.map((id) => Array.from({ length: width }, (_, k) => array[width * id + k]!));
    const parts = ['front', 'post_{}_l', 'post_{}_r', 'handle', 'side_{}_l', 'side_{}_r', 'back', 'floor'];
    const geomIds = (i: number) => parts.map((p) => env.id('geom', p.includes('{}') ? `drawer_${p.replace('{}', String(i))}` : `drawer_${p}_${i}`));
    const touch = (i: number) => {
      const g = geomIds(i);
      const b = env.id('body', `drawer_${i}`);
      const j = env.id('joint', `drawer_slide_${i}`);
      const dof = (m.jnt_dofadr as Int32Array)[j]!;
      return {
        type: fields(g, m.geom_type, 1),
        size: fields(g, m.geom_size, 3),
        pos: fields(g, m.geom_pos, 3),
        quat: fields(g, m.geom_quat, 4),
        friction: fields(g, m.geom_friction, 3),
        solref: fields(g, m.geom_solref, 2),
        solimp: fields(g, m.geom_solimp, 5),
        contact: fields(g, m.geom_contype, 1).concat(fields(g, m.geom_conaffinity, 1), fields(g, m.geom_condim, 1), fields(g, m.geom_margin, 1)),
        mass: (m.body_mass as Float64Array)[b],
        inertia: fields([b], m.body_inertia, 3),
        ipos: fields([b], m.body_ipos, 3),
        range: fields([j], m.jnt_range, 2),
        limit: fields([j], m.jnt_solref, 2).concat(fields([j], m.jnt_solimp, 5)),
        axis: fields([j], m.jnt_axis, 3),
        dof: [(m.dof_damping as Float64Array)[dof], (m.dof_armature as Float64Array)[dof], (m.dof_frictionloss as Float64Array)[dof]],
      };
    };
    t.deepEqual(touch(1), touch(0));
    t.deepEqual(touch(2), touch(0));
    // Bays evenly spaced along the chest's x: the only difference between the drawers is where they are.
    const bodyX = [0, 1, 2].map((i) => (m.body_pos as Float64Array)[3 * env.id('body', `drawer_${i}`)]!);
    t.deepEqual(bodyX, [...DRAWER.bayX]);
  } finally {
    env.close();
  }
  // Colours authored in the fragment: anything that is not a candidate geom is neutral.
  const xml = fs.readFileSync(`${SCENES_DIR}cued/drawer.xml`, 'utf8');
  const candidates = new Set([0, 1, 2].flatMap((i) => drawerOpenModule.candidateGeoms(i)));
  let checked = 0;
  for (const match of xml.matchAll(/<geom name="([^"]+)"[^>]*rgba="([^"]+)"/g)) {
    const [r, g, b] = match[2]!.split(' ').map(Number) as [number, number, number];
    if (candidates.has(match[1]!)) continue;
    t.true(saturation(r, g, b) < 0.25, `${match[1]} is not neutral`);
    checked++;
  }
  t.true(checked >= 20);
});

for (const envId of [OPEN, CLOSE]) {
  test(`${envId}: working a wrong drawer ends the episode as a violation`, async (t) => {
    const env = await ManipulationEnv.create(envId, { images: false });
    try {
      for (let seed = 0; seed < 3; seed++) {
        const config = task(envId, seed);
        const wrong = (config.target + 1 + (seed % 2)) % 3;
        env.reset(config);
        const memory = {};
        let result: StepResult | undefined;
        while (!result?.done) result = oracleStep(env, envId, wrong, memory);
        t.false(result.success);
        t.regex(result.violation ?? '', envId === OPEN ? /opened a wrong drawer/ : /moved a wrong drawer/);
        t.false(/\d/.test(result.violation!), 'the message names no candidate');
        const moved = Math.abs(openings(env)[wrong]! - layoutOf(config).start);
        t.true(moved > DRAWER.wrongMove && moved < DRAWER.wrongMove + 0.02, `the wrong drawer moved ${moved}`);
        t.true(result.steps < 300);
      }
    } finally {
      env.close();
    }
  });

  test(`${envId}: the oracle solves instances without touching another drawer; same instance and actions repeat exactly`, async (t) => {
    const env = await ManipulationEnv.create(envId, { images: false });
    try {
      for (let seed = 0; seed < 6; seed++) {
        const config = task(envId, seed, 3);
        env.reset(config);
        const memory = {};
        let result: StepResult | undefined;
        const trace: number[] = [];
        while (!result?.done) {
          result = oracleStep(env, envId, config.target, memory);
          trace.push(...openings(env), ...result.observation.proprio.ee_pos);
        }
        t.true(result.success, `seed ${seed}: ${result.violation ?? 'timed out'}`);
        const now = openings(env);
        for (let i = 0; i < 3; i++) if (i !== config.target) t.true(Math.abs(now[i]! - layoutOf(config).start) < 0.005, `drawer ${i} moved`);
        if (seed === 0) {
          // Determinism: replay the same instance with the same actions.
          env.reset(config);
          const replayMemory = {};
          const again: number[] = [];
          let r: StepResult | undefined;
          while (!r?.done) {
            r = oracleStep(env, envId, config.target, replayMemory);
            again.push(...openings(env), ...r.observation.proprio.ee_pos);
          }
          t.deepEqual(again, trace);
        }
      }
    } finally {
      env.close();
    }
  });
}

test('drawer-open: success needs the target really open (≥ 10 cm) and holds for 10 steps before it counts', async (t) => {
  const env = await ManipulationEnv.create(OPEN, { images: false, endOnSuccess: false, maxSteps: 400 });
  try {
    const config = task(OPEN, 11);
    // Open the target part way (to 8 cm), then stop the hand: no success however long it stays.
    env.reset(config);
    let memory = {};
    while (openings(env)[config.target]! < 0.08) t.false(oracleStep(env, OPEN, config.target, memory).success);
    for (let i = 0; i < 80; i++) t.false(stopStep(env, -1).success);
    const part = openings(env)[config.target]!;
    t.true(part > 0.08 && part < DRAWER.openedAt, `opened ${part}`);

    // All the way: success counts exactly at the 10th consecutive step over the threshold.
    env.reset(config);
    memory = {};
    const over: boolean[] = [];
    let successAt = -1;
    for (let step = 1; successAt < 0 && step < 400; step++) {
      const r = oracleStep(env, OPEN, config.target, memory);
      over.push(openings(env)[config.target]! >= DRAWER.openedAt);
      if (r.success) successAt = step;
    }
    t.true(successAt > 0);
    const firstOver = over.indexOf(true) + 1;
    t.is(successAt, firstOver + 9);
    t.true(over.slice(firstOver - 1).every(Boolean));
  } finally {
    env.close();
  }
});

test('drawer-close: a target left 3 cm open does not pass; pushed home it passes after the hold', async (t) => {
  const env = await ManipulationEnv.create(CLOSE, { images: false, endOnSuccess: false, maxSteps: 400 });
  try {
    const config = task(CLOSE, 12);
    env.reset(config);
    let memory = {};
    while (openings(env)[config.target]! > 0.045) t.false(oracleStep(env, CLOSE, config.target, memory).success);
    // Back the hand off toward the robot and wait: the drawer stays where it was left.
    for (let i = 0; i < 60; i++) t.false(stopStep(env, 1, i < 10 ? [0, 0, 0] : [0, -0.3, 0.3]).success);
    const left = openings(env)[config.target]!;
    t.true(left > DRAWER.closedWithin && left < 0.045, `left open by ${left}`);

    env.reset(config);
    memory = {};
    let successAt = -1;
    let firstIn = -1;
    for (let step = 1; successAt < 0 && step < 400; step++) {
      const r = oracleStep(env, CLOSE, config.target, memory);
      if (firstIn < 0 && openings(env)[config.target]! <= DRAWER.closedWithin) firstIn = step;
      if (r.success) successAt = step;
    }
    t.true(firstIn > 0);
    t.is(successAt, firstIn + 9);
  } finally {
    env.close();
  }
});

test('judges: thresholds of success and of the wrong-drawer margin, in both directions', (t) => {
  const state = (opening: number[]): DrawerState => ({
    opening,
    handles: [
      [0, 0.6, 0.1],
      [0.1, 0.6, 0.1],
      [0.2, 0.6, 0.1],
    ],
  });
  const hand = {
    hand: [0, 0.5, 0.3] as [number, number, number],
    tcp: [0, 0.5, 0.255] as [number, number, number],
    gripperDistance: 1,
    leftPad: [0, 0.55, 0.3] as [number, number, number],
    rightPad: [0, 0.45, 0.3] as [number, number, number],
    effort: -1,
  };
  const layout: DrawerLayout = { centre: [0, 0.8], yaw: 0, plinth: 0.02, start: 0 };
  const open = (o: number[]) => drawerOpenModule.judge(state(o), state([0, 0, 0]), layout, 1, hand);
  t.true(open([0, 0.1, 0]).success);
  t.false(open([0, 0.099, 0]).success);
  t.is(open([0.029, 0.05, 0.029]).violation, null);
  t.is(open([0.031, 0.05, 0]).violation, 'opened a wrong drawer');
  t.is(open([0, 0.12, 0.031]).violation, 'opened a wrong drawer');
  const start = state([0.12, 0.12, 0.12]);
  const close = (o: number[]) => drawerCloseModule.judge(state(o), start, { ...layout, start: 0.12 }, 0, hand);
  t.true(close([0.02, 0.12, 0.12]).success);
  t.false(close([0.021, 0.12, 0.12]).success);
  t.is(close([0.05, 0.091, 0.149]).violation, null);
  t.is(close([0.05, 0.089, 0.12]).violation, 'moved a wrong drawer', 'pushed in');
  t.is(close([0.05, 0.12, 0.151]).violation, 'moved a wrong drawer', 'pulled out');
  for (const r of [open([0, 0, 0]), open([0, 0.05, 0]), close([0.12, 0.12, 0.12]), close([0.06, 0.12, 0.12])]) t.true(r.reward >= 0 && r.reward <= 10);
  t.true(open([0, 0.05, 0]).reward > open([0, 0.01, 0]).reward);
  t.true(close([0.05, 0.12, 0.12]).reward > close([0.1, 0.12, 0.12]).reward);
});
