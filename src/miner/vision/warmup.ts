/**
 * A synthetic observation for warming the vision policy up. V8 runs new code slowly until it has
 * compiled it hot; a fresh server answering its first `/act` calls cold (and, under a validator that
 * starts several episodes at once, all at the same moment) can overrun the 0.5 s budget. So the
 * policy runs its whole pipeline on this fake scene once, during its first `/reset` (5 s budget).
 *
 * The scene: the nominal corner cameras (published poses, no field-of-view jitter), a table-coloured
 * image and a small square of each object's colour where the task's objects nominally are. It only
 * has to exercise the code, not to look real.
 */
import { encodeImage, type Observation } from '../../sim/protocol.ts';
import { CameraModel, type Vec3 } from './camera.ts';

interface NominalCamera {
  pos: Vec3;
  x: Vec3;
  y: Vec3;
  fovy: number;
}

/** The corner cameras as the scenes define them (position, image axes, vertical field of view). */
const NOMINAL_CAMERAS: Record<string, NominalCamera> = {
  corner: { pos: [-1.1, -0.4, 0.6], x: [-1, 1, 0], y: [-0.2, -0.2, -1], fovy: 45 },
  corner2: { pos: [1.3, -0.2, 1.1], x: [-0.5499, -0.8332, 0.0584], y: [0.3762, -0.3095, -0.8733], fovy: 60 },
};

const SIZE = 84;

function normalize(v: Vec3): Vec3 {
  const n = Math.hypot(v[0], v[1], v[2]);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** K and E in the published convention (rows of E: image-right, image-down = camera up, forward). */
export function nominalCalibration(name: keyof typeof NOMINAL_CAMERAS, size = SIZE): { K: number[][]; E: number[][] } {
  const cam = NOMINAL_CAMERAS[name]!;
  const x = normalize(cam.x);
  const d = x[0] * cam.y[0] + x[1] * cam.y[1] + x[2] * cam.y[2];
  const y = normalize([cam.y[0] - d * x[0], cam.y[1] - d * x[1], cam.y[2] - d * x[2]]);
  const z: Vec3 = [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]];
  const rows = [x, y, [-z[0], -z[1], -z[2]] as Vec3];
  const f = size / 2 / Math.tan((cam.fovy * Math.PI) / 360);
  return {
    K: [
      [f, 0, (size - 1) / 2],
      [0, f, (size - 1) / 2],
      [0, 0, 1],
    ],
    E: [...rows.map((r) => [r[0], r[1], r[2], -(r[0] * cam.pos[0] + r[1] * cam.pos[1] + r[2] * cam.pos[2])]), [0, 0, 0, 1]],
  };
}

/** Coloured squares at nominal object positions: every colour class the skills look for. */
const SPOTS: { at: Vec3; rgb: [number, number, number]; half: number }[] = [
  { at: [0, 0.65, 0.02], rgb: [200, 34, 24], half: 1 }, // puck
  { at: [0, 0.85, 0.15], rgb: [240, 140, 25], half: 1 }, // reach goal
  { at: [0.05, 0.85, 0.02], rgb: [38, 190, 64], half: 1 }, // push goal / peg
  { at: [-0.05, 0.85, 0.2], rgb: [50, 100, 240], half: 1 }, // pick-place goal
  { at: [-0.3, 0.55, 0.1], rgb: [150, 68, 50], half: 4 }, // hole block
  { at: [0, 0.9, 0.12], rgb: [214, 200, 168], half: 4 }, // drawer cabinet
  { at: [0, 0.8, 0.1], rgb: [84, 140, 92], half: 2 }, // drawer
  { at: [0.24, 0.68, 0.15], rgb: [217, 173, 51], half: 1 }, // door handle / button frame
];

/**
 * The cued scenes' version: a warm-grey table, the cue band on the wrist above the hand's start, three
 * candidates in three palette colours, a cyan goal and a dark part, so cue reading, blob triangulation
 * and the skills' planning all run.
 */
const CUED_SPOTS: { at: Vec3; rgb: [number, number, number]; half: number }[] = [
  { at: [0, 0.6, 0.315], rgb: [217, 33, 33], half: 2 }, // cue band (red), hand at (0, 0.6, 0.2)
  { at: [-0.2, 0.7, 0.02], rgb: [217, 33, 33], half: 2 }, // red candidate
  { at: [0.2, 0.7, 0.02], rgb: [230, 207, 35], half: 2 }, // yellow candidate
  { at: [0, 0.85, 0.1], rgb: [36, 179, 54], half: 3 }, // green candidate
  { at: [0.1, 0.5, 0.01], rgb: [30, 198, 204], half: 2 }, // cyan goal
  { at: [-0.25, 0.55, 0.02], rgb: [40, 40, 44], half: 2 }, // dark part
];

/** A synthetic observation (hand at its start pose) that exercises every perception path. */
export function warmupObservation(cued = false): Observation {
  const rgb: Observation['rgb'] = {};
  const cam_intrinsics: Observation['cam_intrinsics'] = {};
  const cam_extrinsics: Observation['cam_extrinsics'] = {};
  for (const name of Object.keys(NOMINAL_CAMERAS) as (keyof typeof NOMINAL_CAMERAS)[]) {
    const { K, E } = nominalCalibration(name);
    const camera = new CameraModel(K, E, SIZE, SIZE);
    const pixels = new Uint8Array(SIZE * SIZE * 3);
    for (let i = 0; i < SIZE * SIZE; i++) pixels.set(cued ? [153, 140, 120] : [158, 117, 79], 3 * i); // table
    for (const spot of cued ? CUED_SPOTS : SPOTS) {
      const [col, row, depth] = camera.project(spot.at);
      if (depth <= 0) continue;
      for (let r = Math.round(row) - spot.half; r <= Math.round(row) + spot.half; r++) {
        for (let c = Math.round(col) - spot.half; c <= Math.round(col) + spot.half; c++) {
          if (r >= 0 && r < SIZE && c >= 0 && c < SIZE) pixels.set(spot.rgb, 3 * (r * SIZE + c));
        }
      }
    }
    rgb[name] = encodeImage(pixels, SIZE, SIZE);
    cam_intrinsics[name] = K;
    cam_extrinsics[name] = E;
  }
  return {
    rgb,
    depth: {},
    proprio: { ee_pos: [0, 0.6, 0.155], ee_quat: [0, 0, 0, 1], ee_vel_lin: [0, 0, 0], ee_vel_ang: [0, 0, 0], gripper: [0] },
    cam_intrinsics,
    cam_extrinsics,
    extra: {},
  };
}
