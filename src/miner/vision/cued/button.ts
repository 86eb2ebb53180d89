import { pendingSkill } from './stub.ts';

export const buttonSkill = pendingSkill;
