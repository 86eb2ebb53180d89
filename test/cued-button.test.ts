import test from 'ava';
import { BlindPolicy } from '../src/miner/blind/policy.ts';
import { evaluateMinerPolicy } from '../src/miner/evaluate.ts';
import { createMinerPolicy } from '../src/miner/policies/index.ts';
import { fromNativeAction } from '../src/sim/action.ts';
import { BUTTON, buttonModule, capTop, type ButtonLayout, type ButtonState } from '../src/sim/cued/button.ts';
import { toWorld, toward, xyDist, type Vec3 } from '../src/sim/cued/geometry.ts';
import { CUED_SUCCESS_HOLD_STEPS } from '../src/sim/cued/module.ts';
import { HAND_HIGH, HAND_LOW, ManipulationEnv } from '../src/sim/env.ts';
import { devInstance, formatInstance, parseInstance } from '../src/sim/instance.ts';
import { loadMujoco } from '../src/sim/mujoco.ts';
import { Rng } from '../src/sim/rng.ts';
import { generateTask, parseTaskConfig, type CuedTaskConfig } from '../src/sim/tasks.ts';
import { stepOracle, touchReader } from './helpers/cued.ts';

const ENV = 'metaworld/button-press-v3' as const;
const SUCCESS_DEPTH = BUTTON.successFraction * BUTTON.travel;

function task(seed: number, episode = 0): CuedTaskConfig {
  return generateTask(ENV, devInstance(seed, episode)) as CuedTaskConfig;
}

async function makeEnv(options: { endOnSuccess?: boolean; maxSteps?: number } = {}): Promise<ManipulationEnv> {
  return new ManipulationEnv(await loadMujoco(), ENV, { images: false, ...options });
}

function depths(env: ManipulationEnv): number[] {
  return (env.privileged().cued!.state as ButtonState).depths;
}

/** One step of the button oracle acting for `target` (which may be a wrong button). */
function oracleStep(env: ManipulationEnv, target: number, memory: Record<string, unknown> = {}) {
  return stepOracle(env, buttonModule, target, memory);
}

/** One step of a scripted controller that drives the fingertips toward `tcpGoal` (closed fingers). */
function driveStep(env: ManipulationEnv, tcpGoal: Vec3, gain = 10) {
  const p = env.privileged();
  return env.step(fromNativeAction(toward(p.hand, [tcpGoal[0], tcpGoal[1], tcpGoal[2] + 0.045], gain), 1));
}

/** Drives the fingertips to hover over cap k, then runs `press` steps toward `tcpGoal(k)`. */
function hoverThen(env: ManipulationEnv, layout: ButtonLayout, k: number) {
  const top = capTop(layout, k);
  for (let s = 0; s < 120; s++) {
    driveStep(env, [top[0], top[1], top[2] + 0.05]);
    if (xyDist(env.privileged().tcp, top) < 0.003 && Math.abs(env.privileged().tcp[2] - top[2] - 0.05) < 0.005) return;
  }
  throw new Error('could not reach the hover point');
}

test('layouts: within the ranges, panel inside the walls, every cap within reach', (t) => {
  const seen = { x: [Infinity, -Infinity], y: [Infinity, -Infinity], yaw: [Infinity, -Infinity], top: [Infinity, -Infinity] };
  for (let i = 0; i < 400; i++) {
    const config = task(41, i);
    const layout = config.layout as ButtonLayout;
    t.notThrows(() => parseTaskConfig(config));
    for (const key of ['x', 'y', 'yaw', 'top'] as const) {
      const [lo, hi] = BUTTON[key];
      t.true(layout[key] >= lo && layout[key] <= hi, `${key} ${layout[key]}`);
      seen[key] = [Math.min(seen[key][0]!, layout[key]), Math.max(seen[key][1]!, layout[key])];
    }
    for (const [cx, cy] of [
      [-1, -1],
      [-1, 1],
      [1, -1],
      [1, 1],
    ]) {
      const c = toWorld([layout.x, layout.y, 0], layout.yaw, [cx! * BUTTON.halfLength, cy! * BUTTON.halfWidth, 0]);
      t.true(Math.abs(c[0]) < 0.68 && c[1] > 0.22 && c[1] < 0.98, 'the panel stays inside the retaining walls');
    }
    for (let k = 0; k < 3; k++) {
      const c = capTop(layout, k);
      for (let d = 0; d < 2; d++) t.true(c[d]! > HAND_LOW[d]! + 0.03 && c[d]! < HAND_HIGH[d]! - 0.03, `cap ${k} at ${c} out of reach`);
    }
  }
  for (const key of ['x', 'y', 'yaw', 'top'] as const) {
    const [lo, hi] = BUTTON[key];
    t.true(seen[key][1]! - seen[key][0]! > 0.8 * (hi - lo), `${key} spans ${seen[key]}`);
  }
});

test('the layout depends only on the layout stream; the variant picks target and colours', (t) => {
  const base = parseInstance(devInstance(78, 0));
  const targets = new Set<number>();
  let layout: unknown;
  for (let v = 0; v < 12; v++) {
    const config = generateTask(ENV, formatInstance({ ...base, variant: new Uint8Array(32).fill(v + 1) })) as CuedTaskConfig;
    layout ??= config.layout;
    t.deepEqual(config.layout, layout);
    targets.add(config.target);
  }
  t.is(targets.size, 3, 'every button is the target for some variant');
});

test('the three buttons are identical to touch (bodies, caps, slides differ only by their place in the row)', async (t) => {
  const env = await makeEnv();
  try {
    const { m, slice, joint, geoms } = touchReader(env.model);
    const fingerprint = (k: number) => {
      const body = env.id('body', `button_${k}`);
      const slide = env.id('joint', `button_slide_${k}`);
      return {
        body: { mass: m.body_mass![body], inertia: slice('body_inertia', body, 3), yz: slice('body_pos', body, 3).slice(1), quat: slice('body_quat', body, 4) },
        joint: { ...joint(slide), springref: m.qpos_spring![m.jnt_qposadr![slide]!] },
        geoms: geoms(body),
      };
    };
    const first = fingerprint(0);
    t.is(first.geoms.length, 1);
    t.true(first.joint.stiffness > 0, 'spring-loaded');
    for (const k of [1, 2]) t.deepEqual(fingerprint(k), first, `button ${k}`);
  } finally {
    env.close();
  }
});

test('judge: success needs the target pressed 2/3 of its travel; another past 1/3 is a violation', (t) => {
  const layout = task(5).layout as ButtonLayout;
  const hand = {
    hand: [0, 0.6, 0.3] as Vec3,
    tcp: [0, 0.6, 0.255] as Vec3,
    gripperDistance: 0.3,
    leftPad: [0, 0.61, 0.3] as Vec3,
    rightPad: [0, 0.59, 0.3] as Vec3,
    effort: 1,
  };
  const start = { depths: [0, 0, 0] };
  const judge = (d: number[], target: number) => buttonModule.judge({ depths: d }, start, layout, target, hand);
  t.false(judge([0, SUCCESS_DEPTH - 0.0005, 0], 1).success);
  t.true(judge([0, SUCCESS_DEPTH + 0.0001, 0], 1).success);
  t.is(judge([0.0035, 0.012, 0], 1).violation, null);
  t.is(judge([0.0045, 0.012, 0], 1).violation, 'pressed a wrong button');
  t.is(judge([0, 0, 0.01], 0).violation, 'pressed a wrong button');
});

test('oracle: presses the target and holds it for the hold time; the other buttons never move', async (t) => {
  const env = await makeEnv({ endOnSuccess: false, maxSteps: 150 });
  try {
    for (let i = 0; i < 8; i++) {
      const config = task(4, i);
      env.reset(config);
      let firstTrue = -1;
      let successStep = -1;
      let worstOther = 0;
      for (let s = 0; s < 150; s++) {
        const result = oracleStep(env, config.target);
        const d = depths(env);
        if (firstTrue < 0 && d[config.target]! >= SUCCESS_DEPTH) firstTrue = result.steps;
        if (successStep < 0 && result.success) successStep = result.steps;
        d.forEach((x, k) => (k === config.target ? undefined : (worstOther = Math.max(worstOther, x))));
        t.is(result.violation, null);
      }
      t.true(successStep > 0, `instance ${i}: pressed`);
      t.is(successStep - firstTrue, CUED_SUCCESS_HOLD_STEPS - 1);
      t.true(depths(env)[config.target]! > 0.95 * BUTTON.travel, 'held at the bottom stop');
      t.true(worstOther < 0.0005, `instance ${i}: another button moved ${worstOther} m`);
    }
  } finally {
    env.close();
  }
});

test('pressing a wrong button ends the episode as a failure', async (t) => {
  const env = await makeEnv();
  try {
    for (let i = 0; i < 3; i++) {
      const config = task(8, i);
      const wrong = (config.target + 1 + (i % 2)) % 3;
      env.reset(config);
      let last;
      for (let s = 0; s < 200 && !last?.done; s++) last = oracleStep(env, wrong);
      t.is(last!.violation, 'pressed a wrong button');
      t.false(last!.success);
    }
  } finally {
    env.close();
  }
});

test('success is a real, held press: a shallow press, a short tap and a released button do not pass', async (t) => {
  const env = await makeEnv({ endOnSuccess: false, maxSteps: 400 });
  try {
    const config = task(15, 2);
    const layout = config.layout as ButtonLayout;
    const k = config.target;
    const top = capTop(layout, k);

    // Shallow: the fingertips commanded 3 mm into the cap hold it between the margins, forever.
    env.reset(config);
    hoverThen(env, layout, k);
    for (let s = 0; s < 80; s++) driveStep(env, [top[0], top[1], top[2] - 0.003], 4);
    const shallow = depths(env)[k]!;
    t.true(shallow > 0.001 && shallow < SUCCESS_DEPTH, `shallow press reached ${shallow}`);
    t.false(env.success);

    // A tap: pressed to the stop, then released before the hold time is up.
    env.reset(config);
    hoverThen(env, layout, k);
    let run = 0;
    let longest = 0;
    let pressedSteps = 0;
    for (let s = 0; s < 100; s++) {
      driveStep(env, pressedSteps < 3 ? [top[0], top[1], top[2] - 0.02] : [top[0], top[1], top[2] + 0.08], 10);
      const down = depths(env)[k]! >= SUCCESS_DEPTH;
      if (down) pressedSteps++;
      run = down ? run + 1 : 0;
      longest = Math.max(longest, run);
    }
    t.true(longest > 0 && longest < CUED_SUCCESS_HOLD_STEPS, `pressed for ${longest} steps`);
    t.false(env.success, 'a tap shorter than the hold time does not count');
    // The spring brought the cap back up.
    t.true(depths(env)[k]! < 0.0005, `released cap still at ${depths(env)[k]}`);
  } finally {
    env.close();
  }
});

test('determinism: the same instance and actions give the same trajectory', async (t) => {
  const env = await makeEnv({ maxSteps: 150 });
  try {
    const config = task(22, 1);
    const record = () => {
      env.reset(config);
      const rng = new Rng(98);
      const out: number[] = [];
      for (let s = 0; s < 150; s++) {
        const result = env.step(fromNativeAction([rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 0.2)], rng.uniform(-1, 1)));
        out.push(...result.observation.proprio.ee_pos, ...depths(env), result.reward);
        if (result.done) break;
      }
      return out;
    };
    t.deepEqual(record(), record());
  } finally {
    env.close();
  }
});

test('vision: from the two camera images alone, presses the cued button', async (t) => {
  const result = await evaluateMinerPolicy({ policy: createMinerPolicy('vision'), envIds: [ENV], episodes: 3, seed: 11, maxSteps: 200 });
  t.deepEqual(
    result.episodes.map((e) => [e.success, e.violation]),
    [
      [true, null],
      [true, null],
      [true, null],
    ],
  );
});

test('blind adversary: proprioception only, yet it finds the panel and presses a cap in most episodes', async (t) => {
  const env = await makeEnv();
  const policy = new BlindPolicy('button-touch-press');
  try {
    let pressed = 0;
    for (let i = 0; i < 6; i++) {
      const config = task(19, i);
      await policy.reset({ task: { env_id: ENV, env_name: 'metaworld', task_name: 'button-press-v3' }, episodeSeed: i });
      let observation = env.reset(config); // no images: the environment renders none here
      for (;;) {
        const result = env.step(await policy.act(observation));
        observation = result.observation;
        if (result.done) break;
      }
      // It pressed some button: the target (success) or a wrong one (a real adversary, not a no-op).
      if (env.success || env.failure === 'pressed a wrong button') pressed++;
    }
    t.true(pressed >= 4, `pressed a button in ${pressed}/6 episodes`);
  } finally {
    env.close();
  }
});
