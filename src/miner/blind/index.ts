/** The blind adversary suite: every strategy, by environment (the first listed is the strongest). */
import type { EnvId } from '../../sim/registry.ts';
import { buttonStrategies } from './button.ts';
import type { BlindStrategy } from './common.ts';
import { doorStrategies } from './door.ts';
import { drawerStrategies } from './drawer.ts';
import { pegStrategies } from './peg.ts';
import { pickPlaceStrategies } from './pick-place.ts';
import { pushStrategies } from './push.ts';
import { reachStrategies } from './reach.ts';

export const BLIND_STRATEGIES: readonly BlindStrategy[] = [
  ...reachStrategies,
  ...pushStrategies,
  ...pickPlaceStrategies,
  ...doorStrategies,
  ...drawerStrategies,
  ...buttonStrategies,
  ...pegStrategies,
];

/** The strategies that attack `envId`, strongest first. */
export function strategiesFor(envId: EnvId): BlindStrategy[] {
  return BLIND_STRATEGIES.filter((s) => s.envIds.includes(envId));
}
