/**
 * Shaped rewards and success tests, MetaWorld v3 style ("v2" reward version, rewards in [0, 10]),
 * as pure functions of the task state. No MuJoCo here: the environment measures the state, these
 * functions score it. Thresholds and shaping constants are MetaWorld's; the few adaptations to our
 * scenes are listed in docs/simulation.md.
 */
import type { EnvId } from './registry.ts';

export type Vec3 = readonly [number, number, number];

/** What a reward function reads at one step (world frame, metres). */
export interface RewardState {
  /** The hand frame (finger root), MetaWorld's obs[0:3]. */
  hand: Vec3;
  /** Midpoint of the two fingertips. */
  tcp: Vec3;
  /** Finger separation / 0.1, clipped to [0, 1] (MetaWorld's obs[3]: 1 open, ≈0.3 closed). */
  gripperDistance: number;
  /** The task's observed point (puck centre, handle point, drawer point, button top, peg grasp point). */
  object: Vec3;
  /** The goal point. */
  goal: Vec3;
  leftPad: Vec3;
  rightPad: Vec3;
  /** The gripper effort of the action, in MetaWorld's [-1, 1] (−1 open, +1 close). */
  effort: number;
  /** Door hinge angle (rad, negative = open); door-open only. */
  doorAngle?: number;
  /** Peg head (the end that goes in first); peg-insert only. */
  pegHead?: Vec3;
  /** Hole block origin; peg-insert only. */
  holeBox?: Vec3;
}

/** Quantities frozen at reset. */
export interface RewardInit {
  /** The commanded initial hand position (MetaWorld's hand_init_pos). */
  handInit: Vec3;
  tcpInit: Vec3;
  objectInit: Vec3;
  pegHeadInit?: Vec3;
}

export interface Evaluation {
  reward: number;
  success: boolean;
}

// ---------- MetaWorld reward utilities (dm_control-style tolerance) ----------

export type Sigmoid = 'long_tail' | 'gaussian';

/**
 * 1 inside [lo, hi]; outside, a sigmoid of the distance to the nearest bound measured in margins,
 * equal to 0.1 one margin away. margin 0 gives a hard 0/1.
 */
export function tolerance(x: number, lo: number, hi: number, margin: number, sigmoid: Sigmoid = 'long_tail'): number {
  if (lo > hi) throw new RangeError('tolerance: lower bound above upper bound');
  if (margin < 0) throw new RangeError('tolerance: negative margin');
  if (x >= lo && x <= hi) return 1;
  if (margin === 0) return 0;
  const d = (x < lo ? lo - x : x - hi) / margin;
  if (sigmoid === 'long_tail') return 1 / (9 * d * d + 1);
  return Math.pow(0.1, d * d);
}

/** a·b / (a + b − a·b) for a, b in [0, 1] (clamped there); 0 when both are 0. */
export function hamacher(a: number, b: number): number {
  a = Math.min(1, Math.max(0, a));
  b = Math.min(1, Math.max(0, b));
  const denominator = a + b - a * b;
  return denominator > 0 ? (a * b) / denominator : 0;
}

/** 1 outside the axis-aligned box spanned by `zero` and `one`; inside, the product of the normalised coordinates from `zero`. */
export function rectPrismTolerance(point: Vec3, zero: Vec3, one: Vec3): number {
  const inRange = (a: number, b: number, c: number) => (c >= b ? b <= a && a <= c : c <= a && a <= b);
  if (!(inRange(point[0], zero[0], one[0]) && inRange(point[1], zero[1], one[1]) && inRange(point[2], zero[2], one[2]))) return 1;
  const scale = (i: number) => (point[i]! - zero[i]!) / (one[i]! - zero[i]!);
  return scale(0) * scale(1) * scale(2);
}

const clip = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const sub = (a: Vec3, b: Vec3): [number, number, number] => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const norm = (v: Vec3) => Math.hypot(v[0], v[1], v[2]);
const dist = (a: Vec3, b: Vec3) => norm(sub(a, b));
const distXz = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[2] - b[2]);

interface CagingParams {
  objectRadius: number;
  padSuccessThreshold: number;
  xzThreshold: number;
  highDensity: boolean;
}

/** MetaWorld's gripper caging reward: both pads around the object in y, the TCP on it in x–z, fingers closing. */
export function gripperCaging(s: RewardState, init: RewardInit, p: CagingParams): number {
  const pads = [s.leftPad[1], s.rightPad[1]];
  const caging = pads.map((padY) => {
    const toObject = Math.abs(padY - s.object[1]);
    const toObjectInit = Math.abs(padY - init.objectInit[1]);
    return tolerance(toObject, p.objectRadius, p.padSuccessThreshold, Math.abs(toObjectInit - p.padSuccessThreshold));
  });
  const cagingY = hamacher(caging[0]!, caging[1]!);
  const xzMargin = Math.max(0, distXz(init.objectInit, init.tcpInit) - p.xzThreshold);
  const cagingXz = tolerance(distXz(s.tcp, s.object), 0, p.xzThreshold, xzMargin);
  const cage = hamacher(cagingY, cagingXz);
  const gripping = cage > 0.97 ? clip(s.effort, 0, 1) : 0;
  let result = hamacher(cage, gripping);
  if (p.highDensity) result = (result + cage) / 2;
  return result;
}

// ---------- per-task rewards and success ----------

function reach(s: RewardState, init: RewardInit): Evaluation {
  const tcpToGoal = dist(s.tcp, s.goal);
  const margin = dist(init.handInit, s.goal);
  return { reward: 10 * tolerance(tcpToGoal, 0, 0.05, margin), success: tcpToGoal <= 0.05 };
}

function push(s: RewardState, init: RewardInit): Evaluation {
  const tcpToObject = dist(s.object, s.tcp);
  const objectToGoal = dist(s.object, s.goal);
  const inPlace = tolerance(objectToGoal, 0, 0.05, dist(init.objectInit, s.goal));
  const grasped = gripperCaging(s, init, { objectRadius: 0.015, padSuccessThreshold: 0.05, xzThreshold: 0.005, highDensity: true });
  let reward = 2 * grasped;
  if (tcpToObject < 0.02 && s.gripperDistance > 0) reward += 1 + reward + 5 * inPlace;
  if (objectToGoal < 0.05) reward = 10;
  return { reward, success: objectToGoal <= 0.05 };
}

function pickPlace(s: RewardState, init: RewardInit): Evaluation {
  const tcpToObject = dist(s.object, s.tcp);
  const objectToGoal = dist(s.object, s.goal);
  const inPlace = tolerance(objectToGoal, 0, 0.05, dist(init.objectInit, s.goal));
  // Pick-place's own caging: y-gaps pad↔object within (0.015, 0.05), TCP on the object in x–z.
  const pads = [s.leftPad[1], s.rightPad[1]];
  const cagingLr = pads.map((padY) => {
    const margin = Math.abs(Math.abs(padY - init.objectInit[1]) - 0.05);
    return tolerance(Math.abs(padY - s.object[1]), 0.015, 0.05, margin);
  });
  const cagingY = hamacher(cagingLr[0]!, cagingLr[1]!);
  const xzMargin = Math.max(0, distXz(init.objectInit, init.tcpInit) - 0.005);
  const cagingXz = tolerance(distXz(s.tcp, s.object), 0, 0.005, xzMargin);
  const caging = hamacher(cagingY, cagingXz);
  const gripping = caging > 0.97 ? clip(s.effort, 0, 1) : 0;
  const grasped = (hamacher(caging, gripping) + caging) / 2;
  let reward = hamacher(grasped, inPlace);
  if (tcpToObject < 0.02 && s.gripperDistance > 0 && s.object[2] - 0.01 > init.objectInit[2]) reward += 1 + 5 * inPlace;
  if (objectToGoal < 0.05) reward = 10;
  return { reward, success: objectToGoal <= 0.07 };
}

function doorOpen(s: RewardState): Evaluation {
  const angle = s.doorAngle ?? 0;
  const success = Math.abs(s.object[0] - s.goal[0]) <= 0.08;
  if (success) return { reward: 10, success };
  const grab = (clip(s.effort, -1, 1) + 1) / 2;
  const p: Vec3 = [s.object[0] - 0.05, s.object[1], s.object[2]];
  const radius = Math.hypot(s.hand[0] - p[0], s.hand[1] - p[1]);
  const floor = radius <= 0.12 ? 0 : 0.04 * Math.log(radius - 0.12) + 0.4;
  const aboveFloor = s.hand[2] >= floor ? 1 : tolerance(floor - s.hand[2], 0, 0.01, floor / 2);
  const offset = sub(sub(s.hand, p), [0.05, 0.03, -0.01]);
  const inPlace = tolerance(norm(offset), 0, 0.06, 0.5);
  const ready = hamacher(aboveFloor, inPlace);
  const opened = 0.2 * (angle < -Math.PI / 90 ? 1 : 0) + 0.8 * tolerance((2 * Math.PI) / 3 + angle, 0, 0.5, Math.PI / 3);
  return { reward: 2 * hamacher(ready, grab) + 8 * opened, success };
}

function drawerOpen(s: RewardState, init: RewardInit): Evaluation {
  const handleError = dist(s.object, s.goal);
  const opening = tolerance(handleError, 0, 0.02, 0.2);
  const reference: Vec3 = [s.goal[0], s.goal[1] + 0.2, s.goal[2]];
  const weighted = (v: Vec3) => Math.hypot(3 * v[0], 3 * v[1], v[2]);
  const caging = tolerance(weighted(sub(s.object, s.hand)), 0, 0.01, weighted(sub(reference, init.tcpInit)));
  return { reward: 5 * (caging + opening), success: handleError <= 0.03 };
}

function drawerClose(s: RewardState, init: RewardInit): Evaluation {
  const error = dist(s.object, s.goal);
  const success = error <= 0.065;
  if (success) return { reward: 10, success };
  const initialError = dist(init.objectInit, s.goal);
  const inPlace = tolerance(error, 0, 0.05, Math.abs(initialError - 0.05));
  const reachMargin = Math.abs(dist(init.objectInit, init.tcpInit) - 0.005);
  const reached = hamacher(tolerance(dist(s.object, s.tcp), 0, 0.005, reachMargin, 'gaussian'), clip(s.effort, 0, 1));
  return { reward: 10 * hamacher(reached, inPlace), success };
}

function buttonPress(s: RewardState, init: RewardInit): Evaluation {
  const tcpToObject = dist(s.object, s.tcp);
  const gap = Math.abs(s.goal[2] - s.object[2]);
  const near = tolerance(tcpToObject, 0, 0.01, dist(s.object, init.tcpInit));
  const pressed = tolerance(gap, 0, 0.005, 0.0935);
  let reward = 5 * hamacher(clip(1 - s.gripperDistance, 0, 1), near);
  if (tcpToObject <= 0.03) reward += 5 * pressed;
  return { reward, success: gap <= 0.024 };
}

/** Collision-penalty boxes in front of the hole block, relative to its origin (below and above the mouth). */
const PEG_PENALTY_BOXES: [Vec3, Vec3][] = [
  [
    [0.11, 0.1, 0.01],
    [0.15, -0.1, 0.096],
  ],
  [
    [0.11, 0.1, 0.16],
    [0.17, -0.1, 0.19],
  ],
];

function pegInsert(s: RewardState, init: RewardInit): Evaluation {
  const head = s.pegHead ?? s.object;
  const headInit = init.pegHeadInit ?? init.objectInit;
  const box = s.holeBox ?? [0, 0, 0];
  const scaled = (v: Vec3) => Math.hypot(v[0], 2 * v[1], 2 * v[2]);
  const objectToTarget = scaled(sub(head, s.goal));
  const success = objectToTarget <= 0.07;
  if (success) return { reward: 10, success };
  let inPlace = tolerance(objectToTarget, 0, 0.07, scaled(sub(headInit, s.goal)));
  const [bottom, top] = PEG_PENALTY_BOXES.map(([a, b]) =>
    rectPrismTolerance(head, [box[0] + a[0], box[1] + a[1], box[2] + a[2]], [box[0] + b[0], box[1] + b[1], box[2] + b[2]]),
  );
  inPlace = hamacher(inPlace, hamacher(clip(bottom!, 0, 1), clip(top!, 0, 1)));
  const tcpToObject = dist(s.object, s.tcp);
  const lifted = tcpToObject < 0.08 && s.gripperDistance > 0 && s.object[2] - 0.01 > init.objectInit[2];
  const grasped = lifted ? 1 : gripperCaging(s, init, { objectRadius: 0.0075, padSuccessThreshold: 0.03, xzThreshold: 0.005, highDensity: true });
  let reward = hamacher(grasped, inPlace);
  if (lifted) reward += 1 + 5 * inPlace;
  return { reward, success };
}

export const TASK_EVALUATORS: Record<EnvId, (s: RewardState, init: RewardInit) => Evaluation> = {
  'metaworld/reach-v3': reach,
  'metaworld/push-v3': push,
  'metaworld/pick-place-v3': pickPlace,
  'metaworld/door-open-v3': doorOpen,
  'metaworld/drawer-open-v3': drawerOpen,
  'metaworld/drawer-close-v3': drawerClose,
  'metaworld/button-press-v3': buttonPress,
  'metaworld/peg-insert-v3': pegInsert,
};

export function evaluateTask(envId: EnvId, state: RewardState, init: RewardInit): Evaluation {
  return TASK_EVALUATORS[envId](state, init);
}
