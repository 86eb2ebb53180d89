/**
 * Blind attacks on cued button-press (docs/envs/button-press.md). The panel can be found by touch: it
 * is a solid block standing on the table, so a low sweep runs into its side, and a probe from above
 * tells its top. The three caps stand 2 cm above the panel top and give way under a press; a probe that
 * lands on one presses it. What touch cannot tell is which of the three is the target: whichever cap a
 * blind policy presses first is the target one time in three, and a wrong one ends the episode.
 */
import { BUTTON } from '../../sim/cued/button.ts';
import { commandTo, dwell, feelAlong, goTo, rasterPoints, type BlindCommand, type BlindObservation, type BlindStrategy } from './common.ts';

const ENV = ['metaworld/button-press-v3'] as const;
const CLOSED = 1;
/** Fingertip height of the low sweeps: below every panel top (≥ 6 cm), above the table. */
const SWEEP_Z = 0.03;
/** Above every cap (tops at most 18 cm). */
const SAFE_Z = 0.22;
/** Sweep lines (y) 12 cm apart: the panel, at least 13 cm across whatever its yaw, meets one of them. */
const SWEEP_LINES = [0.56, 0.68, 0.8];
const SWEEP_X = 0.46;

/**
 * The panel top's height at (x, y), by a probe from above (undefined: nothing there but the table).
 */
function* topAt(obs: BlindObservation, x: number, y: number): Generator<BlindCommand, { obs: BlindObservation; top?: number }, BlindObservation> {
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], SAFE_Z], { gripper: CLOSED, tolerance: 0.01, gain: 20 });
  obs = yield* goTo(obs, [x, y, SAFE_Z], { gripper: CLOSED, tolerance: 0.006, gain: 20 });
  obs = yield* dwell(obs, 2, CLOSED);
  const down = yield* feelAlong(obs, [0, 0, -1], SAFE_Z - 0.045);
  obs = down.obs;
  const top = down.at && down.at[2] > BUTTON.top[0] - 0.01 ? down.at[2] : undefined;
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], SAFE_Z], { gripper: CLOSED, tolerance: 0.01, gain: 20 });
  return { obs, top };
}

/**
 * Taps down at (x, y): the command hops there 3 cm above the panel top, goes 2.5 cm below it, and the
 * fingertips settle. 'cap' when they stopped clearly above the top (on a cap, which is now pressed),
 * 'panel' at the top, 'lower' on a surface about a cap's press below it (so the "top" was a pressed cap),
 * 'none' when nothing stopped them there. Moves are planned on the integrated
 * command, so a tap costs about a dozen steps.
 */
function* tap(
  obs: BlindObservation,
  x: number,
  y: number,
  top: number,
): Generator<BlindCommand, { obs: BlindObservation; what: 'cap' | 'panel' | 'lower' | 'none'; z: number }, BlindObservation> {
  if (obs.commanded[2] < top + 0.025) obs = yield* commandTo(obs, [obs.commanded[0], obs.commanded[1], top + 0.03]);
  obs = yield* commandTo(obs, [x, y, top + 0.03]);
  obs = yield* commandTo(obs, [x, y, top - 0.025]);
  obs = yield* dwell(obs, 3, CLOSED);
  const z = obs.tcp[2];
  const what = z > top + 0.004 ? 'cap' : z > top - 0.004 ? 'panel' : z > top - 0.013 ? 'lower' : 'none';
  if (what !== 'cap') obs = yield* commandTo(obs, [x, y, top + 0.03]);
  return { obs, what, z };
}

export const buttonStrategies: BlindStrategy[] = [
  {
    name: 'button-touch-press',
    envIds: ENV,
    techniques: ['touch-probe', 'fixed-line', 'random-candidate'],
    summary:
      'finds the panel with low sweeps along fixed lines, its top with a probe, then taps the panel on a grid until it lands on a cap and keeps pressing that one',
    *script(obs, rng) {
      let dir = 1;
      for (const lineY of SWEEP_LINES) {
        // Along the line at sweep height, from one side of the table to the other.
        const startX = obs.tcp[0] > 0 ? SWEEP_X : -SWEEP_X;
        dir = startX > 0 ? -1 : 1;
        obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], SAFE_Z], { gripper: CLOSED, tolerance: 0.01, gain: 20 });
        obs = yield* goTo(obs, [startX, lineY, SAFE_Z], { gripper: CLOSED, tolerance: 0.006, gain: 20 });
        obs = yield* dwell(obs, 2, CLOSED);
        const down = yield* feelAlong(obs, [0, 0, -1], SAFE_Z - SWEEP_Z);
        obs = down.obs;
        let hit = down.at;
        if (!hit) {
          const along = yield* feelAlong(obs, [dir, 0, 0], 2 * SWEEP_X);
          obs = along.obs;
          hit = along.at;
        }
        if (!hit) continue;
        // The face was met by the fingers or by the wider gripper base (5 cm to either side of them in
        // y): look for the top just beyond it, then to either side.
        let top: number | undefined;
        let spot: [number, number] = [hit[0], hit[1]];
        for (const [dx, dy] of [
          [0.035, 0],
          [0.035, 0.05],
          [0.035, -0.05],
          [0.08, 0],
        ]) {
          const x = hit[0] + dir * dx!,
            y = hit[1] + dy!;
          const found = yield* topAt(obs, x, y);
          obs = found.obs;
          if (found.top !== undefined) {
            top = found.top;
            spot = [x, y];
            break;
          }
        }
        if (top === undefined) continue;
        // Tap the panel on a 3.5 cm grid around where its middle probably is — beyond the face that
        // was met, and on the far side of the line (the lines nearer the robot missed it) — nearest
        // first, until a tap lands on a cap; then keep pressing that one.
        const guess: [number, number] = [spot[0] + dir * 0.04, spot[1] + 0.04];
        const points: [number, number][] = [];
        for (let i = -6; i <= 6; i++) for (let j = -6; j <= 6; j++) points.push([guess[0] + 0.035 * i, guess[1] + 0.035 * j]);
        const order = points
          .filter(([x, y]) => Math.abs(x) < 0.48 && y > 0.41 && y < 0.98 && Math.hypot(x - guess[0], y - guess[1]) < 0.22)
          .map((p) => ({ p, key: Math.hypot(p[0] - guess[0], p[1] - guess[1]) + 1e-6 * rng.next() }))
          .sort((a, b) => a.key - b.key);
        for (const {
          p: [x, y],
        } of order) {
          const result = yield* tap(obs, x, y, top);
          obs = result.obs;
          if (result.what === 'lower') {
            // The probe that measured the top had landed on a cap (and pressed it without ending the
            // episode, so it may be the target): the panel is this much lower. Go back and press it.
            top = result.z;
            obs = yield* commandTo(obs, [spot[0], spot[1], top + 0.03]);
            obs = yield* commandTo(obs, [spot[0], spot[1], top - BUTTON.travel - 0.03]);
            for (;;) obs = yield* dwell(obs, 50, CLOSED);
          }
          if (result.what === 'cap') {
            obs = yield* commandTo(obs, [x, y, top - BUTTON.travel - 0.03]);
            for (;;) obs = yield* dwell(obs, 50, CLOSED);
          }
        }
      }
    },
  },
  {
    name: 'button-raster-press',
    envIds: ENV,
    techniques: ['raster'],
    summary: 'presses down on a fixed 7 cm grid over the middle of the table, holding each press longer than the hold time, without sensing anything',
    *script(obs) {
      for (const [x, y] of rasterPoints([-0.3, 0.5], [0.3, 0.85], 0, 0.07)) {
        obs = yield* commandTo(obs, [obs.commanded[0], obs.commanded[1], SAFE_Z]);
        obs = yield* commandTo(obs, [x, y, SAFE_Z]);
        obs = yield* commandTo(obs, [x, y, 0.05]);
        obs = yield* dwell(obs, 14, CLOSED);
      }
    },
  },
];
