/**
 * door-open (cued): a neutral cabinet with three identical overlay doors side by side, each hinged on
 * its left edge (seen from the robot), opening toward the robot, each with the same horizontal pull
 * handle near its free edge; the door leaves wear the candidates' colours and the wrist cue light
 * says which one to open (docs/envs/door-open.md).
 *
 * Success: the target door opened at least DOOR.successAngle (1 rad) for the hold time. Violation: any
 * other door opened more than DOOR.violationAngle (0.15 rad). Doors have no spring and never touch
 * each other (excluded contact pairs; the geometry also keeps them apart over the hinge range), and a
 * push on a closed door only drives it into its closed stop, so the only way to open a door is to pull
 * on its handle — and touch cannot tell the three handles apart.
 */
import { z } from 'zod';
import type { Judgement } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { bounded } from '../randomization.ts';
import { tolerance } from '../rewards.ts';
import { dist, drawUntil, toLocal, toWorld, toward, xyDist, type Vec3 } from './geometry.ts';
import type { CuedEnvModule } from './module.ts';

/** Numbers of data/scenes/cued/door.xml (cabinet frame: origin at the carcass's bottom centre, +y inward). */
export const DOOR = {
  candidates: 3,
  /** Cabinet centre (x, y), yaw (radians, 0 = facing the robot) and plinth height (the cabinet's base). */
  x: [-0.15, 0.15] as const,
  y: [0.78, 0.92] as const,
  yaw: [-(20 * Math.PI) / 180, (20 * Math.PI) / 180] as const,
  plinth: [0, 0.06] as const,
  /** Carcass half extents (x, y) and height. */
  halfWidth: 0.33,
  halfDepth: 0.06,
  height: 0.18,
  /** The far retaining wall's inner face: the carcass stays in front of it. */
  farWall: 0.98,
  /** Door k's hinge axis (its leaf's front-left corner) in the cabinet frame: x = hingeX0 + k·pitch. */
  hingeX0: -0.2925,
  pitch: 0.22,
  hingeY: -0.076,
  leafWidth: 0.145,
  /** Handle in the door frame (u along the leaf from the hinge, v outward is negative, z up). */
  handle: { u: 0.0985, v: -0.066, z: 0.14 },
  /** The hook gap between the leaf (v = 0) and the bar's inner face (v = −0.058), between the stems (u 0.066…0.131). */
  gap: { u: 0.0985, v: -0.029 },
  /** Hinge range (closed at 0). */
  maxAngle: 1.4,
  successAngle: 1.0,
  violationAngle: 0.15,
  /** The hand starts high in front of the cabinet. */
  handInit: [0, 0.4, 0.2] as Vec3,
};

export interface DoorLayout {
  /** Cabinet centre (x, y), yaw and plinth height. */
  x: number;
  y: number;
  yaw: number;
  plinth: number;
}

export interface DoorState {
  /** Opening angle of each door (radians, 0 = closed). */
  angles: number[];
}

/** The cabinet frame's origin in world coordinates. */
export function cabinetOrigin(layout: DoorLayout): Vec3 {
  return [layout.x, layout.y, layout.plinth];
}

/**
 * A point given in door `k`'s frame (u along the leaf from the hinge, v normal to it, z up), with the
 * door open by `angle`, in world coordinates. The hinge turns about −z, so opening swings the free
 * edge toward the robot.
 */
export function doorPoint(layout: DoorLayout, k: number, angle: number, local: { u: number; v: number; z: number }): Vec3 {
  const c = Math.cos(angle),
    s = Math.sin(angle);
  const cabinetLocal: Vec3 = [DOOR.hingeX0 + k * DOOR.pitch + local.u * c + local.v * s, DOOR.hingeY - local.u * s + local.v * c, local.z];
  return toWorld(cabinetOrigin(layout), layout.yaw, cabinetLocal);
}

/** The four bottom corners of the carcass in world coordinates. */
function carcassCorners(layout: DoorLayout): Vec3[] {
  const { halfWidth: w, halfDepth: d } = DOOR;
  return [
    [-w, -d],
    [w, -d],
    [-w, d],
    [w, d],
  ].map(([x, y]) => toWorld(cabinetOrigin(layout), layout.yaw, [x!, y!, 0]));
}

const layoutSchema = z
  .object({
    x: bounded(DOOR.x[0], DOOR.x[1]),
    y: bounded(DOOR.y[0], DOOR.y[1]),
    yaw: bounded(DOOR.yaw[0], DOOR.yaw[1]),
    plinth: bounded(DOOR.plinth[0], DOOR.plinth[1]),
  })
  .strict() as z.ZodType<DoorLayout>;

const names = (prefix: string) => [0, 1, 2].map((k) => `${prefix}_${k}`);

export const doorModule: CuedEnvModule<DoorLayout, DoorState> = {
  scene: 'door',
  candidates: DOOR.candidates,
  layoutSchema,
  massBodies: names('door'),
  requiredNames: [
    { kind: 'body', name: 'cabinet' },
    ...names('door_hinge').map((name) => ({ kind: 'joint' as const, name })),
    ...names('door_handle').map((name) => ({ kind: 'site' as const, name })),
  ],

  generate(rng: RandomSource): DoorLayout {
    // The doors are the candidates and are placed by the cabinet as a whole, so the layout is
    // symmetric in them by construction. The only rule: the carcass stays in front of the far wall.
    return drawUntil(
      () => ({ x: rng.uniform(...DOOR.x), y: rng.uniform(...DOOR.y), yaw: rng.uniform(...DOOR.yaw), plinth: rng.uniform(...DOOR.plinth) }),
      (l) => carcassCorners(l).every((c) => c[1] <= DOOR.farWall),
      'door cabinet',
    );
  },

  handInit: () => DOOR.handInit,
  candidateGeoms: (k) => [`door_leaf_${k}`],

  place(env, layout) {
    env.setStaticBodyPose('cabinet', cabinetOrigin(layout), layout.yaw);
  },

  measure: (env) => ({ angles: [0, 1, 2].map((k) => env.jointQpos(`door_hinge_${k}`)) }),

  judge(now, _start, layout, target, hand): Judgement {
    const angle = now.angles[target]!;
    const wrong = now.angles.findIndex((a, k) => k !== target && a > DOOR.violationAngle);
    // Shaping: bring the fingertips to the target's hook gap, then swing the door open.
    const gap = doorPoint(layout, target, angle, { ...DOOR.gap, z: DOOR.handle.z - 0.02 });
    const reach = tolerance(dist(hand.tcp, gap), 0, 0.02, 0.4);
    const opened = Math.min(1, Math.max(0, angle) / DOOR.successAngle);
    return {
      reward: 10 * (angle >= DOOR.successAngle ? 1 : 0.3 * reach + 0.7 * opened),
      success: angle >= DOOR.successAngle,
      violation: wrong >= 0 ? 'opened a wrong door' : null,
    };
  },

  keyPoints: (now, layout, target) => ({
    object: doorPoint(layout, target, now.angles[target]!, DOOR.handle),
    goal: doorPoint(layout, target, DOOR.successAngle, DOOR.handle),
  }),

  oracle({ hand, layout, target, state }) {
    // Closed fingers go down into the target's hook gap (between the leaf and the handle bar) from
    // above, then pull the bar round the hinge: the fingertip target runs ahead of the door on the
    // gap's arc, so the fingers press on the bar's inner face, which swings the door toward the robot.
    const angle = state.angles[target]!;
    const hookZ = DOOR.handle.z - 0.02;
    const inGap = doorPoint(layout, target, angle, { ...DOOR.gap, z: hookZ });
    const above: Vec3 = [inGap[0], inGap[1], inGap[2] + 0.07];
    const tcp = hand.tcp;
    // In the gap's frame: how far the fingertips are from its centre across the bar (v) and along it (u).
    const local = toLocal(cabinetOrigin(layout), layout.yaw, tcp);
    const hinge = [DOOR.hingeX0 + target * DOOR.pitch, DOOR.hingeY];
    const dx = local[0] - hinge[0]!,
      dy = local[1] - hinge[1]!;
    const c = Math.cos(angle),
      s = Math.sin(angle);
    const u = dx * c - dy * s;
    const v = dx * s + dy * c;
    const hooked = tcp[2] < DOOR.handle.z + layout.plinth && Math.abs(u - DOOR.gap.u) < 0.035 && v < 0.005 && v > -0.06;
    let goal: Vec3;
    if (hooked) goal = doorPoint(layout, target, Math.min(DOOR.maxAngle, angle + 0.35), { ...DOOR.gap, z: hookZ });
    else if (xyDist(tcp, inGap) < 0.012) goal = inGap;
    else if (tcp[2] < above[2] - 0.03 && xyDist(tcp, inGap) > 0.03) goal = [tcp[0], tcp[1], above[2]];
    else goal = above;
    const handGoal: Vec3 = [goal[0], goal[1], goal[2] + 0.045];
    return { move: toward(hand.hand, handGoal, 12), effort: 1 };
  },
};
