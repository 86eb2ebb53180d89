/**
 * Scripted oracle policies: functions of the privileged state. For MetaWorld instances they follow
 * the logic of MetaWorld's v3 scripted policies (waypoints chosen from the hand, object and goal; a
 * proportional move toward the waypoint), statelessly; cued instances use their environment module's
 * oracle (src/sim/cued/), which knows the target among the candidates and may keep a little memory per
 * episode. They prove each task solvable in our scenes and serve as a reference policy; they need
 * ground truth, so they only run in-process.
 */
import { CUED_MODULES } from './cued/index.ts';
import type { OracleCommand } from './cued/module.ts';
import type { PrivilegedState } from './env.ts';
import type { EnvId } from './registry.ts';

export type { OracleCommand } from './cued/module.ts';

type V3 = readonly [number, number, number];

const add = (a: V3, b: V3): [number, number, number] => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const xyDist = (a: V3, b: V3) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const dist = (a: V3, b: V3) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
/** Proportional move from `from` toward `to` with gain `p`. */
const move = (from: V3, to: V3, p: number): [number, number, number] => [p * (to[0] - from[0]), p * (to[1] - from[1]), p * (to[2] - from[2])];

function reach(s: PrivilegedState): OracleCommand {
  return { move: move(s.hand, s.goal, 5), effort: 0 };
}

function push(s: PrivilegedState): OracleCommand {
  const puck = s.object;
  const p = add(puck, [-0.005, 0, 0]);
  let target: V3;
  if (xyDist(s.hand, p) > 0.02) target = add(p, [0, 0, 0.2]);
  else if (Math.abs(s.hand[2] - p[2]) > 0.04) target = add(p, [0, 0, 0.03]);
  else target = s.goal;
  const far = xyDist(s.hand, puck) > 0.02 || Math.abs(s.hand[2] - puck[2]) > 0.1;
  return { move: move(s.hand, target, 10), effort: far ? 0 : 0.6 };
}

function pickPlace(s: PrivilegedState): OracleCommand {
  const puck = s.object;
  const p = add(puck, [-0.005, 0, 0]);
  let target: V3;
  if (xyDist(s.hand, p) > 0.02) target = add(p, [0, 0, 0.1]);
  else if (Math.abs(s.hand[2] - p[2]) > 0.05 && p[2] < 0.04) target = add(p, [0, 0, 0.03]);
  else if (s.gripperDistance > 0.73)
    target = s.hand; // wait for the fingers to close
  else target = s.goal;
  return { move: move(s.hand, target, 10), effort: dist(s.hand, puck) < 0.07 ? 1 : 0 };
}

function doorOpen(s: PrivilegedState): OracleCommand {
  const p = add(s.object, [-0.05, 0, 0]);
  let target: V3;
  if (xyDist(s.hand, p) > 0.12) target = add(p, [0.06, 0.02, 0.2]);
  else if (Math.abs(s.hand[2] - p[2]) > 0.04) target = add(p, [0.06, 0.02, 0]);
  else target = p; // the closed fingers hook the handle and drag it round
  return { move: move(s.hand, target, 25), effort: 1 };
}

function drawerOpen(s: PrivilegedState): OracleCommand {
  const p = add(s.object, [0, 0, -0.02]);
  if (xyDist(s.hand, p) > 0.06) return { move: move(s.hand, add(p, [0, 0, 0.3]), 4), effort: -1 };
  if (Math.abs(s.hand[2] - p[2]) > 0.04) return { move: move(s.hand, p, 4), effort: -1 };
  return { move: move(s.hand, add(p, [0, -0.06, 0]), 50), effort: -1 };
}

function drawerClose(s: PrivilegedState): OracleCommand {
  const p = add(s.object, [0, 0, -0.02]);
  let target: V3;
  if (s.hand[1] > p[1]) {
    // Behind the handle: rise, then come round in front of it while high.
    target = s.hand[2] < p[2] + 0.23 ? [s.hand[0], s.hand[1], p[2] + 0.5] : add(p, [0, -0.075, 0.23]);
  } else if (Math.abs(s.hand[2] - p[2]) > 0.04) target = add(p, [0, -0.075, 0]);
  else target = p;
  return { move: move(s.hand, target, 25), effort: 1 };
}

function buttonPress(s: PrivilegedState): OracleCommand {
  const target = xyDist(s.hand, s.object) > 0.04 ? add(s.object, [0, 0, 0.1]) : s.object;
  return { move: move(s.hand, target, 25), effort: 1 };
}

function pegInsert(s: PrivilegedState): OracleCommand {
  const grasp = s.object;
  // A hand height that puts the held peg's axis on the hole centre; x overshoots into the block.
  const hole: V3 = [-0.35, s.goal[1], 0.16];
  let target: V3;
  if (xyDist(s.hand, grasp) > 0.04) target = add(grasp, [0, 0, 0.3]);
  else if (Math.abs(s.hand[2] - grasp[2]) > 0.025) target = grasp;
  else if (Math.hypot(grasp[1] - hole[1], grasp[2] - hole[2]) > 0.03) target = add(hole, [0.4, 0, 0]);
  else target = hole;
  const open = xyDist(s.hand, grasp) > 0.04 || Math.abs(s.hand[2] - grasp[2]) > 0.15;
  return { move: move(s.hand, target, 25), effort: open ? -1 : 0.6 };
}

export const ORACLES: Record<EnvId, (state: PrivilegedState) => OracleCommand> = {
  'metaworld/reach-v3': reach,
  'metaworld/push-v3': push,
  'metaworld/pick-place-v3': pickPlace,
  'metaworld/door-open-v3': doorOpen,
  'metaworld/drawer-open-v3': drawerOpen,
  'metaworld/drawer-close-v3': drawerClose,
  'metaworld/button-press-v3': buttonPress,
  'metaworld/peg-insert-v3': pegInsert,
};

/** The oracle's command for this state; `memory` is per episode (cued oracles may keep phases in it). */
export function oracleCommand(envId: EnvId, state: PrivilegedState, memory: Record<string, unknown> = {}): OracleCommand {
  if (!state.cued) return ORACLES[envId](state);
  const { layout, target, state: now, start } = state.cued;
  const hand = {
    hand: state.hand,
    tcp: state.tcp,
    gripperDistance: state.gripperDistance,
    leftPad: state.leftPad,
    rightPad: state.rightPad,
    effort: state.effort,
  };
  return CUED_MODULES[envId].oracle({ hand, mocap: state.mocap, steps: state.steps, layout, target, state: now, start }, memory);
}
