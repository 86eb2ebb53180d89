/** The vision policy's skills for the cued scenes, one per environment. */
import type { EnvId } from '../../../sim/registry.ts';
import { buttonSkill } from './button.ts';
import { doorSkill } from './door.ts';
import { drawerCloseSkill, drawerOpenSkill } from './drawer.ts';
import { pegSkill } from './peg.ts';
import { pickPlaceSkill } from './pick-place.ts';
import { pushSkill } from './push.ts';
import { reachSkill } from './reach.ts';
import type { CuedSkill } from './skill.ts';

export const CUED_SKILLS: Record<EnvId, CuedSkill> = {
  'metaworld/reach-v3': reachSkill,
  'metaworld/push-v3': pushSkill,
  'metaworld/pick-place-v3': pickPlaceSkill,
  'metaworld/door-open-v3': doorSkill,
  'metaworld/drawer-open-v3': drawerOpenSkill,
  'metaworld/drawer-close-v3': drawerCloseSkill,
  'metaworld/button-press-v3': buttonSkill,
  'metaworld/peg-insert-v3': pegSkill,
};
