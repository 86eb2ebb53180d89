import { pendingSkill } from './stub.ts';

export const doorSkill = pendingSkill;
