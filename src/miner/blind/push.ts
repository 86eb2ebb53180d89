/**
 * Blind attacks on cued push (docs/envs/push.md). Touch finds pucks but cannot tell them apart, and
 * the goal disc has no contacts, so the best a blind policy can do is grasp whichever puck it finds
 * first (the target one time in three) and cover the table with it, dwelling on the table long enough
 * at each spot for the held-success test.
 */
import type { Vec3 } from '../../sim/arm.ts';
import { dwell, type BlindStrategy } from './common.ts';
import { AREA, carry, findAndGrasp, GRASP_TCP_Z, sweep } from './pucks.ts';

/** Dwell on the table per drop point: the hold time (10 steps) plus margin. */
const DWELL = 12;
/** Fingertip height to travel with a held puck (its bottom ≈ 7 cm up, over every puck top). */
const TRAVEL_Z = 0.09;
/** Goal centres are ≥ 15 cm from every puck and the success radius is 5 cm. */
const EXCLUDE = 0.1;

/** Hexagonal cover of the area by 5 cm discs (8.5 cm apart in a row, rows 7.4 cm apart). */
function dropPoints(): Array<[number, number]> {
  const points: Array<[number, number]> = [];
  let row = 0;
  for (let y = AREA.low[1]; y <= AREA.high[1] + 1e-9; y += 0.074, row++) {
    for (let x = AREA.low[0] + (row % 2 ? 0.0425 : 0); x <= AREA.high[0] + 1e-9; x += 0.085) points.push([x, y]);
  }
  return points;
}

export const pushStrategies: BlindStrategy[] = [
  {
    name: 'push-touch-drag',
    envIds: ['metaworld/push-v3'],
    techniques: ['touch-probe', 'random-candidate', 'drag', 'raster'],
    summary:
      'finds and grasps a puck by touch, then drags it along the table in boustrophedon lines 9 cm apart, slowly enough (4 mm per step) that a line passing within 4.5 cm of the goal holds for 10 steps',
    *script(obs) {
      const found = yield* findAndGrasp(obs);
      obs = found.obs;
      if (!found.at) return;
      let row = 0;
      for (let y = AREA.low[1]; y <= AREA.high[1] + 1e-9; y += 0.09, row++) {
        const xs = row % 2 ? [AREA.high[0], AREA.low[0]] : [AREA.low[0], AREA.high[0]];
        obs = yield* carry(obs, [xs[0]!, y, GRASP_TCP_Z], 0.006, 20, 200);
        obs = yield* sweep(obs, [xs[1]!, y, GRASP_TCP_Z], 0.4);
      }
    },
  },
  {
    name: 'push-touch-drop',
    envIds: ['metaworld/push-v3'],
    techniques: ['touch-probe', 'random-candidate', 'raster'],
    summary:
      'finds a puck with a grid of downward touch probes, grasps it, then sets it down on a hexagonal cover of the table (skipping spots the goal rules exclude), dwelling at each for the hold time',
    *script(obs) {
      const found = yield* findAndGrasp(obs);
      obs = found.obs;
      if (!found.at) return;
      const start = found.at;
      const left = dropPoints().filter((p) => Math.hypot(p[0] - start[0], p[1] - start[1]) >= EXCLUDE);
      while (left.length > 0) {
        const here = obs.tcp;
        left.sort((a, b) => Math.hypot(a[0] - here[0], a[1] - here[1]) - Math.hypot(b[0] - here[0], b[1] - here[1]));
        const [x, y] = left.shift()!;
        obs = yield* carry(obs, [obs.tcp[0], obs.tcp[1], TRAVEL_Z], 0.01);
        obs = yield* carry(obs, [x, y, TRAVEL_Z], 0.01);
        obs = yield* carry(obs, [x, y, GRASP_TCP_Z], 0.004);
        obs = yield* dwell(obs, DWELL, 1);
      }
    },
  },
  {
    name: 'push-guess',
    envIds: ['metaworld/push-v3'],
    techniques: ['touch-probe', 'random-candidate'],
    summary: 'finds and grasps a puck by touch and sets it down at a uniformly random point of the area',
    *script(obs, rng) {
      const found = yield* findAndGrasp(obs);
      obs = found.obs;
      if (!found.at) return;
      const p: Vec3 = [rng.uniform(AREA.low[0], AREA.high[0]), rng.uniform(AREA.low[1], AREA.high[1]), GRASP_TCP_Z];
      obs = yield* carry(obs, [obs.tcp[0], obs.tcp[1], TRAVEL_Z]);
      obs = yield* carry(obs, [p[0], p[1], TRAVEL_Z]);
      obs = yield* carry(obs, p, 0.004);
      for (;;) obs = yield* dwell(obs, 100, 1);
    },
  },
];
