/**
 * Blind attacks on cued peg-insert (docs/envs/peg-insert.md). Touch finds everything but the answer:
 * a sweep at hole height along y = 0.65 (a line every layout's block row crosses) meets the block's
 * face and tells its side; a second face contact gives its yaw; a tap on its top gives the hole
 * height; taps on the other half of the table find the peg and its tail. The held peg, pressed gently
 * against the face and slid along the row, drops into the first hole it meets — a hole that touch
 * cannot tell from the other two, so the attack is a random pick (1 in 3). The wedge variant rams the
 * peg into the solid face below the hole axis instead, which the stiff block and the geometric
 * success test defeat.
 */
import type { Vec3 } from '../../sim/arm.ts';
import type { RandomSource } from '../../sim/drbg.ts';
import { dwell, goTo, probe, type BlindCommand, type BlindObservation, type BlindStrategy } from './common.ts';

type Step<T> = Generator<BlindCommand, T, BlindObservation>;

const ENV = 'metaworld/peg-insert-v3' as const;
/** Closedness of a good hold: the 3 cm peg between the plates reads ≈ 0.8 (nothing between them reads 1). */
const HELD: readonly [number, number] = [0.7, 0.93];
const CLOSED = 1;
const OPEN = 0;
/** A y every block row covers (its middle is at 0.5–0.8, its ends 16 cm either side). */
const FACE_LINE_Y = 0.65;
/** Fingertip height of the face sweeps: the 9 cm tall finger plates meet the face above any hole. */
const SWEEP_Z = 0.09;

const add = (a: Vec3, b: Vec3, k = 1): Vec3 => [a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2]];

/** Moves the command (not the fingertips) toward `target`: the weld then presses with a bounded force. */
function* hold(obs: BlindObservation, target: Vec3, steps: number, gripper: number): Step<BlindObservation> {
  for (let i = 0; i < steps; i++) {
    const c = obs.commanded;
    obs = yield { move: [100 * (target[0] - c[0]), 100 * (target[1] - c[1]), 100 * (target[2] - c[2])], gripper };
  }
  return obs;
}

/**
 * A gentle downward tap at (x, y): travel at `fromZ`, go down until something stops the fingertips.
 * Returns the height where they stopped (undefined: nothing above the table there) and comes back up.
 */
function* tap(obs: BlindObservation, x: number, y: number, fromZ = 0.037, speed = 0.6): Step<{ obs: BlindObservation; height: number | undefined }> {
  obs = yield* goTo(obs, [x, y, fromZ], { gripper: CLOSED, tolerance: 0.01, maxSteps: 60, gain: 20 });
  const r = yield* probe(obs, [0, 0, -1], fromZ, { speed, gripper: CLOSED });
  const height = r.contact && r.contact.at[2] > 0.015 ? r.contact.at[2] : undefined;
  obs = yield* goTo(r.obs, [x, y, fromZ], { gripper: CLOSED, tolerance: 0.012, maxSteps: 20, gain: 20 });
  return { obs, height };
}

/** What touch learned about the block: its side, a face point, the mouths' normal and row, the hole axis height. */
export interface FaceModel {
  side: number;
  /** Fingertip position touching the face on the line y = 0.65 (finger plates 1.5 cm in front of it). */
  point: Vec3;
  /** Unit outward normal of the face (toward the middle of the table) and the row direction. */
  normal: Vec3;
  row: Vec3;
  axisZ: number;
}

/** Sweeps along ±x at hole height on y = 0.65 (random side first) until the face stops the fingers. */
export function* findFace(obs: BlindObservation, rng: RandomSource): Step<{ obs: BlindObservation; face?: FaceModel }> {
  obs = yield* goTo(obs, [0, FACE_LINE_Y, SWEEP_Z], { gripper: CLOSED, tolerance: 0.015, gain: 20 });
  const first = rng.int(2) === 0 ? -1 : 1;
  let side = 0;
  let hit: Vec3 | undefined;
  for (const s of [first, -first]) {
    // No face on the first side: straight across to the other (the fingertips pass over the peg).
    obs = yield* goTo(obs, [s * 0.17, FACE_LINE_Y, SWEEP_Z], { gripper: CLOSED, tolerance: 0.015, gain: 20 });
    const r = yield* probe(obs, [s, 0, 0], 0.33, { speed: 1, gripper: CLOSED });
    obs = r.obs;
    if (r.contact) {
      side = s;
      hit = r.contact.at;
      break;
    }
  }
  if (!hit) return { obs };
  // A second contact 7 cm along y (whichever way the row extends) gives the face's direction.
  let second: Vec3 | undefined;
  for (const dy of [rng.int(2) === 0 ? 0.07 : -0.07]) {
    for (const sign of [1, -1]) {
      const y = FACE_LINE_Y + sign * dy;
      obs = yield* goTo(obs, [hit[0] - side * 0.04, y, SWEEP_Z], { gripper: CLOSED, tolerance: 0.008, gain: 20 });
      const r = yield* probe(obs, [side, 0, 0], 0.11, { speed: 1, gripper: CLOSED });
      obs = r.obs;
      if (r.contact) {
        second = r.contact.at;
        break;
      }
    }
  }
  let normal: Vec3 = [-side, 0, 0];
  if (second) {
    const d = [second[0] - hit[0], second[1] - hit[1]];
    const n = Math.hypot(d[0]!, d[1]!);
    const row: Vec3 = [d[0]! / n, d[1]! / n, 0];
    normal = [-row[1], row[0], 0];
    if (normal[0] * side > 0) normal = [row[1], -row[0], 0];
  }
  const row: Vec3 = [-normal[1], normal[0], 0];
  // The block's top: rise along the face pressing gently into it until the fingertips clear its top
  // edge (the fingers then move in), then a short tap down on the top (the hole axes are 6 cm below).
  const at = second ?? hit;
  const inward: Vec3 = [-normal[0], -normal[1], 0];
  let top = 0.15;
  for (let k = 0; k < 30; k++) {
    const z = Math.min(0.2, at[2] + 0.006 * k);
    obs = yield* hold(obs, [at[0] + inward[0] * 0.01, at[1] + inward[1] * 0.01, z], 1, CLOSED);
    if ((obs.tcp[0] - at[0]) * inward[0] + (obs.tcp[1] - at[1]) * inward[1] > 0.006) {
      const over = add(obs.tcp, inward, 0.03);
      obs = yield* goTo(obs, [over[0], over[1], obs.tcp[2] + 0.012], { gripper: CLOSED, tolerance: 0.006, maxSteps: 20, gain: 20 });
      const t = yield* probe(obs, [0, 0, -1], 0.08, { speed: 0.5, gripper: CLOSED });
      obs = t.obs;
      if (t.contact) top = t.contact.at[2];
      break;
    }
  }
  return { obs, face: { side, point: hit, normal, row, axisZ: top - 0.06 } };
}

/**
 * Finds the peg on the other half of the table by taps (closed fingers cover ±3.6 cm across it), its
 * line and its tail, grasps it 5 cm inside the tail and lifts it to the hole axis height.
 */
function* findAndGrasp(obs: BlindObservation, face: FaceModel): Step<{ obs: BlindObservation; grasped: boolean }> {
  const sx = -face.side;
  let found: Vec3 | undefined;
  for (const x of [0.2, 0.1, 0.3]) {
    for (const y of [0.62, 0.56, 0.68, 0.5, 0.74, 0.44, 0.8]) {
      const t = yield* tap(obs, sx * x, y);
      obs = t.obs;
      if (t.height !== undefined) {
        found = [sx * x, y, 0];
        break;
      }
    }
    if (found) break;
  }
  if (!found) return { obs, grasped: false };
  // Across the peg: one tap 2.5 cm to one side narrows its line down to ±2 cm.
  const across: Vec3 = face.row;
  const side = yield* tap(obs, found[0] + across[0] * 0.025, found[1] + across[1] * 0.025);
  obs = side.obs;
  const onLine = add(found, across, side.height !== undefined ? 0.0125 : -0.02);
  // Along the peg toward its tail (away from the block) until a tap meets the table.
  let last = 0;
  for (const d of [0.06, 0.12]) {
    const p = add(onLine, face.normal, d);
    const t = yield* tap(obs, p[0], p[1]);
    obs = t.obs;
    if (t.height === undefined) break;
    last = d;
  }
  // Grasp; the gripper reading tells a hold (≈ 0.8 closed on the 3 cm peg) from a miss (1), so a miss
  // is retried 2 cm to either side.
  for (const shift of [0, 0.02, -0.02]) {
    const grasp = add(add(onLine, face.normal, last + 0.03 - 0.05), across, shift);
    obs = yield* goTo(obs, [grasp[0], grasp[1], 0.05], { gripper: OPEN, tolerance: 0.006, gain: 20 });
    obs = yield* goTo(obs, [grasp[0], grasp[1], 0.006], { gripper: OPEN, tolerance: 0.004, maxSteps: 30 });
    obs = yield* dwell(obs, 12, CLOSED);
    if (obs.gripper > HELD[0] && obs.gripper < HELD[1]) {
      obs = yield* goTo(obs, [grasp[0], grasp[1], face.axisZ - 0.004], { gripper: CLOSED, tolerance: 0.005, maxSteps: 40 });
      return { obs, grasped: true };
    }
  }
  return { obs, grasped: false };
}

/**
 * Carries the held peg in front of the face on the line y = 0.65 and moves it toward the face until
 * the head touches (or goes into a hole). Returns the fingertip position at contact.
 */
function* headToFace(obs: BlindObservation, face: FaceModel): Step<{ obs: BlindObservation; contact?: Vec3 }> {
  const start: Vec3 = [face.point[0] + face.normal[0] * 0.23, face.point[1] + face.normal[1] * 0.23, face.axisZ - 0.004];
  obs = yield* goTo(obs, start, { gripper: CLOSED, tolerance: 0.005, gain: 20 });
  const r = yield* probe(obs, [-face.normal[0], -face.normal[1], 0], 0.2, { speed: 0.7, gripper: CLOSED, threshold: 0.006 });
  return { obs: r.obs, contact: r.contact?.at };
}

/** Presses the held peg's head gently against the face and slides it along the row until it drops into a hole; then pushes it in and holds. */
function* slideIntoAHole(obs: BlindObservation, face: FaceModel, contact: Vec3, rng: RandomSource): Step<BlindObservation> {
  const inward: Vec3 = [-face.normal[0], -face.normal[1], 0];
  const depth = (p: Vec3): number => (p[0] - contact[0]) * inward[0] + (p[1] - contact[1]) * inward[1];
  const first = rng.int(2) === 0 ? -1 : 1;
  const base = obs.commanded;
  for (const [dir, reach] of [
    [first, 0.12],
    [-first, 0.24],
  ] as const) {
    const from = add(base, face.row, dir === first ? 0 : first * 0.12);
    for (let t = 0; t <= reach; t += 0.005) {
      if (depth(obs.tcp) > 0.012) {
        // The head is going in: push it 8 cm in and stay.
        const target = add([obs.tcp[0], obs.tcp[1], contact[2]], inward, 0.08);
        for (;;) obs = yield* hold(obs, target, 50, CLOSED);
      }
      // The command 1 cm into the face: a bounded press while sliding along the row.
      const slide = add(add(from, face.row, dir * t), inward, 0.01 - depth(from));
      obs = yield* hold(obs, [slide[0], slide[1], contact[2]], 1, CLOSED);
    }
  }
  return obs;
}

export const pegStrategies: BlindStrategy[] = [
  {
    name: 'peg-touch-random',
    envIds: [ENV],
    techniques: ['touch-probe', 'random-candidate'],
    summary:
      'finds the block face, its yaw and hole height and the peg by touch, grasps the peg by its tail and slides its head along the face into the first hole it meets',
    *script(obs, rng) {
      const f = yield* findFace(obs, rng);
      obs = f.obs;
      if (!f.face) return;
      const g = yield* findAndGrasp(obs, f.face);
      obs = g.obs;
      if (!g.grasped) return;
      const h = yield* headToFace(obs, f.face);
      obs = h.obs;
      if (!h.contact) {
        // Straight into a hole on the line: push on and hold.
        for (;;) obs = yield* hold(obs, add(obs.commanded, [-f.face.normal[0], -f.face.normal[1], 0], 0.03), 40, CLOSED);
      }
      yield* slideIntoAHole(obs, f.face, h.contact, rng);
    },
  },
  {
    name: 'peg-wedge',
    envIds: [ENV],
    techniques: ['touch-probe', 'wedge'],
    summary:
      'localises block and peg by touch like peg-touch-random, then rams the held peg into the face 4.5 cm below the hole axis at full push and holds it there',
    *script(obs, rng) {
      const f = yield* findFace(obs, rng);
      obs = f.obs;
      if (!f.face) return;
      const g = yield* findAndGrasp(obs, f.face);
      obs = g.obs;
      if (!g.grasped) return;
      const face = f.face;
      const start: Vec3 = [face.point[0] + face.normal[0] * 0.26, face.point[1] + face.normal[1] * 0.26, face.axisZ - 0.047];
      obs = yield* goTo(obs, start, { gripper: CLOSED, tolerance: 0.005, gain: 15 });
      // Full speed into the face: the command runs far ahead of the blocked hand and the weld pushes hard.
      for (;;) obs = yield { move: [-face.normal[0], -face.normal[1], 0], gripper: CLOSED };
    },
  },
];
