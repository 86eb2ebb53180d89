/**
 * In-process controllers for the cued puck environments' tests (push, pick-place): drive a real
 * ManipulationEnv with scripted commands that read the privileged state, and record what happened.
 */
import { fromNativeAction } from '../../src/sim/action.ts';
import { toward, type Vec3 } from '../../src/sim/cued/geometry.ts';
import type { CuedOracleView, OracleCommand } from '../../src/sim/cued/module.ts';
import { PUCKS, type PucksLayout, type PucksState } from '../../src/sim/cued/pucks.ts';
import { ManipulationEnv, type PrivilegedState } from '../../src/sim/env.ts';
import { GOAL_COLOUR, HSV } from '../../src/sim/cued/palette.ts';
import type { CuedTaskConfig } from '../../src/sim/cued/tasks.ts';
import { devInstance } from '../../src/sim/instance.ts';
import type { EnvId } from '../../src/sim/registry.ts';
import { generateTask } from '../../src/sim/tasks.ts';
import type { HandState } from '../../src/sim/binding.ts';
import { CommandTracker, type BlindCommand, type BlindObservation } from '../../src/miner/blind/common.ts';
import type { Observation } from '../../src/sim/protocol.ts';
import { oracleView } from './cued.ts';
import { CameraRenderer, projectPoint } from '../../src/sim/render/index.ts';

export type PucksView = CuedOracleView<PucksLayout, PucksState>;

/** The oracle's view of the env now (what CUED_MODULES[..].oracle receives). */
export function viewOf(p: PrivilegedState): PucksView {
  return oracleView<PucksLayout, PucksState>(p);
}

export interface Run {
  steps: number;
  success: boolean;
  violation: string | null;
  /** Per step: the success streak the core counted, and the target's centre. */
  streaks: number[];
  /** The last privileged state. */
  last: PrivilegedState;
  /** The controller's memory at the end. */
  memory: Record<string, unknown>;
}

/**
 * Steps the env (already reset) with `controller` until the episode ends, `until` says stop, or
 * `maxSteps` more steps ran. The controller gets the view and a per-run memory.
 */
export function drive(env: ManipulationEnv, controller: (view: PucksView, memory: Record<string, unknown>) => OracleCommand | null, maxSteps = 500): Run {
  const memory: Record<string, unknown> = {};
  const streaks: number[] = [];
  let success = false;
  let violation: string | null = null;
  let steps = 0;
  for (let i = 0; i < maxSteps && !env.done; i++) {
    const command = controller(viewOf(env.privileged()), memory);
    if (command === null) break;
    const r = env.step(fromNativeAction(command.move, command.effort));
    streaks.push(env.privileged().successStreak);
    success = r.success;
    violation = r.violation;
    steps = r.steps;
  }
  return { steps, success, violation, streaks, last: env.privileged(), memory };
}

/** Hand-frame target putting the fingertips at `tcp`. */
export const handTargetFor = (hand: HandState, tcp: Vec3): Vec3 => [
  tcp[0] + hand.hand[0] - hand.tcp[0],
  tcp[1] + hand.hand[1] - hand.tcp[1],
  tcp[2] + hand.hand[2] - hand.tcp[2],
];

/** A command moving the fingertips toward `tcp` (gain 10, as the oracles). */
export const moveTcp = (hand: HandState, tcp: Vec3, effort: number, gain = 10): OracleCommand => ({
  move: toward(hand.hand, handTargetFor(hand, tcp), gain),
  effort,
});

/**
 * A horizontal pusher: closed fingers come down 7 cm behind puck `index` (on the side that keeps the
 * approach clear of the other pucks), then move through where it stood along `direction`.
 */
export function pusher(index: number, distance: number): (view: PucksView, memory: Record<string, unknown>) => OracleCommand | null {
  return ({ hand, state }, memory) => {
    const puck = state.pucks[index]!;
    if (!memory.plan) {
      // The direction whose start point (7 cm behind) and path stay farthest from the other pucks.
      let best: { d: [number, number]; clear: number } | null = null;
      for (let k = 0; k < 16; k++) {
        const a = (2 * Math.PI * k) / 16;
        const d: [number, number] = [Math.cos(a), Math.sin(a)];
        const from: Vec3 = [puck[0] - 0.07 * d[0], puck[1] - 0.07 * d[1], 0];
        const clear = Math.min(
          ...state.pucks
            .filter((_, j) => j !== index)
            .map((q) => Math.min(Math.hypot(q[0] - from[0], q[1] - from[1]), Math.hypot(q[0] - puck[0] - distance * d[0], q[1] - puck[1] - distance * d[1]))),
        );
        if (!best || clear > best.clear) best = { d, clear };
      }
      memory.plan = { d: best!.d, origin: [puck[0], puck[1]] };
      memory.phase = 'over';
    }
    const { d, origin } = memory.plan as { d: [number, number]; origin: [number, number] };
    const from: Vec3 = [origin[0] - 0.07 * d[0], origin[1] - 0.07 * d[1], 0.1];
    const low: Vec3 = [from[0], from[1], 0.015];
    const end: Vec3 = [origin[0] + distance * d[0], origin[1] + distance * d[1], 0.015];
    const near = (p: Vec3) => Math.hypot(hand.tcp[0] - p[0], hand.tcp[1] - p[1], hand.tcp[2] - p[2]) < 0.005;
    switch (memory.phase) {
      case 'over':
        if (near(from)) memory.phase = 'down';
        return moveTcp(hand, from, 1);
      case 'down':
        if (near(low)) memory.phase = 'push';
        return moveTcp(hand, low, 1);
      default:
        return Math.hypot(hand.tcp[0] - end[0], hand.tcp[1] - end[1]) < 0.005 ? null : moveTcp(hand, end, 1, 3);
    }
  };
}

/**
 * A gentle downward touch probe onto puck `index`'s top with closed fingers: 3 mm per step until the
 * fingertips lag 1 cm behind the commanded descent (they rest on the puck), then back up.
 */
export function touchProbe(index: number): (view: PucksView, memory: Record<string, unknown>) => OracleCommand | null {
  return ({ hand, mocap, state }, memory) => {
    const puck = state.pucks[index]!;
    const phase = (memory.phase as string | undefined) ?? 'over';
    const over: Vec3 = [puck[0], puck[1], 0.1];
    if (phase === 'over') {
      if (Math.hypot(hand.tcp[0] - over[0], hand.tcp[1] - over[1], hand.tcp[2] - over[2]) < 0.004) memory.phase = 'down';
      return moveTcp(hand, over, 1);
    }
    if (phase === 'down') {
      // The mocap keeps going while the hand rests on the puck: the lag is the touch signal.
      const lag = hand.hand[2] - (mocap[2] - 0.0045);
      if (lag > 0.01) {
        memory.phase = 'up';
        memory.touchedAt = hand.tcp[2];
      }
      return { move: [0, 0, -0.3], effort: 1 };
    }
    if (hand.tcp[2] > 0.12) return null;
    return { move: [0, 0, 1], effort: 1 };
  };
}

export const onTable = (z: number) => Math.abs(z - PUCKS.restZ) < 0.005;

/** Hue (degrees) and saturation of an RGB byte triple. */
function hueSat(r: number, g: number, b: number): [number, number] {
  const mx = Math.max(r, g, b),
    mn = Math.min(r, g, b),
    d = mx - mn;
  if (d === 0) return [0, 0];
  const h = mx === r ? 60 * (((g - b) / d) % 6) : mx === g ? 60 * ((b - r) / d + 2) : 60 * ((r - g) / d + 4);
  return [(h + 360) % 360, d / mx];
}

/**
 * Whether a world point shows in an 84×84 observation's camera as its colour: a pixel within one of
 * the point's projection whose hue is within 20° of `hue` (saturation ≥ 0.45), in any camera.
 */
export function showsAs(observation: Observation, point: Vec3, hue: number): boolean {
  for (const [camera, image] of Object.entries(observation.rgb)) {
    const [w, h] = [image.shape[1], image.shape[0]];
    const pixels = Buffer.from(image.data, 'base64');
    const [c, r, depth] = projectPoint(observation.cam_intrinsics[camera]!, observation.cam_extrinsics[camera]!, point);
    if (depth <= 0) continue;
    for (let dr = -1; dr <= 1; dr++) {
      for (let dc = -1; dc <= 1; dc++) {
        const x = Math.round(c) + dc,
          y = Math.round(r) + dr;
        if (x < 0 || y < 0 || x >= w || y >= h) continue;
        const o = 3 * (y * w + x);
        const [ph, s] = hueSat(pixels[o]!, pixels[o + 1]!, pixels[o + 2]!);
        if (s >= 0.45 && Math.abs(((ph - hue + 540) % 360) - 180) < 20) return true;
      }
    }
  }
  return false;
}

/**
 * Counts, over `count` development instances, those whose candidates, goal marker and cue light all
 * show in at least one of the miners' two 84×84 cameras right after reset.
 */
export async function visibleAtStart(envId: EnvId, seed: number, count: number): Promise<{ visible: number; misses: string[] }> {
  const renderer = new CameraRenderer({ backend: 'ts' });
  const env = await ManipulationEnv.create(envId, { images: true, imageHook: (view) => renderer.observe([view])[0]! });
  const misses: string[] = [];
  let visible = 0;
  try {
    for (let i = 0; i < count; i++) {
      const task = generateTask(envId, devInstance(seed, i)) as CuedTaskConfig;
      const observation = env.reset(task);
      const { layout, target } = viewOf(env.privileged());
      const seen = [
        ...layout.pucks.map((p, k) => showsAs(observation, [p[0], p[1], PUCKS.restZ + 0.01], HSV[task.candidate_colours[k]!][0])),
        showsAs(observation, layout.goal, HSV[GOAL_COLOUR][0]),
        showsAs(observation, env.privileged().hand.map((v, k) => v + (k === 2 ? 0.115 : 0)) as Vec3, HSV[task.candidate_colours[target]!][0]),
      ];
      if (seen.every(Boolean)) visible++;
      else
        misses.push(
          `instance ${i}: ${seen
            .map((s, k) => (s ? '' : ['puck 0', 'puck 1', 'puck 2', 'goal', 'cue'][k]))
            .filter(Boolean)
            .join(', ')}`,
        );
    }
  } finally {
    env.close();
    renderer.destroy();
  }
  return { visible, misses };
}

/**
 * Runs a blind script (generator of proprio-only commands, src/miner/blind/common.ts) on an env that
 * was just reset, until it returns or the episode ends; returns the script's result.
 */
export function runBlind<T>(
  env: ManipulationEnv,
  first: Observation,
  script: (obs: BlindObservation) => Generator<BlindCommand, T, BlindObservation>,
): T | undefined {
  const tracker = new CommandTracker();
  let obs = tracker.observe(first);
  const gen = script(obs);
  let next = gen.next(obs);
  while (!next.done) {
    if (env.done) return undefined;
    tracker.sent(next.value);
    const r = env.step({ continuous: { ee_twist: [...next.value.move, 0, 0, 0], gripper: [next.value.gripper] } });
    obs = tracker.observe(r.observation);
    next = gen.next(obs);
  }
  return next.value;
}
