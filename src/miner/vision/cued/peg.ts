import { pendingSkill } from './stub.ts';

export const pegSkill = pendingSkill;
