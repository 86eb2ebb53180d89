/**
 * pick-place (cued) from pixels: lift the cued puck and hold it in the cyan sphere (the shared puck
 * routine, pucks.ts). The sphere floats 12–30 cm up, so its depth needs both views.
 */
import { cyanFix, puckSkill } from './pucks.ts';

export const pickPlaceSkill = puckSkill({
  goal: (frame) =>
    cyanFix(frame, [
      [-0.45, 0.38, 0.07],
      [0.45, 0.92, 0.37],
    ]),
  puckGoal: (goal) => goal,
});
