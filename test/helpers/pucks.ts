/**
 * In-process controllers for the cued puck environments' tests (push, pick-place): drive a real
 * ManipulationEnv with scripted commands that read the privileged state, and record what happened.
 */
import { fromNativeAction } from '../../src/sim/action.ts';
import type { CuedPrivileged } from '../../src/sim/cued/binding.ts';
import { toward, type Vec3 } from '../../src/sim/cued/geometry.ts';
import type { CuedOracleView, OracleCommand } from '../../src/sim/cued/module.ts';
import { PUCKS, type PucksLayout, type PucksState } from '../../src/sim/cued/pucks.ts';
import type { ManipulationEnv, PrivilegedState } from '../../src/sim/env.ts';
import type { HandState } from '../../src/sim/binding.ts';

export type PucksView = CuedOracleView<PucksLayout, PucksState>;

/** The oracle's view of the env now (what CUED_MODULES[..].oracle receives). */
export function viewOf(p: PrivilegedState): PucksView {
  const cued = p.cued as CuedPrivileged;
  const hand: HandState = { hand: p.hand, tcp: p.tcp, gripperDistance: p.gripperDistance, leftPad: p.leftPad, rightPad: p.rightPad, effort: p.effort };
  return { hand, mocap: p.mocap, steps: p.steps, layout: cued.layout as PucksLayout, target: cued.target, state: cued.state as PucksState, start: cued.start as PucksState };
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
export const handTargetFor = (hand: HandState, tcp: Vec3): Vec3 => [tcp[0] + hand.hand[0] - hand.tcp[0], tcp[1] + hand.hand[1] - hand.tcp[1], tcp[2] + hand.hand[2] - hand.tcp[2]];

/** A command moving the fingertips toward `tcp` (gain 10, as the oracles). */
export const moveTcp = (hand: HandState, tcp: Vec3, effort: number, gain = 10): OracleCommand => ({ move: toward(hand.hand, handTargetFor(hand, tcp), gain), effort });

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
        const clear = Math.min(...state.pucks.filter((_, j) => j !== index).map((q) => Math.min(Math.hypot(q[0] - from[0], q[1] - from[1]), Math.hypot(q[0] - puck[0] - distance * d[0], q[1] - puck[1] - distance * d[1]))));
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
