/** Placeholder for cued skills under construction (removed once all eight exist). */
import { HOLD, type CuedSkill } from './skill.ts';

export const pendingSkill: CuedSkill = () => HOLD;
