/**
 * drawer-open / drawer-close (cued): a chest of three drawers side by side; the target is the drawer
 * whose front and handle wear the cue colour (docs/envs/drawer.md).
 *
 * Seeing: the blob of each palette colour in the two views, triangulated, lands near the middle of
 * that drawer's front (biased a little toward the handle, which stands 4.5 cm proud of the front and
 * 2 cm above its middle). The three drawers are in a row along the chest's x axis, so the line through
 * the candidates' points gives the chest's yaw and with it the axis the drawers slide along. These
 * estimates are good to about a centimetre, which is enough to push a drawer shut but not to drop a
 * 9 mm finger plate into the 3.7 cm gap behind a bar turned by up to 20°. So drawer-open finishes by
 * touch: the back finger plate, lowered in front of the target's bar, moves toward the chest until the
 * bar stops it, which measures where the bar is along the drawer's axis; then it lifts over the bar,
 * drops into the gap and pulls.
 *
 * Touch comes from the policy's own commands: the hand follows its mocap target through a soft weld,
 * so the commanded fingertip position (the start position plus every move sent, clipped to the hand
 * box) runs ahead of the measured one when something blocks the hand.
 */
import type { Vec3 } from '../camera.ts';
import type { Frame } from '../frame.ts';
import { PALETTE_CLASSES } from './classes.ts';
import { cue, HOLD, track, type Command, type CuedSkill, type EpisodeMemory } from './skill.ts';

const FINGER = 0.045;
/** The hand box of the mocap (public: docs/simulation.md), as fingertip positions (4.5 cm + 4.5 mm sag below). */
const TCP_LOW: Vec3 = [-0.5, 0.4, 0.05 - FINGER - 0.0045];
const TCP_HIGH: Vec3 = [0.5, 1.0, 0.5 - FINGER - 0.0045];
/** Where drawers can be (generous): a sighting outside is something else. */
const REGION: [Vec3, Vec3] = [
  [-0.55, 0.35, -0.02],
  [0.55, 1.02, 0.3],
];

/** Gripper geometry (data/scenes/base.xml): back (+y) plate centre with the fingers open, its outer face with them closed. */
const BACK_PLATE_OPEN = 0.0485;
const BACK_FACE_CLOSED = 0.018;
const PLATE_HALF_THICK = 0.0045;
const PLATE_HALF_WIDTH = 0.015;
/** The handle (docs/envs/drawer.md): bar radius, its axis 4.5 cm proud of the front. */
const BAR_RADIUS = 0.008;
const STANDOFF = 0.045;
/** From the triangulated blob point to the bar's axis: along the outward axis, and up. */
const BLOB_TO_BAR_OUT = 0.038;
const BLOB_TO_BAR_UP = 0.015;

interface Plan {
  /** The target's bar axis middle (world) when planned. */
  bar: Vec3;
  /** Unit direction the drawers open in (toward the robot), horizontal. */
  out: Vec3;
  yaw: number;
}

type Phase = 'look' | 'approach' | 'descend' | 'probe' | 'lift' | 'over' | 'drop' | 'work' | 'hold';

const add = (a: Vec3, b: Vec3): Vec3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const scale = (a: Vec3, k: number): Vec3 => [a[0] * k, a[1] * k, a[2] * k];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const xyDist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1]);
const clip = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);

/**
 * Sends a command: records where it puts the commanded fingertip position (what touch is measured
 * against) and returns it.
 */
function send(memory: EpisodeMemory, frame: Frame, command: Command): Command {
  const cmd = (memory.commanded as Vec3 | undefined) ?? [...frame.tcp];
  memory.commanded = [0, 1, 2].map((k) => clip(cmd[k]! + clip(command.move[k]!, -1, 1) * 0.01, TCP_LOW[k]!, TCP_HIGH[k]!)) as Vec3;
  return command;
}

/** How far the commanded fingertip position is ahead of the measured one. */
function lag(memory: EpisodeMemory, frame: Frame): Vec3 {
  const cmd = (memory.commanded as Vec3 | undefined) ?? frame.tcp;
  return [cmd[0] - frame.tcp[0], cmd[1] - frame.tcp[1], cmd[2] - frame.tcp[2]];
}

/** A move that steers the fingertips toward `target`, measured from the commanded position when the hand is free. */
function steer(frame: Frame, target: Vec3, gain = 10): Vec3 {
  return [gain * (target[0] - frame.tcp[0]), gain * (target[1] - frame.tcp[1]), gain * (target[2] - frame.tcp[2])];
}

/** A move that takes the commanded position back onto the hand (undoes wind-up after a contact). */
function unwind(memory: EpisodeMemory, frame: Frame): Vec3 {
  const l = lag(memory, frame);
  return [-l[0] * 100, -l[1] * 100, -l[2] * 100];
}

/**
 * The target's bar and the chest's axis from what the cameras show: the cue names the colour, every
 * palette colour seen in the chest region is a drawer, and the row of drawers gives the yaw.
 */
function plan(frame: Frame, memory: EpisodeMemory): Plan | undefined {
  const target = cue(frame, memory);
  if (target === undefined) return undefined;
  const points = new Map<number, Vec3>();
  for (const cls of PALETTE_CLASSES) {
    const p = track(frame, memory, `drawer${cls}`, cls, { region: REGION });
    if (p) points.set(cls, p);
  }
  const mine = points.get(target);
  if (!mine || points.size < 2) return undefined;
  // The row's direction: between the two points furthest apart (they are 14.2 or 28.4 cm apart).
  const all = [...points.values()];
  let best: [Vec3, Vec3] = [all[0]!, all[1]!];
  for (const a of all) for (const b of all) if (xyDist(a, b) > xyDist(...best)) best = [a, b];
  let dx = best[1][0] - best[0][0],
    dy = best[1][1] - best[0][1];
  if (dx < 0) {
    dx = -dx;
    dy = -dy;
  }
  if (Math.hypot(dx, dy) < 0.08) return undefined;
  const yaw = clip(Math.atan2(dy, dx), -0.45, 0.45);
  const out: Vec3 = [Math.sin(yaw), -Math.cos(yaw), 0];
  const bar = add(add(mine, scale(out, BLOB_TO_BAR_OUT)), [0, 0, BLOB_TO_BAR_UP]);
  return { bar, out, yaw };
}

/**
 * Where the back plate's centre is from the fingertip midpoint (along y) when only the back finger is
 * pushed in: the reading says how far the fingers are apart (0 open = 10 cm … 1 closed = 3 cm).
 */
function backPlateFromTcp(gripper: number): number {
  const separation = 0.1 - 0.07 * gripper;
  return separation / 2 - 0.0015;
}

/** Phase bookkeeping: the current phase, and a helper to move on (resetting the phase's step counter). */
function phaseOf(memory: EpisodeMemory): Phase {
  return (memory.phase as Phase | undefined) ?? 'look';
}
function enter(memory: EpisodeMemory, phase: Phase, extra: Record<string, unknown> = {}): void {
  memory.phase = phase;
  memory.phaseSteps = 0;
  Object.assign(memory, extra);
}

/** Looks until the plan is made; meanwhile moves the hand toward the robot, out of the cameras' way. */
function look(frame: Frame, memory: EpisodeMemory, effort: number): Command | Plan {
  const p = plan(frame, memory);
  const seenFor = ((memory.lookSteps as number | undefined) ?? 0) + 1;
  memory.lookSteps = seenFor;
  // A couple of frames first, so every drawer the first frame missed gets a chance.
  if (p && seenFor >= 2) return p;
  return { move: steer(frame, [0, 0.5, 0.26]), effort };
}

/** The fingertip height of a safe crossing: 9 cm above the bar, above the chest's top. */
const safeZ = (p: Plan) => p.bar[2] + 0.09;

function travel(frame: Frame, memory: EpisodeMemory, p: Plan, goal: Vec3, effort: number, next: Phase): Command {
  // Rise, cross over at the safe height, then come straight down onto `goal`.
  const z = safeZ(p);
  const tcp = frame.tcp;
  const phase = phaseOf(memory);
  if (phase === 'approach') {
    if (xyDist(tcp, goal) < 0.006) enter(memory, 'descend');
    else {
      const waypoint: Vec3 = tcp[2] < z - 0.02 && xyDist(tcp, goal) > 0.02 ? [tcp[0], tcp[1], z] : [goal[0], goal[1], z];
      return { move: steer(frame, waypoint), effort };
    }
  }
  if (Math.abs(tcp[2] - goal[2]) < 0.006 && xyDist(tcp, goal) < 0.008) {
    enter(memory, next);
    return { move: unwind(memory, frame), effort };
  }
  return { move: steer(frame, goal), effort };
}

/**
 * drawer-open: the back plate (fingers open) comes down 4 cm in front of the estimated bar, moves
 * toward the chest until the bar stops it, lifts over the bar, drops into the gap behind it, and pulls
 * the drawer out to the end of its travel.
 */
function openSkill(frame: Frame, memory: EpisodeMemory): Command {
  let phase = phaseOf(memory);
  if (phase === 'look') {
    const seen = look(frame, memory, -1);
    if ('move' in seen) return seen;
    enter(memory, 'approach', { plan: seen });
    phase = 'approach';
  }
  const p = memory.plan as Plan;
  const { out } = p;
  memory.phaseSteps = ((memory.phaseSteps as number | undefined) ?? 0) + 1;
  // Fingertip positions for a back-plate centre at `plate` (world, horizontal), at height z.
  const tcpForPlate = (plate: Vec3, z: number): Vec3 => [plate[0], plate[1] - BACK_PLATE_OPEN, z];
  const low = p.bar[2] - 0.025;
  if (phase === 'approach' || phase === 'descend') {
    const start = add(p.bar, scale(out, BAR_RADIUS + 0.04));
    return travel(frame, memory, p, tcpForPlate(start, low), -1, 'probe');
  }
  if (phase === 'probe') {
    // Toward the chest at 4 mm per step until the bar holds the plate back. The open back finger
    // yields to the bar (its servo is soft along the closing direction), so the contact shows in the
    // gripper reading as much as in the lag.
    const behind = -dot(lag(memory, frame), out);
    if ((memory.phaseSteps as number) > 3 && (frame.gripper > 0.03 || (behind > 0.006 && frame.speed < 0.05))) {
      enter(memory, 'lift', { contact: [frame.tcp[0], frame.tcp[1] + backPlateFromTcp(frame.gripper), frame.tcp[2]] });
      return { move: unwind(memory, frame), effort: -1 };
    }
    if ((memory.phaseSteps as number) > 30) {
      // Nothing met within 12 cm: trust the estimate.
      enter(memory, 'lift', { contact: add(p.bar, scale(out, BAR_RADIUS + PLATE_HALF_THICK)) });
    }
    return { move: scale(out, -0.4), effort: -1 };
  }
  const contact = memory.contact as Vec3;
  // The plate's extent along the axis (its corner leads when the chest is turned).
  const reach = PLATE_HALF_THICK * Math.cos(p.yaw) + PLATE_HALF_WIDTH * Math.abs(Math.sin(p.yaw));
  // Middle of the gap behind the bar: past the bar (its diameter) and half the gap.
  const gapMiddle = add(contact, scale(out, -(reach + 2 * BAR_RADIUS + (STANDOFF - BAR_RADIUS) / 2)));
  const high = p.bar[2] + 0.035;
  if (phase === 'lift') {
    if (frame.tcp[2] > high - 0.006) enter(memory, 'over');
    return { move: steer(frame, [contact[0], contact[1] - BACK_PLATE_OPEN, high]), effort: -1 };
  }
  if (phase === 'over') {
    const goal = tcpForPlate(gapMiddle, high);
    if (xyDist(frame.tcp, goal) < 0.004) enter(memory, 'drop');
    return { move: steer(frame, goal), effort: -1 };
  }
  if (phase === 'drop') {
    const goal = tcpForPlate(gapMiddle, low);
    if (Math.abs(frame.tcp[2] - goal[2]) < 0.006) enter(memory, 'work');
    return { move: steer(frame, goal), effort: -1 };
  }
  if (phase === 'work') {
    // Pull past the 14 cm of travel: the slide's limit stops the drawer (and the hand) fully open.
    const goal = tcpForPlate(add(gapMiddle, scale(out, 0.16)), low);
    const steps = memory.phaseSteps as number;
    if ((steps > 10 && frame.speed < 0.02) || steps > 60) enter(memory, 'hold');
    return { move: steer(frame, goal, 8), effort: -1 };
  }
  return { move: unwind(memory, frame), effort: -1 };
}

/**
 * drawer-close: fingers closed, come down 6 cm in front of the target's bar (fingertips 3 cm below it)
 * and push along the drawer's axis until the drawer stops at shut; then keep it there.
 */
function closeSkill(frame: Frame, memory: EpisodeMemory): Command {
  let phase = phaseOf(memory);
  if (phase === 'look') {
    const seen = look(frame, memory, 1);
    if ('move' in seen) return seen;
    enter(memory, 'approach', { plan: seen });
    phase = 'approach';
  }
  const p = memory.plan as Plan;
  const { out } = p;
  memory.phaseSteps = ((memory.phaseSteps as number | undefined) ?? 0) + 1;
  if (phase === 'approach' || phase === 'descend') {
    const face = add(p.bar, scale(out, BAR_RADIUS + 0.06));
    return travel(frame, memory, p, [face[0], face[1] - BACK_FACE_CLOSED, p.bar[2] - 0.03], 1, 'work');
  }
  if (phase === 'work') {
    // Push at 6 mm per step; the drawer stops at shut and holds the plate back.
    const behind = -dot(lag(memory, frame), out);
    const steps = memory.phaseSteps as number;
    const stalled = steps > 8 && behind > 0.012 && frame.speed < 0.03;
    memory.stalled = stalled ? ((memory.stalled as number | undefined) ?? 0) + 1 : 0;
    if ((memory.stalled as number) >= 3 || steps > 45) {
      enter(memory, 'hold');
      return { move: [0, 0, 0], effort: 1 };
    }
    return { move: scale(out, -0.6), effort: 1 };
  }
  return HOLD_CLOSED;
}

const HOLD_CLOSED: Command = { ...HOLD, effort: 1 };

/** Wraps a skill so every command it sends updates the commanded position touch is measured against. */
function withTouch(skill: (frame: Frame, memory: EpisodeMemory) => Command): CuedSkill {
  return (frame, memory) => send(memory, frame, skill(frame, memory));
}

export const drawerOpenSkill: CuedSkill = withTouch(openSkill);
export const drawerCloseSkill: CuedSkill = withTouch(closeSkill);
