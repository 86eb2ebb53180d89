/**
 * The cued family's core rules, on reach (the environments' own tests cover their scenes): colours
 * and the cue painted per instance, held success, violations ending the episode, the family guard,
 * and determinism of trajectories and images per instance key.
 */
import test from 'ava';
import { ManipulationEnv } from '../src/sim/env.ts';
import { CUED_SUCCESS_HOLD_STEPS } from '../src/sim/cued/module.ts';
import { colourRgb } from '../src/sim/cued/palette.ts';
import type { ReachLayout } from '../src/sim/cued/reach.ts';
import { devInstance } from '../src/sim/instance.ts';
import { RandomPolicy } from '../src/sim/policies.ts';
import { CameraRenderer } from '../src/sim/render/index.ts';
import { generateTask, type CuedTaskConfig } from '../src/sim/tasks.ts';

const ENV = 'metaworld/reach-v3' as const;
const task = (seed: number) => generateTask(ENV, devInstance(seed, 0)) as CuedTaskConfig;

/** Moves the fingertips toward `p` (hand frame 4.5 cm above them), P-controller. */
const toward = (env: ManipulationEnv, p: readonly number[]) => {
  const tcp = env.privileged().tcp;
  return { continuous: { ee_twist: [0, 1, 2].map((k) => 10 * (p[k]! - tcp[k]!)), gripper: [0] } };
};

test("candidates wear their palette colours, the cue light the target's", async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false });
  try {
    const c = task(3);
    env.reset(c);
    const rgba = env.model.geom_rgba as Float32Array;
    const rgbOf = (geom: string) => Array.from(rgba.subarray(4 * env.id('geom', geom), 4 * env.id('geom', geom) + 3));
    c.candidate_colours.forEach((colour, i) => {
      const expected = colourRgb(colour, c.candidate_jitter[i]);
      rgbOf(`marker_${i}`).forEach((v, k) => t.true(Math.abs(v - expected[k]!) < 1e-6, `marker ${i}`));
    });
    const cue = colourRgb(c.candidate_colours[c.target]!, c.cue_jitter);
    rgbOf('cue_lamp').forEach((v, k) => t.true(Math.abs(v - cue[k]!) < 1e-6, 'cue light'));
    t.is(new Set(c.candidate_colours).size, 3);
  } finally {
    env.close();
  }
});

test(`success counts only after the test has held ${CUED_SUCCESS_HOLD_STEPS} consecutive steps`, async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false, maxSteps: 400 });
  try {
    const c = task(5);
    env.reset(c);
    const goal = (c.layout as ReachLayout).markers[c.target]!;
    const oracleOf = (await import('../src/sim/oracle.ts')).oracleCommand;
    const memory = {};
    // Drive with the oracle until the success test first holds, then note the streak.
    let r;
    do {
      const cmd = oracleOf(ENV, env.privileged(), memory);
      r = env.step({ continuous: { ee_twist: cmd.move, gripper: [0] } });
    } while (env.privileged().successStreak === 0 && !r.done);
    t.false(r.success, 'not yet: the test has held one step');
    t.is(env.privileged().successStreak, 1);
    // Leave straight away (straight up: markers are ≥ 10 cm apart horizontally, so no wrong one is near):
    // the few steps still inside the radius do not make up the hold time, and the streak starts over.
    for (let i = 0; i < 15; i++) r = env.step({ continuous: { ee_twist: [0, 0, 1], gripper: [0] } });
    t.is(env.privileged().successStreak, 0, 'left the marker: the streak starts over');
    t.false(r.success);
    // Come back and hold.
    let held = 0;
    while (!r.done) {
      r = env.step(toward(env, goal));
      if (env.privileged().successStreak > 0) held++;
    }
    t.true(r.success);
    t.is(env.privileged().successStreak, CUED_SUCCESS_HOLD_STEPS);
    t.true(held >= CUED_SUCCESS_HOLD_STEPS);
  } finally {
    env.close();
  }
});

test('reaching a wrong marker ends the episode as a failure, with a generic reason', async (t) => {
  const env = await ManipulationEnv.create(ENV, { images: false, maxSteps: 400 });
  try {
    const c = task(7);
    env.reset(c);
    const wrong = ((c.target + 1) % 3) as number;
    const goal = (c.layout as ReachLayout).markers[wrong]!;
    let r;
    do r = env.step(toward(env, [goal[0], goal[1], goal[2]]));
    while (!r.done);
    t.false(r.success);
    t.is(r.violation, 'reached a wrong marker');
    t.is(env.failure, 'reached a wrong marker');
    t.false(r.truncated);
    t.true(r.steps < 400);
  } finally {
    env.close();
  }
});

test("an environment runs only its own family's instances", async (t) => {
  const cued = await ManipulationEnv.create(ENV, { images: false });
  const mw = await ManipulationEnv.create(ENV, { images: false, randomization: 'metaworld' });
  try {
    t.throws(() => cued.reset(generateTask(ENV, devInstance(1, 0, 'metaworld'))), { message: /metaworld instance/ });
    t.throws(() => mw.reset(generateTask(ENV, devInstance(1, 0, 'cued'))), { message: /cued instance/ });
  } finally {
    cued.close();
    mw.close();
  }
});

test('the same instance key and the same actions give the same trajectory and the same images', async (t) => {
  const renderer = new CameraRenderer({ backend: 'ts' });
  const run = async (seed: number, warmup?: number) => {
    const env = await ManipulationEnv.create(ENV, { images: true, endOnSuccess: false, maxSteps: 80, imageHook: (view) => renderer.observe([view])[0]! });
    try {
      if (warmup !== undefined) env.reset(task(warmup)); // another episode first on the same instance
      const policy = new RandomPolicy();
      policy.reset({ task: { env_id: ENV, env_name: '', task_name: '' }, episodeSeed: 99 });
      const trace = [JSON.stringify(env.reset(task(seed)))];
      for (let i = 0; i < 40; i++) {
        const r = env.step(policy.act());
        trace.push(JSON.stringify([r.observation, r.reward, r.success, r.violation]));
      }
      return trace;
    } finally {
      env.close();
    }
  };
  try {
    const first = await run(11);
    t.deepEqual(await run(11, 12), first);
    t.notDeepEqual(await run(13), first);
  } finally {
    renderer.destroy();
  }
});
