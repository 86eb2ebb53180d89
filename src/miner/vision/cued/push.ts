/**
 * push (cued) from pixels: carry the cued puck onto the cyan disc and set it down there (the shared
 * puck routine, pucks.ts). The disc lies on the table: one view is enough to place it (its ray meets
 * the table plane), two are better.
 */
import { cyanFix, puckSkill } from './pucks.ts';

export const pushSkill = puckSkill({
  goal: (frame) =>
    cyanFix(
      frame,
      [
        [-0.45, 0.38, -0.03],
        [0.45, 0.92, 0.04],
      ],
      0.001,
    ),
  puckGoal: (goal) => [goal[0], goal[1], 0.02],
});
