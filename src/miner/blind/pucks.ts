/**
 * Blind building blocks for the cued puck scenes (push, pick-place): find a puck by touch and grasp
 * it, using proprioception only. What a blind miner knows is public: the puck size, that pucks stand
 * somewhere in the documented area, ≥ 12 cm apart (docs/envs/push.md).
 *
 * - A slow downward probe with CLOSED fingers (a 3 × 3.6 cm footprint) stops on a puck's top (4 cm up)
 *   when the puck's centre is within ≈ 3 cm of it, and goes on through empty space; it moves no puck
 *   by more than a millimetre (a fast one landing on a rim squeezes the puck sideways). Sideways
 *   contact is not felt at all: the hand shoves a puck along without lagging behind its command.
 * - A grid of such probes 6 cm apart is bound to land on every puck; on the first hit, four probes around it localise the puck to a centimetre or so, and
 *   an open-finger descent there followed by a close grasps it. The gripper's closure says whether
 *   it holds something (≈ 0.69 on a puck, ≈ 1 on nothing).
 *
 * All pucks feel the same, so whichever puck is found first is the target with probability 1/3.
 */
import type { Vec3 } from '../../sim/arm.ts';
import { dwell, goTo, type BlindCommand, type BlindObservation } from './common.ts';

type Gen<T> = Generator<BlindCommand, T, BlindObservation>;

/** The public puck area (centres), the puck's top, and heights the probes use. */
export const AREA = { low: [-0.35, 0.45] as const, high: [0.35, 0.85] as const };
const PUCK_TOP = 0.04;
/** Fingertip height for moving between probes: 1.5 cm over puck tops (fast moves sag a little). */
const CRUISE = 0.055;
/** Fingertips at the grasp: 1.2 cm above the table (8 mm below a puck's centre). */
export const GRASP_TCP_Z = 0.012;
/** Closure above which the fingers hold nothing. */
const EMPTY = 0.85;

/**
 * Drives the integrated command straight to `to` at `speed` (cm per step), then waits until the
 * fingertips are within `settle` of it: the quickest way between nearby probe points.
 */
export function* moveTo(obs: BlindObservation, to: Vec3, gripper: number, speed = 1, settle = 0.006, maxSteps = 150): Gen<BlindObservation> {
  for (let i = 0; i < maxSteps; i++) {
    const d: Vec3 = [to[0] - obs.commanded[0], to[1] - obs.commanded[1], to[2] - obs.commanded[2]];
    const n = Math.hypot(...d);
    if (n < 1e-4 && Math.hypot(to[0] - obs.tcp[0], to[1] - obs.tcp[1], to[2] - obs.tcp[2]) <= settle) break;
    const k = n < 1e-4 ? 0 : Math.min(speed, n / 0.01) / n;
    obs = yield { move: [d[0] * k, d[1] * k, d[2] * k], gripper };
  }
  return obs;
}

/** One closed-finger probe at (x, y): true when something stops it clearly above the table. */
export function* touch(obs: BlindObservation, x: number, y: number): Gen<{ obs: BlindObservation; hit: boolean }> {
  if (obs.commanded[2] < CRUISE - 0.001) obs = yield* moveTo(obs, [obs.commanded[0], obs.commanded[1], CRUISE], 1, 1, 0.012);
  obs = yield* moveTo(obs, [x, y, CRUISE], 1, 1, 0.008);
  // Down at 4 mm per step (faster, a probe landing on a puck's rim squeezes it sideways). A puck top
  // stops the fingertips at ≈ 3.8 cm while the command runs on below; fingertips that pass below
  // 3.4 cm mean nothing is there, and the probe ends at once.
  let hit = false;
  for (let i = 0; i < 40; i++) {
    if (obs.tcp[2] < PUCK_TOP - 0.006) break;
    // In free descent the fingertips trail the command by ≈ 7 mm; resting on something, more and more.
    if (obs.tcp[2] - obs.commanded[2] > 0.011) {
      hit = true;
      break;
    }
    obs = yield { move: [0, 0, -0.4], gripper: 1 };
  }
  // Back up to cruise height (the next move waits until the fingertips are within 1.2 cm of it).
  obs = yield* moveTo(obs, [obs.commanded[0], obs.commanded[1], CRUISE], 1, 1, 0.012);
  return { obs, hit };
}

/** The probe grid over the puck area, boustrophedon rows, starting from the row nearest `from`. */
export function probeGrid(from: Vec3): Array<[number, number]> {
  const xs: number[] = [];
  for (let x = AREA.low[0]; x <= AREA.high[0] + 1e-9; x += 0.06) xs.push(x);
  const ys: number[] = [];
  for (let y = AREA.low[1]; y <= AREA.high[1] + 1e-9; y += 0.06) ys.push(y);
  ys.sort((a, b) => Math.abs(a - from[1]) - Math.abs(b - from[1]));
  const points: Array<[number, number]> = [];
  ys.forEach((y, row) => {
    const line = row % 2 === 0 ? xs : [...xs].reverse();
    for (const x of line) points.push([x, y]);
  });
  return points;
}

/**
 * Probes around a hit at (x, y) and returns the estimated puck centre: the mean of the hitting probe
 * points, pulled toward the middle of the footprint.
 */
export function* localise(obs: BlindObservation, x: number, y: number): Gen<{ obs: BlindObservation; centre: [number, number] }> {
  const hits: Array<[number, number]> = [[x, y]];
  for (const [dx, dy] of [
    [0.03, 0],
    [-0.03, 0],
    [0, 0.03],
    [0, -0.03],
  ] as const) {
    const r = yield* touch(obs, x + dx, y + dy);
    obs = r.obs;
    if (r.hit) hits.push([x + dx, y + dy]);
  }
  const centre: [number, number] = [hits.reduce((s, p) => s + p[0], 0) / hits.length, hits.reduce((s, p) => s + p[1], 0) / hits.length];
  return { obs, centre };
}

/** Opens, comes down over (x, y) and closes; true when the fingers stopped on something. */
export function* grasp(obs: BlindObservation, x: number, y: number): Gen<{ obs: BlindObservation; held: boolean }> {
  obs = yield* goTo(obs, [obs.tcp[0], obs.tcp[1], 0.08], { tolerance: 0.006, gripper: 0, gain: 20 });
  obs = yield* goTo(obs, [x, y, 0.08], { tolerance: 0.004, gripper: 0, gain: 20 });
  obs = yield* dwell(obs, 4, 0);
  obs = yield* goTo(obs, [x, y, GRASP_TCP_Z], { tolerance: 0.003, gripper: 0 });
  obs = yield* dwell(obs, 12, 1);
  return { obs, held: obs.gripper < EMPTY };
}

/**
 * Finds the first puck the probe grid meets and grasps it (a second localisation on a missed grasp).
 * Returns where it found it, or undefined when the grid ran out (never, with three pucks).
 */
export function* findAndGrasp(obs: BlindObservation): Gen<{ obs: BlindObservation; at: [number, number] | undefined }> {
  for (const [x, y] of probeGrid(obs.tcp)) {
    const r = yield* touch(obs, x, y);
    obs = r.obs;
    if (!r.hit) continue;
    let { obs: o, centre } = yield* localise(obs, x, y);
    obs = o;
    for (let attempt = 0; attempt < 2; attempt++) {
      const g = yield* grasp(obs, centre[0], centre[1]);
      obs = g.obs;
      if (g.held) return { obs, at: centre };
      obs = yield* dwell(obs, 8, 0);
      ({ obs: o, centre } = yield* localise(obs, centre[0], centre[1]));
      obs = o;
    }
  }
  return { obs, at: undefined };
}

/** Moves the held puck (fingers closed) with its fingertips toward `tcp`. */
export function* carry(obs: BlindObservation, tcp: Vec3, tolerance = 0.008, gain = 20, maxSteps = 120): Gen<BlindObservation> {
  return yield* goTo(obs, tcp, { tolerance, gripper: 1, gain, maxSteps });
}

/** Moves the fingertips (fingers closed) toward `to` at a constant `speed` (cm per step). */
export function* sweep(obs: BlindObservation, to: Vec3, speed: number, maxSteps = 400): Gen<BlindObservation> {
  for (let i = 0; i < maxSteps; i++) {
    const d: Vec3 = [to[0] - obs.commanded[0], to[1] - obs.commanded[1], to[2] - obs.commanded[2]];
    const n = Math.hypot(...d);
    if (n < 0.002) break;
    const k = Math.min(speed, n / 0.01) / n;
    obs = yield { move: [d[0] * k, d[1] * k, d[2] * k], gripper: 1 };
  }
  return obs;
}
