/**
 * button-press (cued): find the button whose cap wears the cue colour, come down on it from above with
 * closed fingers and keep pressing (docs/envs/button-press.md).
 *
 * Perception: the target's cap and the ring round it are one blob of the cue colour, triangulated from
 * the two views; the estimate is refined while the hand is away and frozen once the hand closes in
 * (the gripper then hides the cap). The blob's centroid sits between the ring on the panel and the cap
 * top, so the cap top is a measured 1.5 cm above it.
 */
import { BUTTON } from '../../../sim/cued/button.ts';
import { toward, xyDist, type Vec3 } from '../../../sim/cued/geometry.ts';
import { locateColour } from './blobs.ts';
import { cue, HOLD, type CuedSkill, type EpisodeMemory } from './skill.ts';

/** The cap top above the two-view centroid of cap and ring (measured). */
const CENTROID_TO_TOP = 0.015;
const REGION: [Vec3, Vec3] = [
  [-0.55, 0.35, 0.03],
  [0.55, 1.0, 0.25],
];
const FINGER = 0.045;
/** Freeze the estimate once the fingertips are this close (horizontally) to the cap. */
const FREEZE_XY = 0.1;
/** Where the hand goes to look when the cap is hidden at the start (high, toward the robot). */
const LOOKOUT: Vec3 = [0, 0.45, 0.3];

interface ButtonMemory {
  /** Estimated cap top (at rest). */
  top?: Vec3;
  views: number;
}

export const buttonSkill: CuedSkill = (frame, memory: EpisodeMemory) => {
  const targetCls = cue(frame, memory);
  if (targetCls === undefined) return HOLD;
  const m = ((memory.button as ButtonMemory | undefined) ?? (memory.button = { views: 0 })) as ButtonMemory;
  const tcp = frame.tcp;
  const hand = (p: Vec3): Vec3 => [p[0], p[1], p[2] + FINGER];
  if (!m.top || xyDist(tcp, m.top) > FREEZE_XY) {
    const seen = locateColour(frame, targetCls, { minArea: 2, region: REGION });
    if (seen && seen.views >= m.views) {
      m.top = [seen.point[0], seen.point[1], seen.point[2] + CENTROID_TO_TOP];
      m.views = seen.views;
    }
  }
  if (!m.top) return { move: toward(frame.hand, hand(LOOKOUT), 10), effort: 1 };
  const top = m.top;
  const hover: Vec3 = [top[0], top[1], top[2] + 0.06];
  const off = xyDist(tcp, top);
  const low = tcp[2] < hover[2] - 0.015;
  let goal: Vec3;
  // Down onto the cap, and on a little below the bottom stop so the spring cannot lift it during the hold.
  if (off <= 0.006 || (low && off <= 0.02)) goal = [top[0], top[1], top[2] - BUTTON.travel - 0.015];
  else if (low) goal = [tcp[0], tcp[1], hover[2]];
  else goal = hover;
  return { move: toward(frame.hand, hand(goal), 12), effort: 1 };
};
