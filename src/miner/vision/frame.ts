/**
 * One observation, prepared for perception: decoded and colour-classified camera views with their
 * calibrated camera models, the hand state from proprioception, and a fingerprint of the episode's
 * scene (the table's exact colour in each view).
 *
 * Why the table colour identifies an episode: the renderer shades a flat face under directional
 * lights with a single colour, and each task draws its own table tint and lighting, so the table top's
 * colour is constant through an episode and differs between tasks. The policy keys its per-episode
 * memory on it, which keeps it correct when several episodes interleave on one server (the protocol
 * has no episode id).
 */
import { decodeImage, type Observation } from '../../sim/protocol.ts';
import { CameraModel, type Vec3 } from './camera.ts';
import type { View } from './fit.ts';
import { ColourClass, classifyImage } from './segment.ts';

/** Fingertips (TCP, what `ee_pos` reports) are this far below the hand frame, along the hand's −z. */
export const FINGER_LENGTH = 0.045;

export interface Frame {
  views: View[];
  /** Fingertip centre (proprio ee_pos). */
  tcp: Vec3;
  /** The hand frame (finger root), 4.5 cm above the fingertips. */
  hand: Vec3;
  /** 0 open … 1 closed on nothing. */
  gripper: number;
  /** Fingertip speed (m/s), 0 when not reported. */
  speed: number;
  /** The table colour per view ("" when there are no images). */
  fingerprint: string;
}

const cameraCache = new Map<string, CameraModel>();

function cameraFor(K: number[][], E: number[][], width: number, height: number): CameraModel {
  const key = `${width}x${height}:${K.flat().join(',')}:${E.flat().join(',')}`;
  let camera = cameraCache.get(key);
  if (!camera) {
    camera = new CameraModel(K, E, width, height);
    if (cameraCache.size >= 64) cameraCache.delete(cameraCache.keys().next().value!);
    cameraCache.set(key, camera);
  }
  return camera;
}

/** Rotates v by the unit quaternion (x, y, z, w). */
function rotate(q: readonly number[], v: Vec3): Vec3 {
  const [x, y, z, w] = [q[0] ?? 0, q[1] ?? 0, q[2] ?? 0, q[3] ?? 1];
  const n = Math.hypot(x, y, z, w) || 1;
  const qx = x / n,
    qy = y / n,
    qz = z / n,
    qw = w / n;
  // t = 2 q×v; v' = v + w t + q×t
  const tx = 2 * (qy * v[2] - qz * v[1]),
    ty = 2 * (qz * v[0] - qx * v[2]),
    tz = 2 * (qx * v[1] - qy * v[0]);
  return [v[0] + qw * tx + (qy * tz - qz * ty), v[1] + qw * ty + (qz * tx - qx * tz), v[2] + qw * tz + (qx * ty - qy * tx)];
}

function finiteVec(values: number[] | undefined, n: number): number[] | undefined {
  if (!values || values.length < n) return undefined;
  return values.slice(0, n).every(Number.isFinite) ? values.slice(0, n) : undefined;
}

/** The most frequent colour among the table's pixels, as "r,g,b" ("" when none). */
function tableColour(rgb: Uint8Array, labels: Uint8Array, tableClass: number): string {
  const counts = new Map<number, number>();
  let best = -1,
    bestCount = 0;
  for (let i = 0, j = 0; i < labels.length; i++, j += 3) {
    if (labels[i] !== tableClass) continue;
    const key = (rgb[j]! << 16) | (rgb[j + 1]! << 8) | rgb[j + 2]!;
    const c = (counts.get(key) ?? 0) + 1;
    counts.set(key, c);
    if (c > bestCount) {
      bestCount = c;
      best = key;
    }
  }
  return best < 0 ? '' : `${best >> 16},${(best >> 8) & 255},${best & 255}`;
}

/** Where the hand starts an episode (button-press nearer the robot, drawer-close higher). */
const START_POSES: Vec3[] = [
  [0, 0.6, 0.2],
  [0, 0.4, 0.2],
  [0, 0.6, 0.3],
];

/** True for the first observation of an episode: the hand at rest at a start pose, fingers open. */
export function looksLikeEpisodeStart(frame: Frame): boolean {
  return (
    frame.gripper < 0.05 && frame.speed < 0.05 && START_POSES.some((p) => Math.hypot(frame.hand[0] - p[0], frame.hand[1] - p[1], frame.hand[2] - p[2]) < 0.01)
  );
}

/** Cameras the policy looks through, in order of preference. */
export const CAMERAS = ['corner', 'corner2'] as const;

/** A decoded camera image with its calibrated camera model. */
export interface DecodedView {
  camera: CameraModel;
  rgb: Uint8Array;
  width: number;
  height: number;
}

/** The hand state from proprioception (defaults when a channel is missing or malformed). */
export function handFromProprio(obs: Observation): Pick<Frame, 'tcp' | 'hand' | 'gripper' | 'speed'> {
  const tcp = (finiteVec(obs.proprio.ee_pos, 3) ?? [0, 0.6, 0.2 - FINGER_LENGTH]) as Vec3;
  const quat = finiteVec(obs.proprio.ee_quat, 4) ?? [0, 0, 0, 1];
  const offset = rotate(quat, [0, 0, FINGER_LENGTH]);
  const hand: Vec3 = [tcp[0] + offset[0], tcp[1] + offset[1], tcp[2] + offset[2]];
  const g = obs.proprio.gripper?.[0];
  const gripper = typeof g === 'number' && Number.isFinite(g) ? Math.min(1, Math.max(0, g)) : 0;
  const vel = finiteVec(obs.proprio.ee_vel_lin, 3);
  const speed = vel ? Math.hypot(vel[0]!, vel[1]!, vel[2]!) : 0;
  return { tcp, hand, gripper, speed };
}

/** Decodes the cameras the policy looks through; views are missing for cameras without an image or calibration. */
export function decodeViews(obs: Observation): DecodedView[] {
  const views: DecodedView[] = [];
  for (const name of CAMERAS) {
    const image = obs.rgb[name];
    const K = obs.cam_intrinsics[name];
    const E = obs.cam_extrinsics[name];
    if (!image || !K || !E || image.shape.length !== 3 || image.shape[2] !== 3) continue;
    const [height, width] = image.shape as [number, number, number];
    try {
      views.push({ rgb: decodeImage(image), camera: cameraFor(K, E, width, height), width, height });
    } catch {
      continue; // a malformed image or calibration: perceive with the other camera
    }
  }
  return views;
}

/**
 * Classifies decoded views into a frame with `classify` (the MetaWorld scenes' classes or the cued
 * scenes'); `tableClass` is the table's class in that scheme, for the episode fingerprint.
 */
export function frameFrom(obs: Observation, decoded: readonly DecodedView[], classify: (rgb: Uint8Array, n: number) => Uint8Array, tableClass: number): Frame {
  const views: View[] = [];
  const prints: string[] = [];
  for (const d of decoded) {
    const labels = classify(d.rgb, d.width * d.height);
    views.push({ camera: d.camera, labels, width: d.width, height: d.height });
    prints.push(tableColour(d.rgb, labels, tableClass));
  }
  return { views, ...handFromProprio(obs), fingerprint: prints.join('|') };
}

/** Builds the frame of a MetaWorld-family scene. */
export function buildFrame(obs: Observation): Frame {
  return frameFrom(obs, decodeViews(obs), (rgb, n) => classifyImage({ width: n, height: 1, rgb }), ColourClass.Table);
}
