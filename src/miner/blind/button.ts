/**
 * Blind attacks on cued button-press (docs/envs/button-press.md). The panel can be found by touch: it
 * is a solid block standing on the table, so a low sweep runs into its side, and a probe from above
 * tells its top. The three caps stand 2 cm above the panel top and give way under a press; a probe that
 * lands on one presses it. What touch cannot tell is which of the three is the target: whichever cap a
 * blind policy presses first is the target one time in three, and a wrong one ends the episode.
 */
import type { Vec3 } from '../../sim/arm.ts';
import { BUTTON } from '../../sim/cued/button.ts';
import { dwell, goTo, pick, type BlindCommand, type BlindObservation, type BlindStrategy } from './common.ts';

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
 * Moves the fingertips along `direction` (unit) at `speed` cm per step for at most `distance`. In free
 * motion the hand trails its command by ≈ 2.6 steps; contact is the fingertips slowing below 40 % of
 * the commanded speed, or trailing its command more than 8 mm sideways (a slanted face deflects the
 * fingers instead of stopping them). Backs the command off to the fingertips on contact.
 */
export function* sweep(obs: BlindObservation, direction: Vec3, distance: number, speed = 1): Generator<BlindCommand, { obs: BlindObservation; at?: Vec3 }, BlindObservation> {
  const steps = Math.ceil(distance / (speed * 0.01));
  for (let i = 0; i < steps; i++) {
    const { lag, vel } = obs;
    const t = lag[0] * direction[0] + lag[1] * direction[1] + lag[2] * direction[2];
    const off = Math.hypot(lag[0] - t * direction[0], lag[1] - t * direction[1], lag[2] - t * direction[2]);
    const v = vel[0] * direction[0] + vel[1] * direction[1] + vel[2] * direction[2];
    if (i >= 6 && (v < 0.4 * speed * 0.8 || off > 0.008)) {
      const at: Vec3 = [...obs.tcp];
      obs = yield { move: [obs.lag[0] * -100, obs.lag[1] * -100, obs.lag[2] * -100], gripper: CLOSED };
      return { obs, at };
    }
    obs = yield { move: [direction[0] * speed, direction[1] * speed, direction[2] * speed], gripper: CLOSED };
  }
  return { obs };
}

/**
 * The panel top's height at (x, y), by a probe from above (undefined: nothing there but the table).
 */
function* topAt(obs: BlindObservation, x: number, y: number): Generator<BlindCommand, { obs: BlindObservation; top?: number }, BlindObservation> {
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], SAFE_Z], { gripper: CLOSED, tolerance: 0.01, gain: 20 });
  obs = yield* goTo(obs, [x, y, SAFE_Z], { gripper: CLOSED, tolerance: 0.006, gain: 20 });
  obs = yield* dwell(obs, 2, CLOSED);
  const down = yield* sweep(obs, [0, 0, -1], SAFE_Z - 0.045);
  obs = down.obs;
  const top = down.at && down.at[2] > BUTTON.top[0] - 0.01 ? down.at[2] : undefined;
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], SAFE_Z], { gripper: CLOSED, tolerance: 0.01, gain: 20 });
  return { obs, top };
}

/**
 * Taps down at (x, y): from `top + 0.04` the command goes to `top − 0.025` and the fingertips settle.
 * 'cap' when they stopped clearly above the panel top (on a cap, which is now pressed), 'panel' at the
 * top, 'none' when nothing stopped them there.
 */
function* tap(obs: BlindObservation, x: number, y: number, top: number): Generator<BlindCommand, { obs: BlindObservation; what: 'cap' | 'panel' | 'none' }, BlindObservation> {
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], Math.max(obs.tcp[2], top + 0.04)], { gripper: CLOSED, tolerance: 0.008, gain: 20 });
  obs = yield* goTo(obs, [x, y, top + 0.04], { gripper: CLOSED, tolerance: 0.006, gain: 20 });
  for (let i = 0; i < 7; i++) obs = yield { move: [0, 0, -1], gripper: CLOSED };
  obs = yield* dwell(obs, 4, CLOSED);
  const z = obs.tcp[2];
  return { obs, what: z > top + 0.004 ? 'cap' : z > top - 0.006 ? 'panel' : 'none' };
}

export const buttonStrategies: BlindStrategy[] = [
  {
    name: 'button-touch-press',
    envIds: ENV,
    techniques: ['touch-probe', 'fixed-line', 'random-candidate'],
    summary: 'finds the panel with low sweeps along fixed lines, its top with a probe, then taps the panel on a grid until it lands on a cap and keeps pressing that one',
    *script(obs, rng) {
      let dir = 1;
      for (const lineY of SWEEP_LINES) {
        // Along the line at sweep height, from one side of the table to the other.
        const startX = obs.tcp[0] > 0 ? SWEEP_X : -SWEEP_X;
        dir = startX > 0 ? -1 : 1;
        obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], SAFE_Z], { gripper: CLOSED, tolerance: 0.01, gain: 20 });
        obs = yield* goTo(obs, [startX, lineY, SAFE_Z], { gripper: CLOSED, tolerance: 0.006, gain: 20 });
        obs = yield* dwell(obs, 2, CLOSED);
        const down = yield* sweep(obs, [0, 0, -1], SAFE_Z - SWEEP_Z);
        obs = down.obs;
        let hit = down.at;
        if (!hit) {
          const along = yield* sweep(obs, [dir, 0, 0], 2 * SWEEP_X);
          obs = along.obs;
          hit = along.at;
        }
        if (!hit) continue;
        // The face was met by the fingers or by the wider gripper base (5 cm to either side of them in
        // y): look for the top just beyond it, then to either side.
        let top: number | undefined;
        let spot: [number, number] = [hit[0], hit[1]];
        for (const [dx, dy] of [[0.035, 0], [0.035, 0.05], [0.035, -0.05], [0.08, 0]]) {
          const x = hit[0] + dir * dx!, y = hit[1] + dy!;
          const found = yield* topAt(obs, x, y);
          obs = found.obs;
          if (found.top !== undefined) {
            top = found.top;
            spot = [x, y];
            break;
          }
        }
        if (top === undefined) continue;
        // Tap the panel beyond the face on a 3.5 cm grid, nearest first, sides in a random order,
        // until a tap lands on a cap — then keep pressing that one.
        const side = pick(rng, [-1, 1]) as number;
        for (let d = 0; d <= 0.3; d += 0.035) {
          for (const e of [0, 0.035, -0.035, 0.07, -0.07, 0.105, -0.105]) {
            const x = spot[0] + dir * d, y = spot[1] + side * e;
            if (Math.abs(x) > 0.48 || y < 0.41 || y > 0.98) continue;
            const result = yield* tap(obs, x, y, top);
            obs = result.obs;
            if (result.what === 'cap') {
              obs = yield* goTo(obs, [x, y, top - BUTTON.travel - 0.01], { gripper: CLOSED, tolerance: 0.002, maxSteps: 30, gain: 12 });
              for (;;) obs = yield* dwell(obs, 50, CLOSED);
            }
          }
        }
      }
    },
  },
];
