import { pendingSkill } from './stub.ts';

export const drawerOpenSkill = pendingSkill;
export const drawerCloseSkill = pendingSkill;
