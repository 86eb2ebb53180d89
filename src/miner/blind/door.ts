import type { BlindStrategy } from './common.ts';

/** Filled in with this environment's cued design. */
export const doorStrategies: BlindStrategy[] = [];
