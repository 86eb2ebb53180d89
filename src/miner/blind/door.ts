/**
 * Blind attacks on cued door-open (docs/envs/door-open.md). Everything about the cabinet can be felt:
 * probes from above find its top (so the plinth height), where the top ends toward the robot (its
 * front line, so its yaw) and where it ends sideways (so where the three doors are); closed fingers can
 * then drop into a handle's hook gap — touch corrects a miss — and swing the door open. The three doors
 * are identical, so the door it opens is the target one time in three, and opening a wrong one ends
 * the episode.
 */
import type { Vec3 } from '../../sim/arm.ts';
import { DOOR, doorPoint, type DoorLayout } from '../../sim/cued/door.ts';
import { commandTo, dwell, feelAlong, goTo, type BlindCommand, type BlindObservation, type BlindStrategy } from './common.ts';

const ENV = ['metaworld/door-open-v3'] as const;
const CLOSED = 1;
/** Above every cabinet (top at most 24 cm) with room for the fingers. */
const HIGH_Z = 0.27;
/** Closed fingertips reach this far toward and away from the robot (y), and sideways (x). */
const FOOT_Y = 0.0195;
const FOOT_X = 0.015;
const HOOK_Z = DOOR.handle.z - 0.02;
const rot = (yaw: number, v: [number, number]): [number, number] => [Math.cos(yaw) * v[0] - Math.sin(yaw) * v[1], Math.sin(yaw) * v[0] + Math.cos(yaw) * v[1]];

type Script<T> = Generator<BlindCommand, T, BlindObservation>;

/**
 * Comes down at (x, y) from `travelZ` toward `bottomZ` and goes back up. Returns the height where
 * something held the fingertips up (undefined: nothing above `bottomZ`). The moves are planned on the
 * integrated command, which the policy knows exactly, so a probe costs a few steps more than its path.
 */
function* feel(obs: BlindObservation, x: number, y: number, travelZ: number, bottomZ: number): Script<{ obs: BlindObservation; z?: number }> {
  if (obs.commanded[2] < travelZ - 0.005) obs = yield* commandTo(obs, [obs.commanded[0], obs.commanded[1], travelZ]);
  obs = yield* commandTo(obs, [x, y, travelZ]);
  let z: number | undefined;
  if (travelZ - bottomZ > 0.07) {
    obs = yield* dwell(obs, 3, CLOSED);
    // A long way down: stop at the first contact rather than wind the hand up against it.
    const down = yield* feelAlong(obs, [0, 0, -1], travelZ - bottomZ);
    obs = down.obs;
    z = down.at?.[2];
    obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], travelZ], { gripper: CLOSED, tolerance: 0.01, gain: 30 });
  } else {
    obs = yield* commandTo(obs, [x, y, bottomZ]);
    obs = yield* dwell(obs, 3, CLOSED);
    if (obs.tcp[2] > obs.commanded[2] + 0.012) z = obs.tcp[2];
    obs = yield* commandTo(obs, [x, y, travelZ]);
  }
  return { obs, z };
}

export const doorStrategies: BlindStrategy[] = [
  {
    name: 'door-touch-hook',
    envIds: ENV,
    techniques: ['touch-probe', 'random-candidate'],
    summary: "feels the cabinet's top, front line and side with probes from above, picks one of the three doors, hooks its handle and swings it open",
    *script(obs, rng) {
      // 1. The top: probes from the back of the table toward the robot until one lands on the cabinet.
      let top: number | undefined;
      let insideY = 0;
      for (const y of [0.85, 0.79, 0.91, 0.73]) {
        const felt = yield* feel(obs, 0, y, HIGH_Z, 0.13);
        obs = felt.obs;
        if (felt.z !== undefined && felt.z > 0.165) {
          top = felt.z;
          insideY = y;
          break;
        }
      }
      if (top === undefined) return;
      const plinth = top - DOOR.height;
      const travel = top + 0.015;
      const onTop = (z: number | undefined) => z !== undefined && z > top! - 0.012;

      // 2. The front line: at two x, the first y (coming from the front) where a probe lands on the top.
      const front: [number, number][] = [];
      for (const x of [-0.15, 0.15]) {
        let inside: number | undefined;
        for (const y of [insideY, insideY - 0.05, insideY + 0.05]) {
          const felt = yield* feel(obs, x, y, travel, top - 0.025);
          obs = felt.obs;
          if (onTop(felt.z)) {
            inside = y;
            break;
          }
        }
        if (inside === undefined) continue;
        let lo = inside - 0.14,
          hi = inside; // lo: in front of everything, hi: on the top
        for (let i = 0; i < 4; i++) {
          const mid = (lo + hi) / 2;
          const felt = yield* feel(obs, x, mid, travel, top - 0.025);
          obs = felt.obs;
          if (onTop(felt.z)) hi = mid;
          else lo = mid;
        }
        // The fingertips' back edge met the front edge.
        front.push([x, (lo + hi) / 2 + FOOT_Y]);
      }
      if (front.length < 2) return;
      const yaw = Math.min(DOOR.yaw[1], Math.max(DOOR.yaw[0], Math.atan2(front[1]![1] - front[0]![1], front[1]![0] - front[0]![0])));
      // Along the front line (through the first point, which is a leaf's or the carcass's front), and
      // 4 cm inside it: the carcass top.
      const along = rot(yaw, [1, 0]);
      const inward = rot(yaw, [0, 1]);
      const base: [number, number] = [front[0]![0] + 0.04 * inward[0], front[0]![1] + 0.04 * inward[1]];
      // 3. The right end: along that line, the last point that lands on the top.
      let lo = 0.3,
        hi = 0.66; // distance along the line from `base` (x = −0.15): on the top, beyond the end
      for (let i = 0; i < 5; i++) {
        const mid = (lo + hi) / 2;
        const felt = yield* feel(obs, base[0] + mid * along[0], base[1] + mid * along[1], travel, top - 0.025);
        obs = felt.obs;
        if (onTop(felt.z)) lo = mid;
        else hi = mid;
      }
      const end = (lo + hi) / 2 + FOOT_X;
      // The cabinet: its right end is half a width along the line from its centre; the front line is
      // the leaves' front (0.076 in front of the centre).
      const centreAlong = end - DOOR.halfWidth;
      const layout: DoorLayout = {
        x: front[0]![0] + centreAlong * along[0] - DOOR.hingeY * inward[0],
        y: front[0]![1] + centreAlong * along[1] - DOOR.hingeY * inward[1],
        yaw,
        plinth,
      };

      // 4. One of the three doors, at random: hook its handle and swing it open.
      const slot = rng.int(3);
      let shift = 0;
      for (let attempt = 0; attempt < 6; attempt++) {
        const inGap = doorPoint(layout, slot, 0, { u: DOOR.gap.u, v: DOOR.gap.v + shift, z: HOOK_Z });
        obs = yield* commandTo(obs, [inGap[0], inGap[1], travel + 0.01]);
        obs = yield* dwell(obs, 3, CLOSED);
        const down = yield* feelAlong(obs, [0, 0, -1], travel + 0.01 - inGap[2]);
        obs = down.obs;
        if (down.at && down.at[2] > plinth + DOOR.handle.z) {
          // Stopped above the bar: on the leaf's top edge (move out) or on the bar (move in).
          shift += down.at[2] > plinth + (DOOR.handle.z + 0.008 + 0.175) / 2 ? -0.015 : 0.015;
          obs = yield* commandTo(obs, [obs.tcp[0], obs.tcp[1], travel + 0.01]);
          continue;
        }
        // In the gap: pull round the hinge, the target a little ahead of the door on the gap's arc.
        for (;;) {
          const local = rot(-yaw, [obs.tcp[0] - layout.x, obs.tcp[1] - layout.y]);
          const dx = local[0] - (DOOR.hingeX0 + slot * DOOR.pitch),
            dy = local[1] - DOOR.hingeY;
          const angle = Math.max(0, Math.atan2(DOOR.gap.v, DOOR.gap.u) - Math.atan2(dy, dx));
          const goal: Vec3 = doorPoint(layout, slot, Math.min(DOOR.maxAngle, angle + 0.35), { u: DOOR.gap.u, v: DOOR.gap.v + shift, z: HOOK_Z });
          obs = yield { move: [12 * (goal[0] - obs.tcp[0]), 12 * (goal[1] - obs.tcp[1]), 12 * (goal[2] - obs.tcp[2])], gripper: CLOSED };
        }
      }
    },
  },
  {
    name: 'door-line-drag',
    envIds: ENV,
    techniques: ['fixed-line', 'drag'],
    summary: 'sweeps closed fingers along fixed lines at handle height toward the hinge side, shoving the first handle it meets round, and keeps dragging',
    *script(obs) {
      // Handles are 14…20 cm up and 63…80 cm out (cabinet y and yaw permitting). A shove toward the
      // hinge side on a handle's stem swings its door open; the fingers then follow it round.
      for (const y of [0.7, 0.66, 0.74]) {
        obs = yield* commandTo(obs, [obs.commanded[0], obs.commanded[1], HIGH_Z]);
        obs = yield* commandTo(obs, [0.48, y, HIGH_Z]);
        obs = yield* commandTo(obs, [0.48, y, 0.15]);
        obs = yield* dwell(obs, 3, CLOSED);
        const met = yield* feelAlong(obs, [-1, 0, 0], 0.96, 0.6);
        obs = met.obs;
        if (!met.at) continue;
        // Drag on: toward the hinge side and the robot, the way a handle swings.
        for (let i = 0; i < 60; i++) obs = yield { move: [-0.6, -0.6, 0], gripper: CLOSED };
        for (;;) obs = yield* dwell(obs, 50, CLOSED);
      }
    },
  },
];
