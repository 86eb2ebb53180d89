/**
 * reach (cued): find the marker wearing the cue colour and bring the fingertips to it without passing
 * near another marker — rise above the markers' band, cross over, come straight down (markers are at
 * least 10 cm apart horizontally; docs/envs/reach.md).
 */
import { toward, xyDist, type Vec3 } from '../../../sim/cued/geometry.ts';
import { REACH } from '../../../sim/cued/reach.ts';
import { cue, HOLD, track, type CuedSkill } from './skill.ts';

/** Above every marker's highest possible centre by more than the violation radius (fingertip height). */
const SAFE_TCP_Z = REACH.high[2] + 0.09;
const FINGER = 0.045;

export const reachSkill: CuedSkill = (frame, memory) => {
  const target = cue(frame, memory);
  if (target === undefined) return HOLD;
  const goal = track(frame, memory, 'target', target, { region: [REACH.low.map((v) => v - 0.05) as Vec3, REACH.high.map((v) => v + 0.05) as Vec3] });
  const tcp = frame.tcp;
  const hand = (p: Vec3): Vec3 => [p[0], p[1], p[2] + FINGER];
  if (!goal) {
    // Not seen yet (hidden behind the gripper in both views at the start): rise, which reveals it.
    return { move: toward(frame.hand, hand([tcp[0], tcp[1], SAFE_TCP_Z]), 10), effort: -1 };
  }
  let waypoint: Vec3;
  if (xyDist(tcp, goal) > 0.02)
    waypoint = tcp[2] < SAFE_TCP_Z - 0.02 && xyDist(tcp, goal) > 0.05 ? [tcp[0], tcp[1], SAFE_TCP_Z] : [goal[0], goal[1], SAFE_TCP_Z];
  else waypoint = goal;
  return { move: toward(frame.hand, hand(waypoint), 10), effort: -1 };
};
