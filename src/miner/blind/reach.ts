/**
 * Blind attacks on cued reach. The markers have no contacts, so touch tells nothing: what is left is
 * covering space — a raster that dwells long enough at each point to satisfy the held-success test —
 * or guessing. Passing within 5 cm of a wrong marker ends the episode, which is what defeats both.
 */
import { REACH } from '../../sim/cued/reach.ts';
import type { Vec3 } from '../../sim/arm.ts';
import { dwell, goTo, rasterPoints, type BlindStrategy } from './common.ts';

/** Dwell per raster point: the hold time (10 steps) plus one. */
const DWELL = 11;

export const reachStrategies: BlindStrategy[] = [
  {
    name: 'reach-raster',
    envIds: ['metaworld/reach-v3'],
    techniques: ['raster'],
    summary: 'visits a 7 cm grid over the marker volume, layer by layer, dwelling at each point long enough to count as held',
    *script(obs) {
      const points = [0.12, 0.2, 0.28].flatMap((z) => rasterPoints([REACH.low[0], REACH.low[1]], [REACH.high[0], REACH.high[1]], z, 0.07));
      // Nearest first from the start, greedily: the most points the step budget allows.
      let here = obs.tcp;
      const left = [...points];
      while (left.length > 0) {
        left.sort((a, b) => Math.hypot(a[0] - here[0], a[1] - here[1], a[2] - here[2]) - Math.hypot(b[0] - here[0], b[1] - here[1], b[2] - here[2]));
        const next = left.shift()!;
        obs = yield* goTo(obs, next, { tolerance: 0.01, gain: 20 });
        obs = yield* dwell(obs, DWELL);
        here = obs.tcp;
      }
    },
  },
  {
    name: 'reach-guess',
    envIds: ['metaworld/reach-v3'],
    techniques: ['random-candidate'],
    summary: 'goes to a uniformly random point of the marker volume and holds it',
    *script(obs, rng) {
      const p: Vec3 = [0, 1, 2].map((k) => rng.uniform(REACH.low[k]!, REACH.high[k]!)) as Vec3;
      obs = yield* goTo(obs, p, { tolerance: 0.005, maxSteps: 400 });
      for (;;) obs = yield* dwell(obs, 100);
    },
  },
];
