/**
 * The task skills of the vision policy: MetaWorld-style scripted controllers (waypoints chosen from
 * the hand, the object and the goal; a proportional move toward the waypoint), fed with what the
 * cameras and proprioception tell, not with the simulator's state.
 *
 * Each skill is a function of the current frame plus a small per-episode memory: fixtures found once
 * (at the first frame where they are visible, since the gripper later hides them), the last place an
 * object was seen, the previous gripper closure, and whether a missed grasp is being reopened. The
 * phase of a skill is decided from the current observation, as in MetaWorld's policies; when the
 * gripper holds an object, proprioception (the gripper's closure, the hand position) takes over from
 * vision, which sees little of a held object.
 */
import type { EnvId } from '../../sim/registry.ts';
import type { Vec3 } from './camera.ts';
import type { Frame } from './frame.ts';
import * as M from './models.ts';
import * as P from './perception.ts';

export interface Command {
  /** Hand move, each in [−1, 1] after clipping (1 = 1 cm per control step). */
  move: Vec3;
  /** Finger effort in [−1, 1]: −1 opens, +1 closes. */
  effort: number;
}

/** What a skill remembers within one episode (fixtures found once; hints for the next search). */
export type EpisodeMemory = Record<string, unknown>;

type V3 = readonly [number, number, number];
const add = (a: V3, b: V3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const xyDist = (a: V3, b: V3) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const toward = (from: V3, to: V3, gain: number): Vec3 => [gain * (to[0] - from[0]), gain * (to[1] - from[1]), gain * (to[2] - from[2])];
const HOLD: Command = { move: [0, 0, 0], effort: 0 };

/** Finds a fixture once per episode and remembers it; retries on later frames while unseen. */
function remembered<T>(memory: EpisodeMemory, key: string, find: () => T | undefined): T | undefined {
  if (memory[key] !== undefined) return memory[key] as T;
  const value = find();
  if (value !== undefined) memory[key] = value;
  return value;
}

/** MetaWorld's finger-gap measure (1 open … 0.3 closed on nothing) from the observation's 0…1 closure. */
export function gripperDistance(gripper: number): number {
  return 1 - 0.7 * gripper;
}

// ---------- reach ----------

function reach(frame: Frame, memory: EpisodeMemory): Command {
  const goal = remembered(memory, 'goal', () => P.locateReachGoal(frame));
  if (!goal) return HOLD;
  return { move: toward(frame.hand, goal, 5), effort: 0 };
}

// ---------- push and pick-place: the puck ----------

/**
 * Fingers closed on the 4 cm puck: the closure settles at ≈0.70–0.73 (empty and closed reads 1). A
 * closing or opening hand passes through that band too, a few hundredths per step, so the closure
 * must also have settled since the previous frame.
 */
function holdsPuck(frame: Frame, memory: EpisodeMemory): boolean {
  const previous = memory.previousGripper as number | undefined;
  return frame.gripper > 0.55 && frame.gripper < 0.9 && previous !== undefined && Math.abs(frame.gripper - previous) < 0.02;
}

/** Remembers this frame's closure for the next frame's settle test. */
function noteGripper(frame: Frame, memory: EpisodeMemory): void {
  memory.previousGripper = frame.gripper;
}

/**
 * The puck: seen on the table, or, once the fingers have closed on it, hanging in the hand (where the
 * fingers hide most of it).
 */
function puckPosition(frame: Frame, memory: EpisodeMemory, held: boolean, heldOffset: Vec3): Vec3 | undefined {
  if (held) return add(frame.hand, heldOffset);
  const seen = P.locatePuck(frame, memory.puck as Vec3 | undefined);
  if (seen) memory.puck = seen;
  return seen ?? (memory.puck as Vec3 | undefined);
}

/**
 * Once the fingers have closed on nothing (the puck slipped or was missed) they must open fully
 * before trying again, or they rest on the puck's top. Remembered across frames: an opening hand's
 * closure passes back through the values of a closing one.
 */
function reopening(frame: Frame, memory: EpisodeMemory): boolean {
  if (frame.gripper > 0.92) memory.reopening = true;
  if (memory.reopening && frame.gripper < 0.1) memory.reopening = false;
  return memory.reopening === true;
}

function push(frame: Frame, memory: EpisodeMemory): Command {
  const goal = remembered(memory, 'goal', () => P.locatePushGoal(frame));
  const held = holdsPuck(frame, memory);
  noteGripper(frame, memory);
  const puck = puckPosition(frame, memory, held, [0, 0, -0.025]);
  if (!puck || !goal) return HOLD;
  const hand = frame.hand;
  if (!held && reopening(frame, memory)) return { move: toward(hand, add(puck, [0, 0, 0.1]), 10), effort: -1 };
  let target: V3;
  if (xyDist(hand, puck) > 0.02) target = add(puck, [0, 0, 0.2]);
  else if (Math.abs(hand[2] - puck[2]) > 0.04) target = add(puck, [0, 0, 0.03]);
  else target = [goal[0], goal[1], M.PUCK_Z];
  const far = xyDist(hand, puck) > 0.02 || Math.abs(hand[2] - puck[2]) > 0.1;
  return { move: toward(hand, target, 10), effort: far ? 0 : 0.6 };
}

function pickPlace(frame: Frame, memory: EpisodeMemory): Command {
  const goal = remembered(memory, 'goal', () => P.locatePickGoal(frame));
  const held = holdsPuck(frame, memory);
  noteGripper(frame, memory);
  const puck = puckPosition(frame, memory, held, [0, 0, -0.04]);
  if (!puck || !goal) return HOLD;
  const hand = frame.hand;
  if (held) return { move: toward(hand, goal, 10), effort: 1 };
  // Closed on nothing, the grasp missed: open fully while backing off upward, then try again.
  if (reopening(frame, memory)) return { move: toward(hand, add(puck, [0, 0, 0.1]), 10), effort: -1 };
  let target: V3;
  if (xyDist(hand, puck) > 0.015) target = add(puck, [0, 0, 0.1]);
  // Grip low, with the finger pads over the puck's whole height: a grip a few millimetres off centre
  // (the puck is a few pixels wide) then still holds.
  else if (Math.abs(hand[2] - puck[2]) > 0.036 && puck[2] < 0.04) target = add(puck, [0, 0, 0.025]);
  else target = hand; // at the bottom: close, and wait until the grip has settled
  // Close only once the fingers straddle the puck: fingers closing on its top edge flick it away.
  const low = hand[2] - puck[2] < 0.04;
  return { move: toward(hand, target, 10), effort: xyDist(hand, puck) < 0.02 && low ? 1 : 0 };
}

// ---------- door ----------

function doorOpen(frame: Frame, memory: EpisodeMemory): Command {
  const hinge = remembered(memory, 'hinge', () => P.locateDoorHinge(frame));
  if (!hinge) return HOLD;
  const hand = frame.hand;
  // The door only moves once the hand is at it; until then it is closed and needs no looking at.
  // Afterwards it turns by at most a few degrees per step: search near the last angle first.
  let angle = 0;
  const last = memory.angle as number | undefined;
  if (last !== undefined || xyDist(hand, P.handlePoint(hinge, 0)) < 0.2) {
    const seen = (last !== undefined ? P.doorAngle(frame, hinge, last, 0.25) : undefined) ?? P.doorAngle(frame, hinge, -1, 1.1);
    if (seen !== undefined) memory.angle = seen;
    angle = (memory.angle as number | undefined) ?? 0;
  }
  const handle = P.handlePoint(hinge, angle);
  const p = add(handle, [-0.05, 0, 0]);
  let target: V3;
  if (xyDist(hand, p) > 0.12) target = add(p, [0.06, 0.02, 0.2]);
  else if (Math.abs(hand[2] - p[2]) > 0.04) target = add(p, [0.06, 0.02, 0]);
  else target = p; // the closed fingers hook the handle and drag it round
  return { move: toward(hand, target, 25), effort: 1 };
}

// ---------- drawer ----------

/** The drawer's observed point (1 cm in front of the grip bar) for the drawer x and slide q. */
function drawerPoint(x: number, slide: number): Vec3 {
  return [x + M.DRAWER_POINT_OFFSET[0], M.DRAWER_Y + M.DRAWER_POINT_OFFSET[1] + slide, M.DRAWER_POINT_OFFSET[2]];
}

function drawerState(frame: Frame, memory: EpisodeMemory, initialSlide: number): { x: number; slide: number } | undefined {
  const x = remembered(memory, 'drawerX', () => P.locateDrawer(frame));
  if (x === undefined) return undefined;
  const seen = P.drawerSlide(frame, x);
  if (seen !== undefined) memory.slide = seen;
  return { x, slide: (memory.slide as number | undefined) ?? initialSlide };
}

function drawerOpen(frame: Frame, memory: EpisodeMemory): Command {
  const state = drawerState(frame, memory, 0);
  if (!state) return HOLD;
  const hand = frame.hand;
  const p = add(drawerPoint(state.x, state.slide), [0, 0, -0.02]);
  if (xyDist(hand, p) > 0.06) return { move: toward(hand, add(p, [0, 0, 0.3]), 4), effort: -1 };
  if (Math.abs(hand[2] - p[2]) > 0.04) return { move: toward(hand, p, 4), effort: -1 };
  return { move: toward(hand, add(p, [0, -0.06, 0]), 50), effort: -1 };
}

function drawerClose(frame: Frame, memory: EpisodeMemory): Command {
  const state = drawerState(frame, memory, -0.15);
  if (!state) return HOLD;
  const hand = frame.hand;
  const object = add(drawerPoint(state.x, state.slide), [0, 0, 0.05]);
  const p = add(object, [0, 0, -0.02]);
  let target: V3;
  if (hand[1] > p[1]) {
    // Behind the handle: rise, then come round in front of it while high.
    target = hand[2] < p[2] + 0.23 ? [hand[0], hand[1], p[2] + 0.5] : add(p, [0, -0.075, 0.23]);
  } else if (Math.abs(hand[2] - p[2]) > 0.04) target = add(p, [0, -0.075, 0]);
  else target = p;
  return { move: toward(hand, target, 25), effort: 1 };
}

// ---------- button ----------

function buttonPress(frame: Frame, memory: EpisodeMemory): Command {
  const box = remembered(memory, 'button', () => P.locateButton(frame));
  if (!box) return HOLD;
  const hand = frame.hand;
  const top = add(box, M.BUTTON_TOP_OFFSET);
  // Once above the cap, keep driving down: the button must be forced past its soft stop.
  const target = xyDist(hand, top) > 0.04 ? add(top, [0, 0, 0.1]) : add(top, [0, 0, -0.1]);
  return { move: toward(hand, target, 25), effort: 1 };
}

// ---------- peg ----------

/** Closure of the fingers on the 3 cm peg (≈0.95–0.97: it is squeezed; empty and closed reads 1). */
function closedOnPeg(frame: Frame): boolean {
  return frame.gripper > 0.85 && frame.gripper < 0.995;
}

/** The peg's grasp point: seen on the table, or carried by the closed fingers. */
function pegGrasp(frame: Frame, memory: EpisodeMemory): Vec3 | undefined {
  const hand = frame.hand;
  if (closedOnPeg(frame) && hand[2] > 0.06) return add(hand, [0.002, 0, -0.025]);
  const peg = P.locatePeg(frame);
  if (peg) memory.peg = peg;
  const centre = peg ?? (memory.peg as Vec3 | undefined);
  return centre ? add(centre, M.PEG_GRASP_OFFSET) : undefined;
}

/** Lowest the hand gets with the mocap on its floor (it hangs a few mm below the 5 cm floor). */
const HAND_FLOOR = 0.056;

function pegInsert(frame: Frame, memory: EpisodeMemory): Command {
  const block = remembered(memory, 'block', () => P.locateHoleBlock(frame));
  const grasp = pegGrasp(frame, memory);
  if (!block || !grasp) return HOLD;
  const hand = frame.hand;
  const goalY = block[1] + M.HOLE_TARGET_OFFSET[1];
  // A hand height that puts the held peg's axis on the hole centre; x overshoots into the block.
  const hole: V3 = [-0.35, goalY, 0.16];
  const holding = closedOnPeg(frame);
  let target: V3;
  let effort = 0.6;
  if (xyDist(hand, grasp) > 0.04) {
    target = add(grasp, [0, 0, 0.3]);
    effort = -1;
  } else if (!holding && hand[2] > HAND_FLOOR && Math.abs(hand[2] - grasp[2]) > 0.025) {
    target = grasp; // descend, closing on the way down
    if (Math.abs(hand[2] - grasp[2]) > 0.15) effort = -1;
  } else if (!holding)
    target = hand; // at the bottom: wait for the fingers to close
  else if (Math.hypot(grasp[1] - hole[1], grasp[2] - hole[2]) > 0.03) target = add(hole, [0.4, 0, 0]);
  else target = hole;
  return { move: toward(hand, target, 25), effort };
}

export const SKILLS: Record<EnvId, (frame: Frame, memory: EpisodeMemory) => Command> = {
  'metaworld/reach-v3': reach,
  'metaworld/push-v3': push,
  'metaworld/pick-place-v3': pickPlace,
  'metaworld/door-open-v3': doorOpen,
  'metaworld/drawer-open-v3': drawerOpen,
  'metaworld/drawer-close-v3': drawerClose,
  'metaworld/button-press-v3': buttonPress,
  'metaworld/peg-insert-v3': pegInsert,
};
