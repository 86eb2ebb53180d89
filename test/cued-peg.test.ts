/**
 * peg-insert in the cued family (src/sim/cued/peg.ts, data/scenes/cued/peg.xml): the layout rules, the
 * symmetry of the three holes, the geometric success test, wrong-hole violations, and the physics that
 * makes wedging impossible (a held peg rammed into the solid block beside, above or below a hole stays
 * outside it), with real MuJoCo and scripted in-process controllers.
 */
import test from 'ava';
import { BlindPolicy } from '../src/miner/blind/policy.ts';
import { findFace } from '../src/miner/blind/peg.ts';
import { CommandTracker, type BlindCommand, type BlindObservation } from '../src/miner/blind/common.ts';
import { evaluateMinerPolicy } from '../src/miner/evaluate.ts';
import { createMinerPolicy } from '../src/miner/policies/index.ts';
import { fromNativeAction } from '../src/sim/action.ts';
import { SecureRng } from '../src/sim/drbg.ts';
import { evaluatePolicy } from '../src/sim/evaluation.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import { devInstance, formatInstance, parseInstance } from '../src/sim/instance.ts';
import { loadMujoco } from '../src/sim/mujoco.ts';
import { RandomPolicy } from '../src/sim/policies.ts';
import { generateTask, type CuedTaskConfig } from '../src/sim/tasks.ts';
import { colourRgb } from '../src/sim/cued/palette.ts';
import { rotateZ, toward, toWorld, type Vec3 } from '../src/sim/cued/geometry.ts';
import { CUED_SUCCESS_HOLD_STEPS } from '../src/sim/cued/module.ts';
import {
  channelFit,
  enteredHole,
  holeAxisPoint,
  holeMouth,
  inHoleFrame,
  insertedIn,
  PEG,
  pegModule,
  type PegLayout,
  type PegState,
} from '../src/sim/cued/peg.ts';

const ENV = 'metaworld/peg-insert-v3' as const;
const DEG = Math.PI / 180;

function task(seed: number): CuedTaskConfig {
  return generateTask(ENV, devInstance(seed, 0)) as CuedTaskConfig;
}

/** The yaw jitter of a layout about "mouths facing the middle" (0 for a block facing straight across). */
function yawJitter(layout: PegLayout): number {
  const side = Math.sign(layout.block[0]);
  const j = side < 0 ? layout.yaw : layout.yaw - Math.sign(layout.yaw) * Math.PI;
  return j;
}

test('layouts: block on a random side facing the middle, peg on the other side parallel to the channels, wide ranges, every hole workable', (t) => {
  const xs: number[] = [],
    ys: number[] = [],
    zs: number[] = [],
    jitters: number[] = [],
    pegXs: number[] = [],
    pegYs: number[] = [];
  let left = 0;
  for (let seed = 0; seed < 400; seed++) {
    const layout = task(seed).layout as PegLayout;
    t.true(pegModule.layoutSchema.safeParse(layout).success);
    const side = Math.sign(layout.block[0]);
    if (side < 0) left++;
    const absX = Math.abs(layout.block[0]);
    t.true(absX >= PEG.mouthAbsX[0] && absX <= PEG.mouthAbsX[1], `seed ${seed}: |x| ${absX}`);
    t.true(layout.block[1] >= PEG.mouthY[0] && layout.block[1] <= PEG.mouthY[1]);
    const plinth = layout.block[2] - PEG.holeAbovePlinth;
    t.true(plinth >= PEG.plinth[0] && plinth <= PEG.plinth[1]);
    // The mouths' outward normal points toward the middle of the table.
    const normal = rotateZ([1, 0, 0], layout.yaw);
    t.true(normal[0] * side < -Math.cos(PEG.yawJitter) + 1e-9, `seed ${seed}: mouths face the middle`);
    t.true(Math.abs(yawJitter(layout)) <= PEG.yawJitter + 1e-12);
    // The peg lies on the other side, with its head (local −x) toward the block.
    t.true(Math.sign(layout.peg[0]) === -side && Math.abs(layout.peg[0]) >= PEG.pegAbsX[0] && Math.abs(layout.peg[0]) <= PEG.pegAbsX[1]);
    t.true(layout.peg[1] >= PEG.pegY[0] && layout.peg[1] <= PEG.pegY[1]);
    const head = toWorld([layout.peg[0], layout.peg[1], 0.015], layout.yaw, [-PEG.pegHalfLength, 0, 0]);
    for (let i = 0; i < 3; i++) {
      const h = inHoleFrame(layout, i, head);
      t.true(h[0] > 0.1, `seed ${seed}: the peg's head starts outside every mouth, in front of it`);
      // Fingertips can hold the peg 5 cm before and 10 cm inside every hole (the same rule for all three).
      for (const depth of [-0.05, 0.1]) {
        const grasp = toWorld(holeAxisPoint(layout, i, depth), layout.yaw, [PEG.pegHalfLength + PEG.graspFromCentre, 0, 0]);
        t.true(grasp[0] >= -0.47 && grasp[0] <= 0.47 && grasp[1] >= 0.43 && grasp[1] <= 0.97, `seed ${seed}: hole ${i} workable`);
      }
    }
    xs.push(absX);
    ys.push(layout.block[1]);
    zs.push(layout.block[2]);
    jitters.push(yawJitter(layout));
    pegXs.push(Math.abs(layout.peg[0]));
    pegYs.push(layout.peg[1]);
  }
  t.true(left > 140 && left < 260, `both sides occur (${left}/400 left)`);
  const span = (v: number[]) => Math.max(...v) - Math.min(...v);
  // No coordinate a sweep could rely on: every range is covered widely.
  t.true(span(xs) > 0.13 && span(ys) > 0.25 && span(zs) > 0.045 && span(jitters) > 26 * DEG && span(pegXs) > 0.25 && span(pegYs) > 0.3);
});

test('the layout depends only on the layout stream: the variant (target, colours) never moves anything', (t) => {
  for (let seed = 0; seed < 20; seed++) {
    const key = parseInstance(devInstance(seed, 0));
    const other = parseInstance(devInstance(seed + 1000, 0));
    const a = generateTask(ENV, formatInstance(key)) as CuedTaskConfig;
    const b = generateTask(ENV, formatInstance({ ...key, variant: other.variant })) as CuedTaskConfig;
    t.deepEqual(a.layout, b.layout);
    t.deepEqual(a.physics_params, b.physics_params);
  }
  const targets = new Set(Array.from({ length: 60 }, (_, s) => task(s).target));
  t.deepEqual([...targets].sort(), [0, 1, 2]);
});

test('the three holes are identical to touch: the coloured rims and tabs never collide, the channels are the same', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  t.teardown(() => env.close());
  const m = env.model;
  const size = m.geom_size as Float64Array,
    pos = m.geom_pos as Float64Array;
  const contype = m.geom_contype as Int32Array,
    conaffinity = m.geom_conaffinity as Int32Array;
  const parts = pegModule.candidateGeoms(0).length;
  for (let i = 0; i < 3; i++) {
    const geoms = pegModule.candidateGeoms(i);
    t.is(geoms.length, parts);
    geoms.forEach((name, k) => {
      const g = env.id('geom', name);
      const g0 = env.id('geom', pegModule.candidateGeoms(0)[k]!);
      t.is(contype[g]! | conaffinity[g]!, 0, `${name} is visual only`);
      t.deepEqual(Array.from(size.subarray(3 * g, 3 * g + 3)), Array.from(size.subarray(3 * g0, 3 * g0 + 3)));
      // Same place relative to its own hole: the row spacing apart along the block's y.
      t.true(
        Math.abs(pos[3 * g]! - pos[3 * g0]!) < 1e-12 &&
          Math.abs(pos[3 * g + 1]! - pos[3 * g0 + 1]! - i * PEG.holeSpacing) < 1e-12 &&
          Math.abs(pos[3 * g + 2]! - pos[3 * g0 + 2]!) < 1e-12,
      );
    });
  }
  // The block's colliding walls are mirror-symmetric about the middle hole, so the outer holes are alike.
  const wall = (k: number) => env.id('geom', `block_wall_${k}`);
  for (const [a, b] of [
    [0, 3],
    [1, 2],
  ] as const) {
    t.deepEqual(Array.from(size.subarray(3 * wall(a), 3 * wall(a) + 3)), Array.from(size.subarray(3 * wall(b), 3 * wall(b) + 3)));
    t.is(pos[3 * wall(a) + 1], -pos[3 * wall(b) + 1]!);
  }
  // Colours: the binding paints each candidate's rims and tab with its palette colour.
  const config = task(3);
  env.reset(config);
  const rgba = m.geom_rgba as Float32Array;
  for (let i = 0; i < 3; i++) {
    const want = colourRgb(config.candidate_colours[i]!, config.candidate_jitter[i]);
    for (const name of pegModule.candidateGeoms(i)) {
      const g = env.id('geom', name);
      for (let k = 0; k < 3; k++) t.true(Math.abs(rgba[4 * g + k]! - want[k]!) < 1e-6, name);
    }
  }
});

test('channelFit: the head must be 4 cm inside with the axis within the clearance; a wrong hole counts from 1 cm', (t) => {
  const layout: PegLayout = { block: [-0.3, 0.65, 0.08], yaw: 10 * DEG, peg: [0.2, 0.6] };
  /** A peg on hole i's axis (offset by lateral/vertical), its head at `depth`. */
  const peg = (i: number, depth: number, lateral = 0, vertical = 0): PegState => {
    const at = (d: number): Vec3 => toWorld(holeMouth(layout, i), layout.yaw, [-d, lateral, vertical]);
    return { head: at(depth), tail: at(depth - 2 * PEG.pegHalfLength), grasp: at(depth - PEG.pegHalfLength - PEG.graspFromCentre) };
  };
  t.true(insertedIn(layout, 1, peg(1, 0.05)));
  t.true(insertedIn(layout, 1, peg(1, 0.041, 0.015, -0.015)), 'anywhere the peg physically fits in the channel');
  t.false(insertedIn(layout, 1, peg(1, 0.035)), 'not deep enough');
  t.false(insertedIn(layout, 1, peg(1, 0.05, 0, -0.045)), 'below the hole: inside solid block');
  t.false(insertedIn(layout, 1, peg(1, 0.05, 0.045, 0)), 'beside the hole');
  t.false(insertedIn(layout, 1, peg(1, 0.05, 0, 0.045)), 'above the hole');
  t.false(insertedIn(layout, 0, peg(1, 0.05)), 'another hole');
  t.true(insertedIn(layout, 1, peg(1, 0.3)), 'pushed through: still 6 cm of peg in the channel');
  t.false(insertedIn(layout, 1, peg(1, 0.4)), 'pushed out of the back');
  t.is(channelFit(layout, 1, peg(1, 0.05)).overlap.toFixed(6), '0.050000');
  t.true(enteredHole(layout, 2, peg(2, 0.012)));
  t.true(enteredHole(layout, 2, peg(2, 0.012, 0.025, 0)), 'anywhere inside the aperture');
  t.false(enteredHole(layout, 2, peg(2, 0.008)), 'less than 1 cm: a touch, not an insertion');
  t.false(enteredHole(layout, 2, peg(2, 0.02, 0.05, 0)), 'beside the aperture');
  t.false(enteredHole(layout, 2, peg(1, 0.05)), "the neighbour's channel");
});

interface Episode {
  env: ManipulationEnv;
  config: CuedTaskConfig;
  layout: PegLayout;
}

async function episode(seed: number): Promise<Episode> {
  const env = await ManipulationEnv.create(ENV, { images: false, endOnSuccess: false });
  const config = task(seed);
  env.reset(config);
  return { env, config, layout: config.layout as PegLayout };
}

function pegState(env: ManipulationEnv): PegState {
  return env.privileged().cued!.state as PegState;
}

/** The oracle's grasp (it reads the layout and the peg), up to the moment the peg is held. */
function grasp(e: Episode): void {
  const memory: Record<string, unknown> = {};
  for (let k = 0; k < 200 && memory.phase !== 'carry'; k++) {
    const p = e.env.privileged();
    const c = p.cued!;
    const cmd = pegModule.oracle(
      {
        hand: e.env.handState(),
        mocap: p.mocap,
        steps: p.steps,
        layout: e.layout,
        target: e.config.target,
        state: c.state as PegState,
        start: c.start as PegState,
      },
      memory,
    );
    e.env.step(fromNativeAction(cmd.move, cmd.effort));
  }
  if (memory.phase !== 'carry') throw new Error('the oracle did not grasp the peg');
}

/** Steers the held peg's head toward `target(step)` for `steps` steps (full speed: the mocap winds up when blocked). */
function steer(e: Episode, steps: number, target: (k: number) => Vec3, onStep?: (state: PegState, k: number) => void) {
  for (let k = 0; k < steps && !e.env.done; k++) {
    const head = pegState(e.env).head;
    e.env.step(fromNativeAction(toward(head, target(k), 10), 1));
    onStep?.(pegState(e.env), k);
  }
}

/** A point in hole i's frame at `depth` along its axis, offset laterally and vertically. */
const holePoint = (layout: PegLayout, i: number, depth: number, lateral = 0, vertical = 0): Vec3 =>
  toWorld(holeMouth(layout, i), layout.yaw, [-depth, lateral, vertical]);

for (const [name, lateral, vertical] of [
  ['below', 0, -0.045],
  ['above', 0, 0.045],
  ['beside', 0.05, 0],
] as const) {
  test(`wedging: a held peg rammed into the solid block ${name} the target hole sinks < 3 mm and never passes`, async (t) => {
    for (const seed of [0, 2]) {
      const e = await episode(seed);
      t.teardown(() => e.env.close());
      const hole = e.config.target;
      grasp(e);
      // Line up 5 cm in front of the face, then drive 30 cm into it at full speed (the mocap runs ahead
      // of the blocked hand and the weld pushes as hard as it can).
      steer(e, 120, () => holePoint(e.layout, hole, -0.05, lateral, vertical));
      const lined = inHoleFrame(e.layout, hole, pegState(e.env).head);
      t.true(Math.abs(lined[0] - 0.05) < 0.01, `seed ${seed}: lined up in front of the face`);
      let deepest = -Infinity;
      let windUp = 0;
      steer(
        e,
        150,
        () => holePoint(e.layout, hole, 0.3, lateral, vertical),
        (s) => {
          const h = inHoleFrame(e.layout, hole, s.head);
          // Depth past the face while the head is outside the channel's cross-section.
          if (Math.max(Math.abs(h[1]), Math.abs(h[2])) > PEG.holeHalf) deepest = Math.max(deepest, -h[0]);
          const p = e.env.privileged();
          windUp = Math.max(windUp, Math.hypot(p.mocap[0] - p.hand[0], p.mocap[1] - p.hand[1]));
        },
      );
      t.true(windUp > 0.1, `seed ${seed}: the weld was wound up (${windUp.toFixed(3)} m)`);
      t.true(deepest < 0.003, `seed ${seed}: ${name}: the head sank ${(deepest * 1000).toFixed(2)} mm into solid block`);
      t.false(e.env.success, `seed ${seed}: no success`);
      t.is(e.env.failure, null);
      e.env.close();
    }
  });
}

test('a peg inserted into a wrong hole ends the episode with a generic violation', async (t) => {
  for (const seed of [1, 4]) {
    const e = await episode(seed);
    t.teardown(() => e.env.close());
    const wrong = (e.config.target + 1 + (seed % 2)) % 3;
    grasp(e);
    steer(e, 120, () => holePoint(e.layout, wrong, -0.05));
    t.is(e.env.failure, null, 'lining up in front of a wrong hole is no violation');
    steer(e, 60, () => holePoint(e.layout, wrong, 0.08));
    t.is(e.env.failure, 'inserted the peg into a wrong hole');
    t.false(/\d/.test(e.env.failure!), 'the violation does not name the candidate');
    t.true(e.env.done);
    t.false(e.env.success);
    const fit = channelFit(e.layout, wrong, pegState(e.env));
    t.true(fit.overlap >= PEG.wrongOverlap && fit.overlap < 0.03, `stopped as soon as it was 1 cm in (${fit.overlap})`);
    e.env.close();
  }
});

test('success needs the hold time: a dip into the target that leaves early does not count; staying in does', async (t) => {
  const e = await episode(5);
  t.teardown(() => e.env.close());
  const hole = e.config.target;
  grasp(e);
  steer(e, 120, () => holePoint(e.layout, hole, -0.05));
  // In to 6 cm until the success test has held for half the hold time, then straight back out.
  let streak = 0;
  for (let k = 0; k < 60 && streak < CUED_SUCCESS_HOLD_STEPS / 2; k++) {
    e.env.step(fromNativeAction(toward(pegState(e.env).head, holePoint(e.layout, hole, 0.06), 10), 1));
    streak = e.env.privileged().successStreak;
  }
  t.is(streak, CUED_SUCCESS_HOLD_STEPS / 2);
  steer(e, 40, () => holePoint(e.layout, hole, -0.06));
  t.false(e.env.success);
  t.is(e.env.privileged().successStreak, 0);
  t.false(insertedIn(e.layout, hole, pegState(e.env)));
  // Back in and staying: success once the test has held for the full hold time.
  let firstTrue = -1,
    succeededAt = -1;
  for (let k = 0; k < 80 && succeededAt < 0; k++) {
    e.env.step(fromNativeAction(toward(pegState(e.env).head, holePoint(e.layout, hole, 0.07), 10), 1));
    if (firstTrue < 0 && e.env.privileged().successStreak === 1) firstTrue = k;
    if (e.env.success) succeededAt = k;
  }
  t.true(firstTrue >= 0 && succeededAt - firstTrue === CUED_SUCCESS_HOLD_STEPS - 1, `${firstTrue} → ${succeededAt}`);
  t.is(e.env.failure, null);
  t.true(insertedIn(e.layout, hole, pegState(e.env)));
});

test('the oracle inserts the peg into the cued hole without touching a wrong one', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  t.teardown(() => env.close());
  for (let seed = 10; seed < 16; seed++) {
    const config = task(seed);
    env.reset(config);
    const memory: Record<string, unknown> = {};
    while (!env.done) {
      const p = env.privileged();
      const c = p.cued!;
      const cmd = pegModule.oracle(
        {
          hand: env.handState(),
          mocap: p.mocap,
          steps: p.steps,
          layout: config.layout as PegLayout,
          target: config.target,
          state: c.state as PegState,
          start: c.start as PegState,
        },
        memory,
      );
      env.step(fromNativeAction(cmd.move, cmd.effort));
    }
    t.true(env.success, `seed ${seed}`);
    t.is(env.failure, null);
    t.true(insertedIn(config.layout as PegLayout, config.target, pegState(env)));
    t.true(env.steps < 300, `seed ${seed}: ${env.steps} steps`);
  }
});

test('determinism: the same instance and actions give bit-identical trajectories', async (t) => {
  const mj = await loadMujoco();
  const run = () => {
    const env = new ManipulationEnv(mj, ENV, { images: false });
    try {
      env.reset(task(7));
      const policy = new RandomPolicy();
      policy.reset({ task: { env_id: ENV } as never, episodeSeed: 99 });
      const trace: number[] = [];
      for (let k = 0; k < 120; k++) {
        env.step(policy.act());
        trace.push(...(env.data.qpos as Float64Array));
      }
      return trace;
    } finally {
      env.close();
    }
  };
  t.deepEqual(run(), run());
});

// ---------- the policies a miner could run: from pixels, and blind ----------

test('vision: the skill finds the cued hole from the two camera images and inserts the peg', async (t) => {
  const result = await evaluateMinerPolicy({ policy: createMinerPolicy('vision'), envIds: [ENV], episodes: 2, seed: 3 });
  t.deepEqual(
    result.episodes.map((e) => [e.success, e.violation]),
    [
      [true, null],
      [true, null],
    ],
  );
});

/** Runs a blind script against an episode, feeding it proprioception only (as BlindPolicy does). */
function runBlind<T>(env: ManipulationEnv, config: CuedTaskConfig, script: (first: BlindObservation) => Generator<BlindCommand, T, BlindObservation>): T {
  const tracker = new CommandTracker();
  let obs = tracker.observe(env.reset(config));
  const gen = script(obs);
  let next = gen.next(obs);
  while (!next.done) {
    tracker.sent(next.value);
    const step = env.step({ continuous: { ee_twist: [...next.value.move, 0, 0, 0], gripper: [next.value.gripper] }, discrete: {}, extra: {} });
    if (step.done) throw new Error('the episode ended during the script');
    obs = tracker.observe(step.observation);
    next = gen.next(obs);
  }
  return next.value;
}

test("touch alone localises the block (side, face, yaw, hole height): only the holes' colours are out of its reach", async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false, endOnSuccess: false });
  t.teardown(() => env.close());
  for (const seed of [0, 2, 5]) {
    const config = task(seed);
    const layout = config.layout as PegLayout;
    const { face } = runBlind(env, config, (first) => findFace(first, new SecureRng(new Uint8Array(32).fill(seed))));
    t.truthy(face, `seed ${seed}: face found`);
    t.is(face!.side, Math.sign(layout.block[0]), `seed ${seed}: side`);
    const normal = rotateZ([1, 0, 0], layout.yaw);
    const angle = Math.acos(Math.min(1, face!.normal[0] * normal[0] + face!.normal[1] * normal[1]));
    t.true(angle < 3 * DEG, `seed ${seed}: face direction within ${(angle / DEG).toFixed(1)}°`);
    t.true(Math.abs(face!.axisZ - layout.block[2]) < 0.005, `seed ${seed}: hole height ${face!.axisZ} vs ${layout.block[2]}`);
  }
});

test('blind: ramming the held peg into the face below the holes never passes', async (t) => {
  const result = await evaluatePolicy({ envIds: [ENV], episodes: 2, seed: 0, images: false, policyFor: () => new BlindPolicy('peg-wedge') });
  const s = result.envs[ENV]!;
  t.is(s.successes, 0);
  t.is(s.episodes, 2);
});

test('blind: the touch attack gets the peg into a hole, but which one is a coin toss it cannot see', async (t) => {
  // Layouts where the attack completes within the episode: it ends in a hole, right or wrong.
  const result = await evaluatePolicy({ envIds: [ENV], episodes: 3, seed: 0, images: false, policyFor: () => new BlindPolicy('peg-touch-random') });
  const s = result.envs[ENV]!;
  t.true(s.successes + s.violations >= 1, `${s.successes} successes, ${s.violations} wrong holes`);
});
