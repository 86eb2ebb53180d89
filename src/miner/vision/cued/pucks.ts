/**
 * The vision skill of the two cued puck scenes (push, pick-place; docs/envs/push.md,
 * docs/envs/pick-place.md), from pixels and proprioception only:
 *
 * - read the cue (the wrist band's palette colour) and find the puck wearing it: its blob in both
 *   views, triangulated (one view: the ray meets the plane of resting puck centres);
 * - find the cyan goal: the disc on the table (push) or the sphere in the air (pick-place, both
 *   views needed to place it in depth);
 * - grasp the puck from above — travel with the fingertips 10 cm up (clear of every puck top), come
 *   straight down with open fingers (pucks stand ≥ 12 cm apart, so no other puck is touched), close —
 *   lift it clear of the others, carry it, and bring it to the goal; proprioception tells whether the
 *   fingers hold it (they stop at ≈ 0.69 closure on a 4 cm puck; ≈ 1 on nothing).
 *
 * Positions are remembered across frames: the gripper and arm hide the puck as the hand comes over
 * it, and partly hidden blobs have biased centroids, so the puck's position is the best unhidden
 * sighting taken before the descent.
 */
import type { Vec3 } from '../camera.ts';
import type { Frame } from '../frame.ts';
import { locateColour } from './blobs.ts';
import { CuedClass } from './classes.ts';
import { cue, HOLD, type Command, type CuedSkill, type EpisodeMemory } from './skill.ts';

/** Resting puck centre height, and the fingertip heights of the routine (as the privileged oracle's). */
const PUCK_Z = 0.02;
const GRASP_TCP_Z = 0.012;
const CRUISE_TCP_Z = 0.1;
/** A held puck's centre is this far above the fingertips (grasped 8 mm below its centre). */
const HELD_OFFSET = PUCK_Z - GRASP_TCP_Z;
/** A carried puck's centre stays at least this high until it is over its goal (bottom 9 cm up). */
const CARRY_Z = 0.12;
/** Gripper closure with the fingers on a puck (≈ 0.69), and the closure above which they hold nothing. */
const EMPTY_CLOSURE = 0.85;

/** Where pucks and goals can be (a margin round the generator's area). */
const PUCK_REGION: [Vec3, Vec3] = [
  [-0.42, 0.38, -0.01],
  [0.42, 0.92, 0.06],
];

type Phase = 'find' | 'approach' | 'descend' | 'close' | 'lift' | 'carry' | 'place';

interface Fix {
  point: Vec3;
  area: number;
}

export interface PuckSkillOptions {
  /** Locates the goal marker's centre in this frame (undefined: not seen well enough). */
  goal(frame: Frame): Fix | undefined;
  /** Where the puck's centre must go, given the goal marker's centre. */
  puckGoal(goal: Vec3): Vec3;
}

const hand = (frame: Frame, tcp: Vec3): Vec3 => [
  tcp[0] + frame.hand[0] - frame.tcp[0],
  tcp[1] + frame.hand[1] - frame.tcp[1],
  tcp[2] + frame.hand[2] - frame.tcp[2],
];
const steer = (frame: Frame, tcp: Vec3, effort: number, gain = 10): Command => {
  const h = hand(frame, tcp);
  return { move: [gain * (h[0] - frame.hand[0]), gain * (h[1] - frame.hand[1]), gain * (h[2] - frame.hand[2])], effort };
};
const xyDist = (a: Vec3, b: Vec3) => Math.hypot(a[0] - b[0], a[1] - b[1]);

/** Keeps the fix with the most pixels behind it (the object does not move while it is watched). */
function keepBest(memory: EpisodeMemory, key: string, seen: Fix | undefined): Vec3 | undefined {
  const old = memory[key] as Fix | undefined;
  if (seen && (!old || seen.area >= old.area)) memory[key] = seen;
  return (memory[key] as Fix | undefined)?.point;
}

export function puckSkill(options: PuckSkillOptions): CuedSkill {
  return (frame, memory) => {
    const target = cue(frame, memory);
    if (target === undefined) return HOLD;
    let phase = (memory.phase as Phase | undefined) ?? 'find';
    const tcp = frame.tcp;

    // The goal: static, so the best sighting wins (it may be hidden by the arm later).
    const goal = keepBest(memory, 'goal', options.goal(frame));
    // The target puck, while it stands on the table and the hand is not over it.
    if (phase === 'find' || phase === 'approach') {
      const seen = locateColour(frame, target, { planeZ: PUCK_Z, region: PUCK_REGION, maxMiss: 0.05 });
      // Two-view fixes only, unless nothing better has been seen; the hand must not be near it.
      const near = memory.puck !== undefined && xyDist(tcp, (memory.puck as Fix).point) < 0.07;
      if (seen && !near) {
        // Two-view fixes beat one-view ones; among equals, the one with more pixels behind it.
        keepBest(memory, 'puck', { point: seen.point, area: seen.area + (seen.views === 2 ? 1000 : 0) });
      }
    }
    const puck = (memory.puck as Fix | undefined)?.point;

    let command: Command = HOLD;
    switch (phase) {
      case 'find':
        // Not seen yet: rise (the gripper may hide it at the start), fingers open.
        if (puck) phase = 'approach';
        command = steer(frame, [tcp[0], tcp[1], Math.max(tcp[2], 0.2)], -1);
        break;
      case 'approach': {
        const over: Vec3 = [puck![0], puck![1], CRUISE_TCP_Z];
        const low = tcp[2] < CRUISE_TCP_Z - 0.02 && xyDist(tcp, puck!) > 0.01;
        command = frame.gripper > 0.1 ? steer(frame, tcp, -1) : steer(frame, low ? [tcp[0], tcp[1], CRUISE_TCP_Z] : over, -1);
        if (frame.gripper <= 0.1 && xyDist(tcp, puck!) < 0.004 && Math.abs(tcp[2] - CRUISE_TCP_Z) < 0.03) phase = 'descend';
        break;
      }
      case 'descend':
        command = steer(frame, [puck![0], puck![1], GRASP_TCP_Z], -1);
        if (tcp[2] < GRASP_TCP_Z + 0.004) {
          phase = 'close';
          memory.closing = 0;
        }
        break;
      case 'close':
        command = steer(frame, [puck![0], puck![1], GRASP_TCP_Z], 1);
        memory.closing = (memory.closing as number) + 1;
        if ((memory.closing as number) >= 12) phase = frame.gripper < EMPTY_CLOSURE ? 'lift' : 'approach';
        break;
      case 'lift':
      case 'carry':
      case 'place': {
        if (frame.gripper >= EMPTY_CLOSURE) {
          // Lost it: open, look again, start over.
          delete memory.puck;
          phase = 'find';
          command = steer(frame, [tcp[0], tcp[1], CRUISE_TCP_Z], -1);
          break;
        }
        const held: Vec3 = [tcp[0], tcp[1], tcp[2] + HELD_OFFSET];
        if (phase === 'lift') {
          command = steer(frame, [tcp[0], tcp[1], CARRY_Z - HELD_OFFSET + 0.01], 1);
          if (held[2] >= CARRY_Z) phase = 'carry';
          break;
        }
        if (!goal) {
          // Goal not seen yet: wait high, out of the way of the views.
          command = steer(frame, [tcp[0], tcp[1], 0.3], 1);
          break;
        }
        const dest = options.puckGoal(goal);
        if (phase === 'carry') {
          const z = Math.max(dest[2], CARRY_Z);
          command = steer(frame, [dest[0], dest[1], z - HELD_OFFSET], 1);
          if (xyDist(held, dest) < 0.01) phase = 'place';
        } else {
          command = steer(frame, [dest[0], dest[1], dest[2] - HELD_OFFSET], 1);
        }
        break;
      }
    }
    memory.phase = phase;
    return command;
  };
}

/** The cyan marker's centre: two views triangulated; with `planeZ`, one view on that plane too. */
export function cyanFix(frame: Frame, region: [Vec3, Vec3], planeZ?: number): Fix | undefined {
  const seen = locateColour(frame, CuedClass.Cyan, { region, maxMiss: 0.06, ...(planeZ !== undefined ? { planeZ } : {}) });
  if (!seen) return undefined;
  // A one-view fix counts for less than any two-view one.
  return { point: seen.point, area: seen.views === 2 ? seen.area + 1000 : seen.area };
}
