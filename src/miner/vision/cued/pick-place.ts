import { pendingSkill } from './stub.ts';

export const pickPlaceSkill = pendingSkill;
