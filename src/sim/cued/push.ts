/**
 * push (cued): three identical pucks on the table and a flat cyan goal disc lying on it; the target is
 * the puck wearing the cue colour. Success: the target's centre within 5 cm (horizontally) of the goal
 * centre with the puck resting on the table, for the hold time. Violation: any other puck moved more
 * than 3 cm or lifted more than 2 cm. The goal is visual only (no contacts), so touch can find pucks
 * but never the goal; pushing, sliding or carrying are all fine as long as the puck ends on the disc.
 */
import type { Judgement } from '../binding.ts';
import type { RandomSource } from '../drbg.ts';
import { tolerance } from '../rewards.ts';
import { dist, drawUntil, xyDist, type Vec3 } from './geometry.ts';
import type { CuedEnvModule } from './module.ts';
import {
  carryOracle,
  clearPaths,
  drawAreaPoint,
  drawPucks,
  PUCKS,
  pucksLayoutSchema,
  pucksModuleBase,
  pucksValid,
  wrongPuckViolation,
  type PucksLayout,
  type PucksState,
} from './pucks.ts';

export const PUSH = {
  /** Goal disc centre ≥ this far (horizontally) from every puck: every puck has a real way to go. */
  goalClearance: 0.15,
  /**
   * Every puck's straight path to the goal passes ≥ this far from every other puck (centre to
   * centre): 8 cm leaves 4 cm between puck edges, room for a pushed puck and the pad behind it.
   * Symmetric in the pucks, so the rule says nothing about which one is the target.
   */
  pathClearance: 0.08,
  /** Success radius (target centre to goal centre, horizontally). */
  radius: 0.05,
  /** Height of the goal disc's centre (a 2 mm disc on the table top). */
  discZ: 0.0012,
};

export type PushLayout = PucksLayout;

export const pushModule: CuedEnvModule<PushLayout, PucksState> = {
  ...pucksModuleBase,
  scene: 'push',
  layoutSchema: pucksLayoutSchema([0, 0.01]),

  generate(rng: RandomSource): PushLayout {
    const drawn = drawUntil(
      () => ({ pucks: drawPucks(rng), goal: drawAreaPoint(rng) }),
      ({ pucks, goal }) =>
        pucksValid(pucks) &&
        pucks.every((p) => Math.hypot(p[0] - goal[0], p[1] - goal[1]) >= PUSH.goalClearance) &&
        clearPaths(pucks, goal, PUSH.pathClearance),
      'push pucks and goal',
    );
    return { pucks: drawn.pucks, goal: [drawn.goal[0], drawn.goal[1], PUSH.discZ] };
  },

  judge(now, start, layout, target, hand): Judgement {
    const puck = now.pucks[target]!;
    const d = xyDist(puck, layout.goal);
    const resting = now.bottoms[target]! <= PUCKS.restTolerance;
    const success = d <= PUSH.radius && resting;
    // Shaping: fingertips to the target puck, then the puck to the goal (0–10; 10 on success).
    const reach = tolerance(dist(hand.tcp, puck), 0, 0.02, 0.2);
    const place = tolerance(d, 0, PUSH.radius, Math.max(0.05, xyDist(start.pucks[target]!, layout.goal)));
    return {
      reward: success ? 10 : 2 * reach + 8 * place * (resting ? 1 : 0.8),
      success,
      violation: wrongPuckViolation(now, start, target),
    };
  },

  keyPoints: (now, layout, target) => ({ object: [...now.pucks[target]!] as Vec3, goal: [layout.goal[0], layout.goal[1], PUCKS.restZ] }),

  // Carry the target onto the disc (a lift clears the other pucks whatever their positions) and set it
  // down there, still held: resting on the table, centred on the goal.
  oracle: (view, memory) => carryOracle(view, memory, [view.layout.goal[0], view.layout.goal[1], PUCKS.restZ]),
};
