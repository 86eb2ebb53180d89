import test from 'ava';
import { EpisodeOverError, FINGER_LENGTH, HAND_HIGH, ManipulationEnv, liveEnvironmentCount } from '../src/sim/env.ts';
import { compileModel, loadMujoco, wasmHeapBytes } from '../src/sim/mujoco.ts';
import { RandomPolicy } from '../src/sim/policies.ts';
import { encodeImage, observationSchema, type Observation } from '../src/sim/protocol.ts';
import { ENV_IDS, type EnvId } from '../src/sim/registry.ts';
import { generateTask, type MetaworldTaskConfig } from '../src/sim/tasks.ts';
import { RANDOMIZATIONS } from '../src/sim/instance.ts';
import { sceneXmlFor } from '../src/sim/env.ts';
import { mwInstance } from './helpers/instances.ts';

const PRIMITIVE_GEOM_TYPES = new Set([0, 2, 3, 5, 6]); // plane, sphere, capsule, cylinder, box

/** MetaWorld camera frames (right, up) from the facts, world axes. */
const CAMERA_AXES: Record<string, [number[], number[], number]> = {
  corner: [[-0.7071, 0.7071, 0], [-0.1925, -0.1925, -0.9623], 45],
  corner2: [[-0.5499, -0.8332, 0.0584], [0.3762, -0.3095, -0.8733], 60],
};

test('every scene of both families compiles from primitives, with MetaWorld cameras and the geom-group convention', async (t) => {
  const mj = await loadMujoco();
  for (const [randomization, envId] of RANDOMIZATIONS.flatMap((r) => ENV_IDS.map((e) => [r, e] as const))) {
    const m = compileModel(mj, sceneXmlFor(envId, randomization), envId);
    const d = new mj.MjData(m);
    try {
      mj.mj_forward(m, d);
      t.is(m.nmesh, 0, `${envId}: no meshes`);
      const types = m.geom_type as Int32Array;
      const groups = m.geom_group as Int32Array;
      const rgba = m.geom_rgba as Float32Array;
      const contype = m.geom_contype as Int32Array;
      const conaffinity = m.geom_conaffinity as Int32Array;
      const bodyOf = m.geom_bodyid as Int32Array;
      for (let g = 0; g < m.ngeom; g++) {
        const name = mj.mj_id2name(m, mj.mjtObj.mjOBJ_GEOM.value, g);
        t.true(PRIMITIVE_GEOM_TYPES.has(types[g]!), `${envId}: geom ${name} is a primitive`);
        const hidden = groups[g]! >= 3;
        t.is(hidden, rgba[4 * g + 3] === 0, `${envId}: geom ${name} hidden iff alpha 0`);
        const body = mj.mj_id2name(m, mj.mjtObj.mjOBJ_BODY.value, bodyOf[g]!);
        if (body === 'arm_upper' || body === 'arm_fore' || name === 'goal' || name === 'cue_lamp' || name?.startsWith('marker_')) {
          t.is(contype[g]! | conaffinity[g]!, 0, `${envId}: ${name} never collides`);
        }
      }
      for (const [camera, [right, up, fovy]] of Object.entries(CAMERA_AXES)) {
        const c = mj.mj_name2id(m, mj.mjtObj.mjOBJ_CAMERA.value, camera);
        t.true(c >= 0, `${envId}: camera ${camera}`);
        const x = (d.cam_xmat as Float64Array).subarray(9 * c, 9 * c + 9);
        for (let k = 0; k < 3; k++) {
          t.true(Math.abs(x[3 * k]! - right[k]!) < 1e-3 && Math.abs(x[3 * k + 1]! - up[k]!) < 1e-3, `${envId}: ${camera} axes`);
        }
        t.is((m.cam_fovy as Float64Array)[c], fovy);
      }
      t.true(m.nlight >= 3);
      t.is(d.narena, 256 * 1024, 'small MjData arena');
    } finally {
      d.delete();
      m.delete();
    }
  }
});

test('reset returns the MetaWorld proprio channels and nothing privileged', async (t) => {
  const env = await ManipulationEnv.create('metaworld/push-v3', { randomization: 'metaworld', images: false });
  try {
    const obs = env.reset(generateTask('metaworld/push-v3', mwInstance(5)));
    t.notThrows(() => observationSchema.parse(obs));
    t.deepEqual(Object.keys(obs).sort(), ['cam_extrinsics', 'cam_intrinsics', 'depth', 'extra', 'proprio', 'rgb']);
    t.deepEqual(Object.keys(obs.proprio).sort(), ['ee_pos', 'ee_quat', 'ee_vel_ang', 'ee_vel_lin', 'gripper']);
    t.deepEqual([obs.rgb, obs.depth, obs.cam_intrinsics, obs.cam_extrinsics, obs.extra], [{}, {}, {}, {}, {}]);
    const [x, y, z] = obs.proprio.ee_pos!;
    t.true(Math.abs(x!) < 1e-3 && Math.abs(y! - 0.6) < 1e-3, 'TCP under the start position');
    t.true(Math.abs(z! - (0.2 - 0.0045 - FINGER_LENGTH)) < 2e-3, `TCP height ${z}`);
    const [qx, qy, qz, qw] = obs.proprio.ee_quat!;
    t.true(Math.abs(qw! - 1) < 1e-3 && Math.abs(qx!) + Math.abs(qy!) + Math.abs(qz!) < 3e-3, 'quaternion is x, y, z, w with w ≈ 1');
    t.is(obs.proprio.gripper!.length, 1);
    t.true(obs.proprio.gripper![0]! < 0.01, 'open gripper reads 0');
    const privileged = env.privileged();
    const serialized = JSON.stringify(obs);
    for (const v of [...privileged.object, ...privileged.goal]) t.false(serialized.includes(String(v)), 'object/goal coordinates never leak');
  } finally {
    env.close();
  }
});

test('actions move the mocap 1 cm per step, clip to the hand box, and velocities are real', async (t) => {
  const env = await ManipulationEnv.create('metaworld/reach-v3', { randomization: 'metaworld', images: false, endOnSuccess: false });
  try {
    env.reset(generateTask('metaworld/reach-v3', mwInstance(1)));
    const start = env.privileged().mocap;
    let obs: Observation | undefined;
    for (let i = 0; i < 10; i++) obs = env.step({ continuous: { ee_twist: [1, 0, 0, 0.5, 0.5, 0.5] } }).observation;
    t.true(Math.abs(env.privileged().mocap[0] - start[0] - 0.1) < 1e-12, '10 full-scale steps = 10 cm');
    const v = obs!.proprio.ee_vel_lin!;
    t.true(v[0]! > 0.6 && v[0]! < 1.0, `moving at ~0.8 m/s, got ${v[0]}`);
    t.true(Math.abs(v[1]!) < 0.05);
    for (let i = 0; i < 20; i++) obs = env.step({ continuous: { ee_twist: [0, 0, 0] } }).observation;
    t.true(Math.abs(obs!.proprio.ee_vel_lin![0]!) < 0.05, 'and comes to rest');

    const before = env.privileged().mocap;
    for (const junk of [
      { continuous: { ee_twist: [Number.NaN, Infinity, -Infinity], gripper: [Number.NaN] } },
      null,
      'garbage',
      { continuous: { ee_twist: [1e300] } },
    ]) {
      const r = env.step(junk);
      t.true(r.observation.proprio.ee_pos!.every(Number.isFinite));
    }
    const after = env.privileged().mocap;
    t.true(Math.abs(after[0] - before[0] - 0.01) < 1e-12, 'a huge command is clipped to 1 cm');
    t.is(after[1], before[1]);

    for (let i = 0; i < 120; i++) env.step({ continuous: { ee_twist: [1, 1, 1] } });
    t.deepEqual(env.privileged().mocap, HAND_HIGH, 'mocap clipped to the hand box');

    for (let i = 0; i < 25; i++) obs = env.step({ continuous: { gripper: [1] } }).observation;
    t.true(obs!.proprio.gripper![0]! > 0.95, 'closed gripper reads ~1');
    for (let i = 0; i < 25; i++) obs = env.step({ continuous: { gripper: [0] } }).observation;
    t.true(obs!.proprio.gripper![0]! < 0.05, 'open again');
  } finally {
    env.close();
  }
});

function rollout(env: ManipulationEnv, envId: EnvId, seed: number, steps: number): string[] {
  const policy = new RandomPolicy();
  policy.reset({ task: { env_id: envId, env_name: '', task_name: '' }, episodeSeed: seed });
  const trace = [JSON.stringify(env.reset(generateTask(envId, mwInstance(seed))))];
  for (let i = 0; i < steps && !env.done; i++) {
    const r = env.step(policy.act());
    trace.push(JSON.stringify([r.observation, r.reward, r.success, env.privileged()]));
  }
  return trace;
}

test('same seed and actions give bit-identical trajectories, whatever ran before', async (t) => {
  const mj = await loadMujoco();
  const envId: EnvId = 'metaworld/pick-place-v3';
  const a = new ManipulationEnv(mj, envId, { randomization: 'metaworld', images: false, endOnSuccess: false });
  const b = new ManipulationEnv(mj, envId, { randomization: 'metaworld', images: false, endOnSuccess: false });
  try {
    const first = rollout(a, envId, 11, 150);
    rollout(b, envId, 12, 200); // a different episode first
    t.deepEqual(rollout(b, envId, 11, 150), first);
    t.deepEqual(rollout(a, envId, 11, 150), first, 'repeatable on the same instance');
    t.notDeepEqual(rollout(a, envId, 13, 150), first);
  } finally {
    a.close();
    b.close();
  }
});

test('randomization is written into the model at reset and restored, never compounded', async (t) => {
  const env = await ManipulationEnv.create('metaworld/push-v3', { randomization: 'metaworld', images: false });
  const mj = env.mujoco;
  const read = () => {
    const m = env.model;
    const geom = (name: string) => mj.mj_name2id(m, mj.mjtObj.mjOBJ_GEOM.value, name);
    const body = (name: string) => mj.mj_name2id(m, mj.mjtObj.mjOBJ_BODY.value, name);
    const corner = mj.mj_name2id(m, mj.mjtObj.mjOBJ_CAMERA.value, 'corner');
    return {
      puckFriction: (m.geom_friction as Float64Array)[3 * geom('puck')]!,
      tableFriction: (m.geom_friction as Float64Array)[3 * geom('table_top')]!,
      fingerDamping: Array.from(m.dof_damping as Float64Array),
      puckMass: (m.body_mass as Float64Array)[body('puck')]!,
      tableRgba: Array.from((m.geom_rgba as Float32Array).subarray(4 * geom('table_top'), 4 * geom('table_top') + 4)),
      puckRgba: Array.from((m.geom_rgba as Float32Array).subarray(4 * geom('puck'), 4 * geom('puck') + 4)),
      cornerFovy: (m.cam_fovy as Float64Array)[corner]!,
      lightDiffuse: Array.from(m.light_diffuse as Float32Array),
      lightDir: Array.from(m.light_dir as Float64Array),
      goal: Array.from((env.data.xpos as Float64Array).subarray(3 * body('goal'), 3 * body('goal') + 3)),
      puck: Array.from((env.data.xpos as Float64Array).subarray(3 * body('puck'), 3 * body('puck') + 3)),
    };
  };
  try {
    const taskA = generateTask('metaworld/push-v3', mwInstance(1)) as MetaworldTaskConfig;
    const taskB = generateTask('metaworld/push-v3', mwInstance(2)) as MetaworldTaskConfig;
    env.reset(taskA);
    const a = read();
    t.true(Math.abs(a.puckFriction - 1 * taskA.physics_params.friction) < 1e-12, 'puck friction = nominal × factor');
    t.true(Math.abs(a.tableFriction - 1 * taskA.physics_params.friction) < 1e-12);
    t.true(Math.abs(a.puckMass - 0.75 * taskA.physics_params.mass_scale) < 1e-12);
    t.true(Math.abs(a.cornerFovy - (45 + taskA.domain_randomization.camera_fovy_jitter_deg.corner!)) < 1e-12);
    t.true(Math.abs(a.lightDiffuse[0]! - 0.3 * taskA.domain_randomization.light_intensity) < 1e-6);
    t.true(Math.abs(a.puckRgba[0]! - Math.min(1, 0.85 * taskA.domain_randomization.object_tint[0])) < 1e-6);
    t.true(Math.abs(a.goal[0]! - taskA.target_positions[0]) < 1e-12 && Math.abs(a.goal[1]! - taskA.target_positions[1]) < 1e-12, 'goal marker moved');
    t.true(Math.hypot(a.puck[0]! - taskA.object_positions[0], a.puck[1]! - taskA.object_positions[1]) < 1e-3, 'puck placed');

    env.reset(taskB);
    const b = read();
    for (const key of Object.keys(a) as (keyof typeof a)[]) t.notDeepEqual(a[key], b[key], `${key} differs between seeds`);

    for (let i = 0; i < 5; i++) {
      env.reset(taskB);
      env.reset(taskA);
    }
    t.deepEqual(read(), a, 'back to exactly the same model after other episodes');
  } finally {
    env.close();
  }
});

test('episodes: sticky success, end-on-success option, step limit, step after the end throws', async (t) => {
  const envId: EnvId = 'metaworld/reach-v3';
  const task = generateTask(envId, mwInstance(4));
  const towardGoal = (env: ManipulationEnv) => {
    const p = env.privileged();
    return { continuous: { ee_twist: [0, 1, 2].map((k) => 5 * (p.goal[k]! - p.hand[k]!)) } };
  };
  const ending = await ManipulationEnv.create(envId, { randomization: 'metaworld', images: false, maxSteps: 200 });
  const running = await ManipulationEnv.create(envId, { randomization: 'metaworld', images: false, maxSteps: 150, endOnSuccess: false });
  try {
    t.throws(() => ending.step({}), { instanceOf: EpisodeOverError }, 'no step before reset');
    ending.reset(task);
    let r;
    do r = ending.step(towardGoal(ending));
    while (!r.done);
    t.true(r.success && !r.truncated && r.steps < 200, 'ends at the first success');
    t.throws(() => ending.step({}), { instanceOf: EpisodeOverError });

    running.reset(task);
    let sawSuccess = false;
    for (;;) {
      const p = running.privileged();
      // Fly to the goal, then away from it: success must stay true.
      const action = sawSuccess ? { continuous: { ee_twist: [0, -1, 1] } } : towardGoal(running);
      r = running.step(action);
      sawSuccess ||= r.success;
      if (sawSuccess) t.true(r.success, 'sticky');
      if (r.done) break;
      t.true(p.steps < 150);
    }
    t.true(r.truncated && r.steps === 150 && r.success);
    t.true(Math.hypot(...running.privileged().tcp.map((v, k) => v - running.privileged().goal[k]!)) > 0.05, 'really left the goal');
    t.throws(() => running.reset(generateTask('metaworld/push-v3', mwInstance(1))), { message: /push-v3/ });
  } finally {
    ending.close();
    running.close();
  }
});

test('the image hook fills images when images are on', async (t) => {
  const pixels = new Uint8Array(2 * 2 * 3).fill(7);
  let calls = 0;
  const env = await ManipulationEnv.create('metaworld/reach-v3', {
    randomization: 'metaworld',
    imageHook: (view) => {
      calls++;
      t.true(view.model.ngeom > 0 && view.data.qpos.length > 0 && view.envId === 'metaworld/reach-v3');
      return { rgb: { corner: encodeImage(pixels, 2, 2) } };
    },
  });
  try {
    t.deepEqual(Object.keys(env.reset(generateTask('metaworld/reach-v3', mwInstance(1))).rgb), ['corner']);
    t.deepEqual(Object.keys(env.step({}).observation.rgb), ['corner']);
    env.images = false;
    t.deepEqual(env.step({}).observation.rgb, {});
    t.is(calls, 2);
  } finally {
    env.close();
  }
});

test.serial('1,000 resets and 100 create/close cycles leave the wasm heap and env count flat', async (t) => {
  const mj = await loadMujoco();
  const baseline = liveEnvironmentCount();
  const env = new ManipulationEnv(mj, 'metaworld/peg-insert-v3', { randomization: 'metaworld', images: false });
  try {
    for (let i = 0; i < 20; i++) env.reset(generateTask('metaworld/peg-insert-v3', mwInstance(i)));
    const heap = wasmHeapBytes(env.model);
    for (let i = 0; i < 1000; i++) {
      env.reset(generateTask('metaworld/peg-insert-v3', mwInstance(i)));
      if (i % 100 === 0) env.step({ continuous: { ee_twist: [0, 0, -1] } });
    }
    t.is(wasmHeapBytes(env.model), heap, 'heap unchanged after 1,000 resets');
    for (let i = 0; i < 100; i++) new ManipulationEnv(mj, 'metaworld/door-open-v3', { randomization: 'metaworld', images: false }).close();
    t.is(wasmHeapBytes(env.model), heap, 'heap unchanged after 100 environments came and went');
    t.is(liveEnvironmentCount(), baseline + 1);
  } finally {
    env.close();
  }
  t.is(liveEnvironmentCount(), baseline);
});

test.serial('typed-array views are re-fetched after the wasm heap grows', async (t) => {
  const mj = await loadMujoco();
  const envId: EnvId = 'metaworld/push-v3';
  const reference = new ManipulationEnv(mj, envId, { randomization: 'metaworld', images: false, endOnSuccess: false });
  const env = new ManipulationEnv(mj, envId, { randomization: 'metaworld', images: false, endOnSuccess: false });
  const ballast: { delete(): void }[] = [];
  try {
    const expected = rollout(reference, envId, 21, 60);
    const policy = new RandomPolicy();
    policy.reset({ task: { env_id: envId, env_name: '', task_name: '' }, episodeSeed: 21 });
    const trace = [JSON.stringify(env.reset(generateTask(envId, mwInstance(21))))];
    const staleView = env.data.qpos as Float64Array;
    const heapBefore = wasmHeapBytes(env.model);
    for (let i = 0; i < 60; i++) {
      if (i === 30) {
        // Grow the heap mid-episode: every existing view into it detaches.
        while (wasmHeapBytes(env.model) === heapBefore) ballast.push(new mj.MjData(env.model));
        t.is(staleView.length, 0, 'old views detached');
      }
      const r = env.step(policy.act());
      trace.push(JSON.stringify([r.observation, r.reward, r.success, env.privileged()]));
    }
    t.deepEqual(trace, expected);
  } finally {
    for (const d of ballast) d.delete();
    reference.close();
    env.close();
  }
});
