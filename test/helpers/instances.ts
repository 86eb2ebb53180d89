import { devInstance } from '../../src/sim/instance.ts';

/**
 * A well-formed instance key that carries `n` in its last bytes, for executor tests whose backends only
 * need a key (the kinematic backend derives its goal from the last byte). Real instances come from
 * src/sim/instance.ts.
 */
export function labelInstance(n: number, randomization: 'cued' | 'metaworld' = 'cued'): string {
  return `${randomization}:${n.toString(16).padStart(128, '0')}`;
}

/** The MetaWorld-family development instance of `seed` (for tests of that family's behaviour). */
export function mwInstance(seed: number): string {
  return devInstance(seed, 0, 'metaworld');
}
