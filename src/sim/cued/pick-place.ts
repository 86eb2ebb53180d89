/**
 * pick-place (cued): three identical pucks on the table and a cyan goal sphere in the air; the target
 * is the puck wearing the cue colour. Success: the target's centre within 7 cm of the goal AND the puck
 * off the table (its lowest point ≥ 2 cm up), for the hold time — goals are 12–30 cm up, so a puck
 * dragged along the table can never pass. Violation: any other puck moved more than 3 cm or lifted more
 * than 2 cm. The goal is visual only, so touch can find pucks but never the goal.
 */
import type { Judgement } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { tolerance } from '../rewards.ts';
import { dist, drawUntil, type Vec3 } from './geometry.ts';
import type { CuedEnvModule } from './module.ts';
import {
  carryOracle,
  drawAreaPoint,
  drawPucks,
  pucksLayoutSchema,
  pucksModuleBase,
  pucksValid,
  wrongPuckViolation,
  type PucksLayout,
  type PucksState,
} from './pucks.ts';

export const PICK_PLACE = {
  /** Goal centre height: from clearly off the table (a 7 cm sphere round it never reaches the table) to high. */
  goalZ: [0.12, 0.3] as [number, number],
  /**
   * Goal xy ≥ this far from every puck: lifting whichever puck straight up never meets the goal, so the
   * policy has to carry the puck to a place only the image shows.
   */
  goalClearance: 0.15,
  /** Success radius (target centre to goal centre, 3-D). */
  radius: 0.07,
  /** The target's lowest point must be at least this far above the table. */
  lifted: 0.02,
};

export type PickPlaceLayout = PucksLayout;

export const pickPlaceModule: CuedEnvModule<PickPlaceLayout, PucksState> = {
  ...pucksModuleBase,
  scene: 'pick-place',
  layoutSchema: pucksLayoutSchema([0.1, 0.35]),

  generate(rng: RandomSource): PickPlaceLayout {
    const drawn = drawUntil(
      () => ({ pucks: drawPucks(rng), goal: drawAreaPoint(rng), z: rng.uniform(PICK_PLACE.goalZ[0], PICK_PLACE.goalZ[1]) }),
      ({ pucks, goal }) => pucksValid(pucks) && pucks.every((p) => Math.hypot(p[0] - goal[0], p[1] - goal[1]) >= PICK_PLACE.goalClearance),
      'pick-place pucks and goal',
    );
    return { pucks: drawn.pucks, goal: [drawn.goal[0], drawn.goal[1], drawn.z] };
  },

  judge(now, start, layout, target, hand): Judgement {
    const puck = now.pucks[target]!;
    const d = dist(puck, layout.goal);
    const lifted = now.bottoms[target]! >= PICK_PLACE.lifted;
    const success = d <= PICK_PLACE.radius && lifted;
    // Shaping: fingertips to the target, lifting it, then the puck to the goal (0–10; 10 on success).
    const reach = tolerance(dist(hand.tcp, puck), 0, 0.02, 0.2);
    const lift = tolerance(now.bottoms[target]!, PICK_PLACE.lifted, Infinity, PICK_PLACE.lifted);
    const place = tolerance(d, 0, PICK_PLACE.radius, Math.max(0.05, dist(start.pucks[target]!, layout.goal)));
    return {
      reward: success ? 10 : 2 * reach + 2 * lift + 6 * place * lift,
      success,
      violation: wrongPuckViolation(now, start, target),
    };
  },

  keyPoints: (now, layout, target) => ({ object: [...now.pucks[target]!] as Vec3, goal: [...layout.goal] as Vec3 }),

  oracle: (view, memory) => carryOracle(view, memory, view.layout.goal),
};
