/** The cued family's environment modules, one per environment id. */
import type { EnvId } from '../registry.ts';
import { buttonModule } from './button.ts';
import { doorModule } from './door.ts';
import { drawerCloseModule, drawerOpenModule } from './drawer.ts';
import type { CuedEnvModule } from './module.ts';
import { pegModule } from './peg.ts';
import { pickPlaceModule } from './pick-place.ts';
import { pushModule } from './push.ts';
import { reachModule } from './reach.ts';

/**
 * Each module is typed with its own layout and state; the registry erases those types. Safe because
 * the binding and the task generator only ever pass a module's layouts and states back to the same
 * module (a layout from outside is validated by that module's schema first).
 */
function erase<L, S>(module: CuedEnvModule<L, S>): CuedEnvModule {
  return module as unknown as CuedEnvModule;
}

export const CUED_MODULES: Record<EnvId, CuedEnvModule> = {
  'metaworld/reach-v3': erase(reachModule),
  'metaworld/push-v3': pushModule,
  'metaworld/pick-place-v3': pickPlaceModule,
  'metaworld/door-open-v3': doorModule,
  'metaworld/drawer-open-v3': drawerOpenModule,
  'metaworld/drawer-close-v3': drawerCloseModule,
  'metaworld/button-press-v3': buttonModule,
  'metaworld/peg-insert-v3': pegModule,
};
