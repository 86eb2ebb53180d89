import { pendingSkill } from './stub.ts';

export const pushSkill = pendingSkill;
