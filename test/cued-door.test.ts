import test from 'ava';
import { BlindPolicy } from '../src/miner/blind/policy.ts';
import { cameraImageHook, evaluateMinerPolicy } from '../src/miner/evaluate.ts';
import { createMinerPolicy } from '../src/miner/policies/index.ts';
import { PALETTE_CLASS } from '../src/miner/vision/cued/classes.ts';
import { estimateCabinet } from '../src/miner/vision/cued/door.ts';
import { buildCuedFrame, readCue } from '../src/miner/vision/cued/frame.ts';
import { fromNativeAction } from '../src/sim/action.ts';
import { CUED_SUCCESS_HOLD_STEPS } from '../src/sim/cued/module.ts';
import { DOOR, doorModule, doorPoint, type DoorLayout, type DoorState } from '../src/sim/cued/door.ts';
import { toLocal, toWorld, toward, type Vec3 } from '../src/sim/cued/geometry.ts';
import { ManipulationEnv, HAND_HIGH, HAND_LOW } from '../src/sim/env.ts';
import { devInstance, formatInstance, parseInstance } from '../src/sim/instance.ts';
import { loadMujoco } from '../src/sim/mujoco.ts';
import { Rng } from '../src/sim/rng.ts';
import { generateTask, parseTaskConfig, type CuedTaskConfig } from '../src/sim/tasks.ts';
import { stepOracle, touchReader } from './helpers/cued.ts';

const ENV = 'metaworld/door-open-v3' as const;

function task(seed: number, episode = 0): CuedTaskConfig {
  return generateTask(ENV, devInstance(seed, episode)) as CuedTaskConfig;
}

async function makeEnv(options: { endOnSuccess?: boolean; maxSteps?: number } = {}): Promise<ManipulationEnv> {
  return new ManipulationEnv(await loadMujoco(), ENV, { images: false, ...options });
}

function doorState(env: ManipulationEnv): DoorState {
  return env.privileged().cued!.state as DoorState;
}

/** One step of the door oracle acting for `target` (which may be a wrong door). */
function oracleStep(env: ManipulationEnv, target: number, memory: Record<string, unknown>) {
  return stepOracle(env, doorModule, target, memory);
}

/** One step of a scripted controller that drives the fingertips toward `tcpGoal` (closed fingers). */
function driveStep(env: ManipulationEnv, tcpGoal: Vec3, gain = 10) {
  const p = env.privileged();
  return env.step(fromNativeAction(toward(p.hand, [tcpGoal[0], tcpGoal[1], tcpGoal[2] + 0.045], gain), 1));
}

test('layouts: within the ranges, carcass in front of the far wall, every handle within reach along its whole swing', (t) => {
  const seen = { x: [Infinity, -Infinity], y: [Infinity, -Infinity], yaw: [Infinity, -Infinity], plinth: [Infinity, -Infinity] };
  for (let i = 0; i < 400; i++) {
    const config = task(31, i);
    const layout = config.layout as DoorLayout;
    t.notThrows(() => parseTaskConfig(config));
    for (const key of ['x', 'y', 'yaw', 'plinth'] as const) {
      const [lo, hi] = DOOR[key];
      t.true(layout[key] >= lo && layout[key] <= hi, `${key} ${layout[key]}`);
      seen[key] = [Math.min(seen[key][0]!, layout[key]), Math.max(seen[key][1]!, layout[key])];
    }
    for (const [cx, cy] of [
      [-1, 1],
      [1, 1],
    ]) {
      const corner = toWorld([layout.x, layout.y, 0], layout.yaw, [cx! * DOOR.halfWidth, cy! * DOOR.halfDepth, 0]);
      t.true(corner[1] <= DOOR.farWall, 'the carcass stays in front of the far wall');
    }
    for (let k = 0; k < 3; k++) {
      for (let a = 0; a <= DOOR.maxAngle; a += 0.1) {
        const p = doorPoint(layout, k, a, { ...DOOR.gap, z: DOOR.handle.z });
        for (let d = 0; d < 2; d++) t.true(p[d]! > HAND_LOW[d]! + 0.02 && p[d]! < HAND_HIGH[d]! - 0.02, `door ${k} hook point ${p} out of reach`);
      }
    }
  }
  // Wide randomization: every coordinate of the cabinet covers most of its range.
  for (const key of ['x', 'y', 'yaw', 'plinth'] as const) {
    const [lo, hi] = DOOR[key];
    t.true(seen[key][1]! - seen[key][0]! > 0.8 * (hi - lo), `${key} spans ${seen[key]}`);
  }
});

test('the layout depends only on the layout stream; the variant picks target and colours', (t) => {
  const base = parseInstance(devInstance(77, 0));
  const targets = new Set<number>();
  let layout: unknown;
  for (let v = 0; v < 12; v++) {
    const variant = new Uint8Array(32).fill(v + 1);
    const config = generateTask(ENV, formatInstance({ ...base, variant })) as CuedTaskConfig;
    layout ??= config.layout;
    t.deepEqual(config.layout, layout);
    targets.add(config.target);
    t.is(new Set(config.candidate_colours).size, 3);
  }
  t.is(targets.size, 3, 'every door is the target for some variant');
});

test('the three doors are identical to touch (bodies, geoms, hinges differ only by their bay offset)', async (t) => {
  const env = await makeEnv();
  try {
    const { m, slice, joint, geoms } = touchReader(env.model);
    const fingerprint = (k: number) => {
      const body = env.id('body', `door_${k}`);
      return {
        body: {
          mass: m.body_mass![body],
          inertia: slice('body_inertia', body, 3),
          ipos: slice('body_ipos', body, 3),
          y: slice('body_pos', body, 3).slice(1),
          quat: slice('body_quat', body, 4),
        },
        joint: joint(env.id('joint', `door_hinge_${k}`)),
        geoms: geoms(body),
      };
    };
    const first = fingerprint(0);
    t.true(first.geoms.length >= 4);
    for (const k of [1, 2]) t.deepEqual(fingerprint(k), first, `door ${k}`);
    const xs = [0, 1, 2].map((k) => (m.body_pos as ArrayLike<number>)[3 * env.id('body', `door_${k}`)]!);
    t.true(Math.abs(xs[1]! - xs[0]! - DOOR.pitch) < 1e-9 && Math.abs(xs[2]! - xs[1]! - DOOR.pitch) < 1e-9, 'evenly spaced bays');
  } finally {
    env.close();
  }
});

test('judge: success needs the target open at least 1 rad; any other door past 0.15 rad is a violation', (t) => {
  const layout = task(5).layout as DoorLayout;
  const hand = {
    hand: [0, 0.5, 0.35] as Vec3,
    tcp: [0, 0.5, 0.305] as Vec3,
    gripperDistance: 0.3,
    leftPad: [0, 0.51, 0.35] as Vec3,
    rightPad: [0, 0.49, 0.35] as Vec3,
    effort: 1,
  };
  const start = { angles: [0, 0, 0] };
  const judge = (angles: number[], target: number) => doorModule.judge({ angles }, start, layout, target, hand);
  t.false(judge([0, 0.99, 0], 1).success);
  t.true(judge([0, 1.0, 0], 1).success);
  t.is(judge([0, 1.2, 0.14], 1).violation, null, 'a nudge below the margin is not a violation');
  t.is(judge([0.16, 1.2, 0], 1).violation, 'opened a wrong door');
  t.is(judge([0, 0, 0.5], 1).violation, 'opened a wrong door');
  t.true(judge([0, 0.5, 0], 1).reward > judge([0, 0.1, 0], 1).reward, 'the shaped reward grows as the door opens');
});

test('oracle: opens the target door, held for the hold time, and never moves another door', async (t) => {
  const env = await makeEnv({ endOnSuccess: false, maxSteps: 260 });
  try {
    for (let i = 0; i < 6; i++) {
      const config = task(3, i);
      env.reset(config);
      const memory = {};
      let firstTrue = -1;
      let successStep = -1;
      let worstOther = 0;
      for (let s = 0; s < 260; s++) {
        const result = oracleStep(env, config.target, memory);
        const { angles } = doorState(env);
        if (firstTrue < 0 && angles[config.target]! >= DOOR.successAngle) firstTrue = result.steps;
        if (successStep < 0 && result.success) successStep = result.steps;
        angles.forEach((a, k) => (k === config.target ? undefined : (worstOther = Math.max(worstOther, Math.abs(a)))));
        t.is(result.violation, null);
        if (result.done) break;
      }
      t.true(successStep > 0, `instance ${i}: the oracle opened the door`);
      t.is(successStep - firstTrue, CUED_SUCCESS_HOLD_STEPS - 1, 'success counts once the test has held for the hold time');
      // Dragged on to the stop, the door never pushes a neighbour, and the gripper never touches one.
      t.true(doorState(env).angles[config.target]! > 1.2);
      t.true(worstOther < 0.005, `instance ${i}: a neighbour moved by ${worstOther} rad`);
    }
  } finally {
    env.close();
  }
});

test('opening a wrong door ends the episode as a failure', async (t) => {
  const env = await makeEnv();
  try {
    for (let i = 0; i < 3; i++) {
      const config = task(9, i);
      const wrong = (config.target + 1 + (i % 2)) % 3;
      env.reset(config);
      const memory = {};
      let last;
      for (let s = 0; s < 300 && !last?.done; s++) last = oracleStep(env, wrong, memory);
      t.is(last!.violation, 'opened a wrong door');
      t.false(last!.success);
      t.true(doorState(env).angles[wrong]! > DOOR.violationAngle);
      t.true(doorState(env).angles[wrong]! < 0.3, 'the episode ends as soon as the margin is crossed');
    }
  } finally {
    env.close();
  }
});

test('pushing on closed doors (leaves and handles, from the front) never opens them', async (t) => {
  const env = await makeEnv({ maxSteps: 400 });
  try {
    const config = task(12, 4);
    const layout = config.layout as DoorLayout;
    for (let k = 0; k < 3; k++) {
      for (const [name, local, depth] of [
        ['leaf', { u: 0.05, v: -0.1, z: 0.08 }, 0.03],
        ['handle bar', { u: DOOR.handle.u, v: -0.12, z: DOOR.handle.z }, 0.1],
      ] as const) {
        env.reset(config);
        const approach = doorPoint(layout, k, 0, local);
        // Come in from the front, then push 3 cm into the leaf (or 10 cm into the bar and leaf behind it).
        const into = doorPoint(layout, k, 0, { ...local, v: local.v + 0.1 + depth });
        let worst = 0;
        let blocked = 0;
        for (let s = 0; s < 160; s++) {
          const result = driveStep(env, s < 60 ? [approach[0], approach[1], approach[2] + 0.1] : s < 90 ? approach : into, 6);
          worst = Math.max(worst, ...doorState(env).angles);
          // How far the door holds the hand back from its mocap target, along the push (into the cabinet).
          const p = env.privileged();
          blocked = Math.max(blocked, toLocal([layout.x, layout.y, 0], layout.yaw, p.mocap)[1] - toLocal([layout.x, layout.y, 0], layout.yaw, p.hand)[1]);
          if (result.done) break;
        }
        t.true(blocked > 0.01, `door ${k} ${name}: the push met the door (held back ${blocked} m)`);
        t.true(worst < 0.01, `door ${k} ${name}: opened to ${worst} rad by a push`);
        t.is(env.failure, null);
      }
    }
  } finally {
    env.close();
  }
});

test('determinism: the same instance and actions give the same trajectory', async (t) => {
  const env = await makeEnv({ maxSteps: 150 });
  try {
    const config = task(21, 1);
    const record = () => {
      env.reset(config);
      const rng = new Rng(99);
      const out: number[] = [];
      for (let s = 0; s < 150; s++) {
        const move = [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 0.3)];
        const result = env.step(fromNativeAction(move, rng.uniform(-1, 1)));
        out.push(...result.observation.proprio.ee_pos, ...doorState(env).angles, result.reward);
        if (result.done) break;
      }
      return out;
    };
    t.deepEqual(record(), record());
  } finally {
    env.close();
  }
});

test('vision: from the two camera images alone, opens the cued door', async (t) => {
  const result = await evaluateMinerPolicy({ policy: createMinerPolicy('vision'), envIds: [ENV], episodes: 3, seed: 11, maxSteps: 300 });
  t.deepEqual(
    result.episodes.map((e) => [e.success, e.violation]),
    [
      [true, null],
      [true, null],
      [true, null],
    ],
  );
});

test('vision: the cabinet estimate from the first frame puts the target hook gap within 2.5 cm', async (t) => {
  const env = new ManipulationEnv(await loadMujoco(), ENV, { imageHook: cameraImageHook() });
  try {
    for (let i = 0; i < 6; i++) {
      const config = task(13, i);
      const frame = buildCuedFrame(env.reset(config));
      const cls = readCue(frame);
      t.is(cls, PALETTE_CLASS[config.candidate_colours[config.target]!], 'the cue reads as the target colour');
      const estimate = estimateCabinet(frame, cls!);
      t.truthy(estimate);
      const seen = doorPoint(estimate!.layout, estimate!.slot, 0, { ...DOOR.gap, z: DOOR.handle.z });
      const truth = doorPoint(config.layout as DoorLayout, config.target, 0, { ...DOOR.gap, z: DOOR.handle.z });
      const error = Math.hypot(seen[0] - truth[0], seen[1] - truth[1], seen[2] - truth[2]);
      t.true(error < 0.025, `instance ${i}: hook gap estimated ${(100 * error).toFixed(1)} cm off`);
    }
  } finally {
    env.close();
  }
});

test('blind adversary: proprioception only, yet it finds the cabinet and swings a door open in most episodes', async (t) => {
  const env = await makeEnv();
  const policy = new BlindPolicy('door-touch-hook');
  try {
    let opened = 0;
    for (let i = 0; i < 6; i++) {
      const config = task(17, i);
      await policy.reset({ task: { env_id: ENV, env_name: 'metaworld', task_name: 'door-open-v3' }, episodeSeed: i });
      let observation = env.reset(config); // no images: the environment renders none here
      for (;;) {
        const result = env.step(await policy.act(observation));
        observation = result.observation;
        if (result.done) break;
      }
      // It acted on some door: succeeded, or opened a wrong one (a real adversary, not a no-op).
      if (env.success || env.failure === 'opened a wrong door') opened++;
    }
    t.true(opened >= 4, `opened a door in ${opened}/6 episodes`);
  } finally {
    env.close();
  }
});
