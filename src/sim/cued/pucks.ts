/**
 * What the two puck environments of the cued family share (push, pick-place): three identical pucks
 * on the table, the layout rules for them, their measurement (centre and lowest point, which sees a
 * tipped puck), the wrong-puck violation, and the privileged oracle's grasp-lift-carry-place routine.
 *
 * The pucks are identical to touch (data/scenes/cued/push.xml and pick-place.xml: same cylinder, mass,
 * inertia, friction and contact parameters) and the layout never singles one out: the target is only
 * known from the cue colour.
 */
import { z } from 'zod';
import type { HandState } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { bounded } from '../randomization.ts';
import { toward, xyDist, xySegmentDistance, type Vec3 } from './geometry.ts';
import type { CuedEnvModule, CuedOracleView, OracleCommand } from './module.ts';
import { colourRgb, GOAL_COLOUR } from './palette.ts';

export const PUCKS = {
  candidates: 3,
  /** Puck cylinder: radius and half height (4 cm tall). It rests with its centre at `restZ`. */
  radius: 0.02,
  halfHeight: 0.02,
  restZ: 0.02,
  /** Where puck centres (and goal xy) can be: the part of the table the hand reaches with room to spare. */
  low: [-0.35, 0.45] as const,
  high: [0.35, 0.85] as const,
  /**
   * Centre-to-centre spacing of the pucks. Open pads stand 4.4 cm from the grasp axis (5.3 cm to
   * their backs) and the neighbouring puck's edge is 2 cm from its centre, so 12 cm keeps open fingers
   * straddling one puck ≥ 4.5 cm clear of every other one.
   */
  minSeparation: 0.12,
  /** Hand start (mocap); no puck within `clearOfStartXy` (horizontally) of it. */
  handInit: [0, 0.6, 0.2] as Vec3,
  clearOfStartXy: 0.08,
  /** A wrong puck moved farther than this (horizontally) or lifted more than `liftLimit` is a violation. */
  displaceLimit: 0.03,
  liftLimit: 0.02,
  /** The lowest point of a puck at most this far above the table counts as resting on it. */
  restTolerance: 0.005,
};

export type Vec2 = [number, number];

/** The three puck centres (xy; they rest at z = PUCKS.restZ) and the goal marker's centre. */
export interface PucksLayout {
  pucks: Vec2[];
  goal: Vec3;
}

/** Measured each step: every puck's centre and the height of its lowest point (sees tilt). */
export interface PucksState {
  pucks: Vec3[];
  bottoms: number[];
}

const xy = z.tuple([bounded(-0.5, 0.5), bounded(0.4, 1.0)]);

export function pucksLayoutSchema(goalZ: [number, number]): z.ZodType<PucksLayout> {
  return z
    .object({
      pucks: z.array(xy).length(PUCKS.candidates),
      goal: z.tuple([bounded(-0.5, 0.5), bounded(0.4, 1.0), bounded(goalZ[0], goalZ[1])]),
    })
    .strict() as z.ZodType<PucksLayout>;
}

export const pucksRequiredNames = [
  ...[0, 1, 2].flatMap((i) => [
    { kind: 'body' as const, name: `puck_${i}` },
    { kind: 'joint' as const, name: `puck_${i}_free` },
  ]),
  { kind: 'body' as const, name: 'goal' },
  { kind: 'geom' as const, name: 'goal' },
];

export const pucksMassBodies = [0, 1, 2].map((i) => `puck_${i}`);

/** A point uniformly in the puck area. */
export function drawAreaPoint(rng: RandomSource): Vec2 {
  return [rng.uniform(PUCKS.low[0], PUCKS.high[0]), rng.uniform(PUCKS.low[1], PUCKS.high[1])];
}

/** Puck placements are valid: pairwise spacing and clear of the hand's start. */
export function pucksValid(pucks: readonly Vec2[]): boolean {
  const start = PUCKS.handInit;
  return (
    pucks.every((p) => Math.hypot(p[0] - start[0], p[1] - start[1]) >= PUCKS.clearOfStartXy) &&
    pucks.every((a, i) => pucks.every((b, j) => j <= i || Math.hypot(a[0] - b[0], a[1] - b[1]) >= PUCKS.minSeparation))
  );
}

export function drawPucks(rng: RandomSource): Vec2[] {
  return Array.from({ length: PUCKS.candidates }, () => drawAreaPoint(rng));
}

export const at = (p: Vec2, zc = PUCKS.restZ): Vec3 => [p[0], p[1], zc];

/** Lowest point of a cylinder (axis along its body z) with centre height `cz` and orientation `quat` (w, x, y, z). */
export function cylinderBottom(cz: number, quat: readonly number[]): number {
  const [, qx, qy] = quat as [number, number, number, number];
  const az = Math.min(1, Math.abs(1 - 2 * (qx * qx + qy * qy))); // the axis's world z component
  return cz - PUCKS.halfHeight * az - PUCKS.radius * Math.sqrt(Math.max(0, 1 - az * az));
}

export function measurePucks(env: { bodyPos(name: string): Vec3; bodyQuat(name: string): [number, number, number, number] }): PucksState {
  const pucks: Vec3[] = [];
  const bottoms: number[] = [];
  for (let i = 0; i < PUCKS.candidates; i++) {
    const p = env.bodyPos(`puck_${i}`);
    pucks.push(p);
    bottoms.push(cylinderBottom(p[2], env.bodyQuat(`puck_${i}`)));
  }
  return { pucks, bottoms };
}

/**
 * The wrong-puck rule: any puck other than the target moved more than 3 cm (horizontally) or lifted
 * more than 2 cm from where it settled at reset. Small incidental contact (a probe that brushes a
 * puck) stays below both. The message does not say which puck.
 */
export function wrongPuckViolation(now: PucksState, start: PucksState, target: number): string | null {
  for (let i = 0; i < PUCKS.candidates; i++) {
    if (i === target) continue;
    if (now.bottoms[i]! - start.bottoms[i]! > PUCKS.liftLimit) return 'lifted a wrong puck';
    if (xyDist(now.pucks[i]!, start.pucks[i]!) > PUCKS.displaceLimit) return 'moved a wrong puck';
  }
  return null;
}

// ---------- the privileged oracle ----------

/** Fingertip height for the grasp: 8 mm below the puck's centre, 1.2 cm above the table. */
const GRASP_TCP_Z = 0.012;
/** Fingertip height while travelling to the target puck (tips 6 cm above the puck tops). */
const CRUISE_TCP_Z = 0.1;
/** A carried puck's lowest point stays at least this high until it is over its goal. */
const CARRY_BOTTOM_Z = 0.09;

type Phase = 'approach' | 'descend' | 'close' | 'lift' | 'carry' | 'place';

/** Hand-frame target that puts the fingertips at `tcp` (the hand frame is 4.5 cm above them). */
const handFor = (hand: HandState, tcp: Vec3): Vec3 => [
  tcp[0] + hand.hand[0] - hand.tcp[0],
  tcp[1] + hand.hand[1] - hand.tcp[1],
  tcp[2] + hand.hand[2] - hand.tcp[2],
];

/**
 * Grasp the target puck from above, lift it clear of the others, carry it and bring its centre to
 * `goalCentre` (in the air for pick-place, on the table for push), then hold it there.
 * - Travel with the fingertips 6 cm above every puck top, then come straight down over the target:
 *   the pucks are ≥ 12 cm apart, so the open fingers never touch another one.
 * - Close, lift until the puck's lowest point is 9 cm up (5 cm above the other pucks' tops, and the
 *   fingertips hang only 8 mm below its centre), carry at that height or higher, then go to the goal.
 * - Targets for a held puck are corrected by the measured puck position, so slip in the grasp does not
 *   matter; a lost puck (it fell) sends the routine back to the approach.
 */
export function carryOracle(view: CuedOracleView<PucksLayout, PucksState>, memory: Record<string, unknown>, goalCentre: Vec3): OracleCommand {
  const { hand, state, target, steps } = view;
  const puck = state.pucks[target]!;
  const bottom = state.bottoms[target]!;
  let phase = (memory.phase as Phase | undefined) ?? 'approach';
  const held = xyDist(hand.tcp, puck) < 0.02 && Math.abs(hand.tcp[2] - (puck[2] - 0.008)) < 0.02 && hand.gripperDistance < 0.7;
  if ((phase === 'lift' || phase === 'carry' || phase === 'place') && !held) phase = 'approach';

  let tcpTarget: Vec3 = hand.tcp;
  let effort = -1;
  switch (phase) {
    case 'approach': {
      const open = hand.gripperDistance > 0.9;
      tcpTarget = [puck[0], puck[1], CRUISE_TCP_Z];
      // Rise first when low (after a lost grasp), and reopen before moving.
      if (hand.tcp[2] < CRUISE_TCP_Z - 0.02 && xyDist(hand.tcp, puck) > 0.01) tcpTarget = [hand.tcp[0], hand.tcp[1], CRUISE_TCP_Z];
      if (!open) tcpTarget = hand.tcp;
      if (open && xyDist(hand.tcp, puck) < 0.004 && Math.abs(hand.tcp[2] - CRUISE_TCP_Z) < 0.03) phase = 'descend';
      break;
    }
    case 'descend':
      tcpTarget = [puck[0], puck[1], GRASP_TCP_Z];
      if (hand.tcp[2] < GRASP_TCP_Z + 0.003) {
        phase = 'close';
        memory.closeAt = steps;
      }
      break;
    case 'close':
      tcpTarget = [puck[0], puck[1], GRASP_TCP_Z];
      effort = 1;
      if (steps - (memory.closeAt as number) >= 12) phase = 'lift';
      break;
    case 'lift':
      effort = 1;
      tcpTarget = [hand.tcp[0], hand.tcp[1], hand.tcp[2] + (CARRY_BOTTOM_Z + 0.01 - bottom)];
      if (bottom >= CARRY_BOTTOM_Z) phase = 'carry';
      break;
    case 'carry': {
      effort = 1;
      const carryZ = Math.max(goalCentre[2], CARRY_BOTTOM_Z + PUCKS.restZ + 0.01);
      const offset: Vec3 = [goalCentre[0] - puck[0], goalCentre[1] - puck[1], carryZ - puck[2]];
      tcpTarget = [hand.tcp[0] + offset[0], hand.tcp[1] + offset[1], hand.tcp[2] + offset[2]];
      if (Math.hypot(offset[0], offset[1]) < 0.01) phase = 'place';
      break;
    }
    case 'place': {
      effort = 1;
      tcpTarget = [hand.tcp[0] + goalCentre[0] - puck[0], hand.tcp[1] + goalCentre[1] - puck[1], hand.tcp[2] + goalCentre[2] - puck[2]];
      break;
    }
  }
  memory.phase = phase;
  return { move: toward(hand.hand, handFor(hand, tcpTarget), 10), effort };
}

/** Distance from every puck's straight path to `goal` to every other puck (push's clear-path rule). */
export function clearPaths(pucks: readonly Vec2[], goal: Vec2, clearance: number): boolean {
  return pucks.every((a, i) => pucks.every((b, j) => j === i || xySegmentDistance(at(b), at(a), at(goal)) >= clearance));
}

/**
 * The module members push and pick-place have in common: the three pucks, how they and the goal are
 * placed and measured. Each module adds its own layout rules, goal height and success predicate.
 */
export const pucksModuleBase = {
  candidates: PUCKS.candidates,
  massBodies: pucksMassBodies,
  requiredNames: pucksRequiredNames,
  handInit: () => PUCKS.handInit,
  candidateGeoms: (i: number) => [`puck_${i}`],
  place(env, layout) {
    layout.pucks.forEach((p, i) => env.setFreeBody(`puck_${i}_free`, at(p)));
    env.setStaticBodyPose('goal', layout.goal);
    env.setGeomRgb('goal', colourRgb(GOAL_COLOUR));
  },
  measure: (env) => measurePucks(env),
} satisfies Partial<CuedEnvModule<PucksLayout, PucksState>>;
