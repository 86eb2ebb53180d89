/**
 * Blind attacks on cued pick-place (docs/envs/pick-place.md). Touch finds pucks but cannot tell them
 * apart, and the goal sphere has no contacts: grasp whichever puck is found first (the target one time
 * in three) and sweep it through the goal volume. At the hand's top speed (1 cm per step) a straight
 * line stays inside the 7 cm success sphere for ≥ 10 steps when it passes within ≈ 5.3 cm of the
 * centre, so lines 7.5 cm apart cover the volume — more lines than an episode has steps for.
 * Dragging cannot pass at all (goals are ≥ 12 cm up and success needs the puck off the table); the
 * drag strategy is kept to show that.
 */
import type { Vec3 } from '../../sim/arm.ts';
import { dwell, type BlindStrategy } from './common.ts';
import { AREA, carry, findAndGrasp, GRASP_TCP_Z, sweep } from './pucks.ts';

/** Held puck centre = fingertips + 8 mm. */
const HELD = 0.008;
/** Goal centres: z ∈ [0.12, 0.30]. */
const GOAL_Z = [0.12, 0.3] as const;

export const pickPlaceStrategies: BlindStrategy[] = [
  {
    name: 'pick-place-touch-raster',
    envIds: ['metaworld/pick-place-v3'],
    techniques: ['touch-probe', 'random-candidate', 'raster'],
    summary:
      'finds a puck with touch probes, grasps and lifts it, then sweeps it at full speed along lines 7.5 cm apart through the goal volume (two layers, nearest line first)',
    *script(obs) {
      const found = yield* findAndGrasp(obs);
      obs = found.obs;
      if (!found.at) return;
      const lines: Array<{ y: number; z: number }> = [];
      for (const z of [0.16, 0.245]) for (let y = AREA.low[1]; y <= AREA.high[1] + 1e-9; y += 0.075) lines.push({ y, z });
      obs = yield* carry(obs, [obs.tcp[0], obs.tcp[1], 0.16 - HELD], 0.01);
      while (lines.length > 0) {
        const here = obs.tcp;
        lines.sort((a, b) => Math.hypot(a.y - here[1], a.z - here[2]) - Math.hypot(b.y - here[1], b.z - here[2]));
        const { y, z } = lines.shift()!;
        // Enter the line at its nearer end and run it to the other.
        const ends = Math.abs(here[0] - AREA.low[0]) < Math.abs(here[0] - AREA.high[0]) ? [AREA.low[0], AREA.high[0]] : [AREA.high[0], AREA.low[0]];
        obs = yield* sweep(obs, [ends[0]!, y, z - HELD], 1);
        obs = yield* sweep(obs, [ends[1]!, y, z - HELD], 1);
      }
    },
  },
  {
    name: 'pick-place-guess',
    envIds: ['metaworld/pick-place-v3'],
    techniques: ['touch-probe', 'random-candidate'],
    summary: 'finds and grasps a puck by touch, lifts it to a uniformly random point of the goal volume and holds it there',
    *script(obs, rng) {
      const found = yield* findAndGrasp(obs);
      obs = found.obs;
      if (!found.at) return;
      const p: Vec3 = [rng.uniform(AREA.low[0], AREA.high[0]), rng.uniform(AREA.low[1], AREA.high[1]), rng.uniform(GOAL_Z[0], GOAL_Z[1]) - HELD];
      obs = yield* carry(obs, [obs.tcp[0], obs.tcp[1], 0.12]);
      obs = yield* carry(obs, p, 0.005, 20, 200);
      for (;;) obs = yield* dwell(obs, 100, 1);
    },
  },
  {
    name: 'pick-place-drag',
    envIds: ['metaworld/pick-place-v3'],
    techniques: ['touch-probe', 'drag', 'raster'],
    summary: 'finds and grasps a puck by touch and drags it along the table in lines 9 cm apart (never lifting it)',
    *script(obs) {
      const found = yield* findAndGrasp(obs);
      obs = found.obs;
      if (!found.at) return;
      let row = 0;
      for (let y = AREA.low[1]; y <= AREA.high[1] + 1e-9; y += 0.09, row++) {
        const xs = row % 2 ? [AREA.high[0], AREA.low[0]] : [AREA.low[0], AREA.high[0]];
        obs = yield* sweep(obs, [xs[0]!, y, GRASP_TCP_Z], 0.6);
        obs = yield* sweep(obs, [xs[1]!, y, GRASP_TCP_Z], 0.6);
      }
    },
  },
];
