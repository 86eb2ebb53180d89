/**
 * Model-based localisation ("render and compare" of silhouettes): find the pose of an object of known
 * shape whose silhouette, cast through both calibrated cameras, best explains the pixels of its
 * colour class.
 *
 * Centroid triangulation is biased as soon as part of an object is hidden (the gripper hangs between
 * the corner camera and most objects at the start of an episode) or when different faces show in the
 * two views. The silhouette score handles both: pixels where the model predicts the object but the
 * image shows something that could be an occluder (the robot's grey, dark and red parts) count as
 * unknown, not as evidence against the pose. Only the table, the empty background and other known
 * objects count against it.
 *
 * The search is coarse to fine over the free pose parameters (a few hundred candidates); each
 * candidate casts the region-of-interest pixels' rays against the model's primitives (boxes, cylinders,
 * spheres) in the object frame.
 */
import type { CameraModel, Vec3 } from './camera.ts';
import type { ColourClass } from './segment.ts';

export type Primitive =
  | { kind: 'box'; centre: Vec3; half: Vec3 }
  /** A cylinder along a coordinate axis of the object frame. */
  | { kind: 'cylinder'; centre: Vec3; radius: number; halfLength: number; axis: 0 | 1 | 2 }
  | { kind: 'sphere'; centre: Vec3; radius: number };

export interface ObjectModel {
  name: string;
  primitives: Primitive[];
}

/** Object frame → world: translation plus a rotation by `yaw` about the world z axis. */
export interface Pose {
  x: number;
  y: number;
  z: number;
  yaw: number;
}

export interface View {
  camera: CameraModel;
  labels: Uint8Array;
  width: number;
  height: number;
}

export interface FitClasses {
  /** The object's own colour classes. */
  target: readonly ColourClass[];
  /** Classes that prove a pixel is NOT the object (table, background, other known objects). */
  against: readonly ColourClass[];
}

type PoseKey = keyof Pose;

export interface FitOptions {
  /** Starting pose (also the value of parameters not searched). */
  init: Pose;
  /** Half-width of the search interval per searched parameter (metres or radians). */
  range: Partial<Record<PoseKey, number>>;
  /** Final resolution per searched parameter (default 1 mm / 0.5°). */
  resolution?: Partial<Record<PoseKey, number>>;
  /** Optional hard limits per parameter. */
  limits?: Partial<Record<PoseKey, [number, number]>>;
  /** Pixels around the projected search region to include (default 1). */
  marginPx?: number;
}

export interface FitResult {
  pose: Pose;
  /** Matched minus contradicted pixels. */
  score: number;
  /** Target-class pixels inside the region of interest. */
  observed: number;
  /** Target pixels the best pose explains. */
  explained: number;
}

const SIGN_TARGET = 1;
const SIGN_AGAINST = 2;

/** Per-view region-of-interest data, computed once per fit. */
interface Roi {
  view: View;
  n: number;
  /** Ray directions (unit), 3 per pixel, and their reciprocals for slab tests. */
  dir: Float64Array;
  inv: Float64Array;
  /** Per pixel: 0 unknown (could be an occluder), SIGN_TARGET or SIGN_AGAINST. */
  kind: Uint8Array;
  /** Target pixels in the ROI. */
  targets: number;
}

/** Object-frame axis-aligned bounds [lo, hi] of a model. */
export function modelBounds(model: ObjectModel): [Vec3, Vec3] {
  const lo: Vec3 = [Infinity, Infinity, Infinity];
  const hi: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const p of model.primitives) {
    const e: Vec3 =
      p.kind === 'box'
        ? p.half
        : p.kind === 'sphere'
          ? [p.radius, p.radius, p.radius]
          : ([0, 1, 2].map((k) => (k === p.axis ? p.halfLength : p.radius)) as Vec3);
    for (let k = 0; k < 3; k++) {
      lo[k] = Math.min(lo[k]!, p.centre[k]! - e[k]!);
      hi[k] = Math.max(hi[k]!, p.centre[k]! + e[k]!);
    }
  }
  return [lo, hi];
}

function buildRoi(view: View, box: [Vec3, Vec3], classes: FitClasses, marginPx: number): Roi | undefined {
  const { camera, width, height, labels } = view;
  let c0 = Infinity,
    c1 = -Infinity,
    r0 = Infinity,
    r1 = -Infinity;
  for (let k = 0; k < 8; k++) {
    const corner: Vec3 = [box[k & 1 ? 1 : 0][0], box[k & 2 ? 1 : 0][1], box[k & 4 ? 1 : 0][2]];
    if (camera.depthOf(corner) <= 0.05) return undefined; // reaches behind the camera: not usable
    const [px, py] = camera.project(corner);
    c0 = Math.min(c0, px);
    c1 = Math.max(c1, px);
    r0 = Math.min(r0, py);
    r1 = Math.max(r1, py);
  }
  const col0 = Math.max(0, Math.floor(c0) - marginPx),
    col1 = Math.min(width - 1, Math.ceil(c1) + marginPx);
  const row0 = Math.max(0, Math.floor(r0) - marginPx),
    row1 = Math.min(height - 1, Math.ceil(r1) + marginPx);
  if (col0 > col1 || row0 > row1) return undefined;
  const n = (col1 - col0 + 1) * (row1 - row0 + 1);
  const all = camera.directions();
  const dir = new Float64Array(3 * n);
  const inv = new Float64Array(3 * n);
  const kind = new Uint8Array(n);
  const sign = new Uint8Array(256); // labels are bytes; the cued scenes use their own classes
  for (const c of classes.against) sign[c] = SIGN_AGAINST;
  for (const c of classes.target) sign[c] = SIGN_TARGET;
  let i = 0,
    targets = 0;
  for (let row = row0; row <= row1; row++) {
    for (let col = col0; col <= col1; col++, i++) {
      const p = row * width + col;
      for (let k = 0; k < 3; k++) {
        const d = all[3 * p + k]!;
        dir[3 * i + k] = d;
        inv[3 * i + k] = 1 / d;
      }
      const s = sign[labels[p]!]!;
      kind[i] = s;
      if (s === SIGN_TARGET) targets++;
    }
  }
  return { view, n, dir, inv, kind, targets };
}

const KIND_BOX = 0;
const KIND_SPHERE = 1;
const KIND_CYLINDER = 2;
const PRIM = 8;

/**
 * Primitives flattened for the inner loop: kind, centre (3), then box half sizes / sphere radius /
 * cylinder radius, half length, axis. Plain numbers in one typed array keep the per-pixel loop free of
 * calls and object reads (V8 boxes doubles passed to calls it does not inline).
 */
function flatten(model: ObjectModel): Float64Array {
  const out = new Float64Array(model.primitives.length * PRIM);
  model.primitives.forEach((p, i) => {
    const o = i * PRIM;
    out[o + 1] = p.centre[0];
    out[o + 2] = p.centre[1];
    out[o + 3] = p.centre[2];
    if (p.kind === 'box') {
      out[o] = KIND_BOX;
      out[o + 4] = p.half[0];
      out[o + 5] = p.half[1];
      out[o + 6] = p.half[2];
    } else if (p.kind === 'sphere') {
      out[o] = KIND_SPHERE;
      out[o + 4] = p.radius;
    } else {
      out[o] = KIND_CYLINDER;
      out[o + 4] = p.radius;
      out[o + 5] = p.halfLength;
      out[o + 6] = p.axis;
    }
  });
  return out;
}

/**
 * Matched minus contradicted pixels for one pose: a pixel the model covers scores +1 if it shows the
 * target, −1 if it shows something that cannot be in front of the object; an uncovered target pixel
 * scores −1; everything else (possible occluders) 0.
 */
function scorePose(rois: Roi[], prims: Float64Array, pose: Pose): { score: number; explained: number } {
  const cy = Math.cos(pose.yaw),
    sy = Math.sin(pose.yaw);
  const rotated = pose.yaw !== 0;
  const nPrims = prims.length / PRIM;
  let score = 0,
    explained = 0;
  for (const roi of rois) {
    const c = roi.view.camera.centre;
    // Camera centre in the object frame: Rz(−yaw)·(c − t).
    const wx = c[0] - pose.x,
      wy = c[1] - pose.y,
      wz = c[2] - pose.z;
    const ox = rotated ? cy * wx + sy * wy : wx;
    const oy = rotated ? -sy * wx + cy * wy : wy;
    const oz = wz;
    const { dir, inv, kind, n } = roi;
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      let dx = dir[3 * i]!,
        dy = dir[3 * i + 1]!;
      const dz = dir[3 * i + 2]!;
      let ix = inv[3 * i]!,
        iy = inv[3 * i + 1]!;
      const iz = inv[3 * i + 2]!;
      if (rotated) {
        const rx = cy * dx + sy * dy,
          ry = -sy * dx + cy * dy;
        dx = rx;
        dy = ry;
        ix = 1 / rx;
        iy = 1 / ry;
      }
      let hit = false;
      for (let q = 0; q < nPrims && !hit; q++) {
        const o = q * PRIM;
        const px = ox - prims[o + 1]!,
          py = oy - prims[o + 2]!,
          pz = oz - prims[o + 3]!;
        const type = prims[o]!;
        if (type === KIND_BOX) {
          const hx = prims[o + 4]!,
            hy = prims[o + 5]!,
            hz = prims[o + 6]!;
          let t1 = (-hx - px) * ix,
            t2 = (hx - px) * ix;
          let tn = t1 < t2 ? t1 : t2,
            tf = t1 < t2 ? t2 : t1;
          t1 = (-hy - py) * iy;
          t2 = (hy - py) * iy;
          if (t1 > t2) {
            const t = t1;
            t1 = t2;
            t2 = t;
          }
          if (t1 > tn) tn = t1;
          if (t2 < tf) tf = t2;
          t1 = (-hz - pz) * iz;
          t2 = (hz - pz) * iz;
          if (t1 > t2) {
            const t = t1;
            t1 = t2;
            t2 = t;
          }
          if (t1 > tn) tn = t1;
          if (t2 < tf) tf = t2;
          hit = tn <= tf && tf > 0;
        } else if (type === KIND_SPHERE) {
          const r = prims[o + 4]!;
          const b = px * dx + py * dy + pz * dz;
          const cc = px * px + py * py + pz * pz - r * r;
          hit = b * b - cc >= 0 && (b < 0 || cc < 0);
        } else {
          const r = prims[o + 4]!,
            h = prims[o + 5]!,
            axis = prims[o + 6]!;
          // (u, v) across the axis, w along it.
          let pu: number, pv: number, pw: number, du: number, dv: number, dw: number, iw: number;
          if (axis === 2) {
            pu = px;
            pv = py;
            pw = pz;
            du = dx;
            dv = dy;
            dw = dz;
            iw = iz;
          } else if (axis === 0) {
            pu = py;
            pv = pz;
            pw = px;
            du = dy;
            dv = dz;
            dw = dx;
            iw = ix;
          } else {
            pu = px;
            pv = pz;
            pw = py;
            du = dx;
            dv = dz;
            dw = dy;
            iw = iy;
          }
          const a = du * du + dv * dv;
          let tn = -Infinity,
            tf = Infinity,
            inside = true;
          if (a < 1e-12) {
            inside = pu * pu + pv * pv <= r * r;
          } else {
            const b = pu * du + pv * dv;
            const disc = b * b - a * (pu * pu + pv * pv - r * r);
            if (disc < 0) inside = false;
            else {
              const sq = Math.sqrt(disc);
              tn = (-b - sq) / a;
              tf = (-b + sq) / a;
            }
          }
          if (inside) {
            if (Math.abs(dw) < 1e-12) inside = Math.abs(pw) <= h;
            else {
              let t1 = (-h - pw) * iw,
                t2 = (h - pw) * iw;
              if (t1 > t2) {
                const t = t1;
                t1 = t2;
                t2 = t;
              }
              if (t1 > tn) tn = t1;
              if (t2 < tf) tf = t2;
            }
          }
          hit = inside && tn <= tf && tf > 0;
        }
      }
      if (hit) {
        if (k === SIGN_TARGET) {
          score++;
          explained++;
        } else if (k === SIGN_AGAINST) score--;
      } else if (k === SIGN_TARGET) score--;
    }
  }
  return { score, explained };
}

const DEFAULT_RESOLUTION: Record<PoseKey, number> = { x: 0.001, y: 0.001, z: 0.001, yaw: Math.PI / 360 };

/**
 * Best pose of `model` (coarse-to-fine grid search over the parameters in `options.range`).
 * Returns undefined when no view sees the search region or no target pixel is there.
 */
export function fitPose(views: readonly View[], model: ObjectModel, classes: FitClasses, options: FitOptions): FitResult | undefined {
  const keys = (Object.keys(options.range) as PoseKey[]).filter((k) => (options.range[k] ?? 0) > 0);
  // Region of interest: the model's bounds swept over the whole search box (rotated corners sampled
  // across the yaw interval, which keeps it tight for a door leaf turning about its hinge).
  const [lo, hi] = modelBounds(model);
  const ryaw = options.range.yaw ?? 0;
  const sweep: [Vec3, Vec3] = [
    [Infinity, Infinity, options.init.z + lo[2] - (options.range.z ?? 0)],
    [-Infinity, -Infinity, options.init.z + hi[2] + (options.range.z ?? 0)],
  ];
  const yawSamples = ryaw > 0 ? Math.max(3, Math.ceil((2 * ryaw) / 0.1) + 1) : 1;
  for (let i = 0; i < yawSamples; i++) {
    const yaw = options.init.yaw + (yawSamples === 1 ? 0 : -ryaw + (2 * ryaw * i) / (yawSamples - 1));
    const c = Math.cos(yaw),
      sn = Math.sin(yaw);
    for (const cx of [lo[0], hi[0]]) {
      for (const cy of [lo[1], hi[1]]) {
        const wx = c * cx - sn * cy,
          wy = sn * cx + c * cy;
        sweep[0][0] = Math.min(sweep[0][0], options.init.x + wx - (options.range.x ?? 0));
        sweep[1][0] = Math.max(sweep[1][0], options.init.x + wx + (options.range.x ?? 0));
        sweep[0][1] = Math.min(sweep[0][1], options.init.y + wy - (options.range.y ?? 0));
        sweep[1][1] = Math.max(sweep[1][1], options.init.y + wy + (options.range.y ?? 0));
      }
    }
  }
  // Between samples an arc bulges out of the chord: pad by the sagitta of one sample step.
  if (ryaw > 0) {
    const reach = Math.max(Math.hypot(lo[0], lo[1]), Math.hypot(hi[0], hi[1]), Math.hypot(lo[0], hi[1]), Math.hypot(hi[0], lo[1]));
    const pad = reach * (1 - Math.cos(ryaw / (yawSamples - 1)));
    sweep[0][0] -= pad;
    sweep[0][1] -= pad;
    sweep[1][0] += pad;
    sweep[1][1] += pad;
  }
  const rois: Roi[] = [];
  for (const view of views) {
    const roi = buildRoi(view, sweep, classes, options.marginPx ?? 1);
    if (roi) rois.push(roi);
  }
  const observed = rois.reduce((a, r) => a + r.targets, 0);
  if (rois.length === 0 || observed === 0) return undefined;

  const clampTo = (k: PoseKey, v: number) => {
    const lim = options.limits?.[k];
    return lim ? Math.min(lim[1], Math.max(lim[0], v)) : v;
  };
  let best: Pose = { ...options.init };
  for (const k of keys) best[k] = clampTo(k, best[k]);
  const prims = flatten(model);
  // Each level samples ±`half` around the current centre (9 or 5 samples per parameter on the first
  // level, 3 after), moves the centre to the mean of the best-scoring samples (the score is piecewise
  // constant, so the best poses form a plateau whose middle is the estimate), then halves the window.
  const half: Record<PoseKey, number> = { x: 0, y: 0, z: 0, yaw: 0 };
  for (const k of keys) half[k] = options.range[k]!;
  for (let level = 0; level < 16; level++) {
    const per = level > 0 ? 3 : keys.length <= 2 ? 9 : 5;
    const mid = (per - 1) / 2;
    const steps = keys.map((k) => half[k] / mid);
    const centre = { ...best };
    const total = per ** keys.length;
    let levelBest = -Infinity;
    let sum: Pose = { x: 0, y: 0, z: 0, yaw: 0 };
    let count = 0;
    for (let idx = 0; idx < total; idx++) {
      const pose = { ...centre };
      let rest = idx;
      keys.forEach((k, j) => {
        const m = rest % per;
        rest = (rest - m) / per;
        pose[k] = clampTo(k, centre[k] + (m - mid) * steps[j]!);
      });
      const s = scorePose(rois, prims, pose);
      if (s.score > levelBest) {
        levelBest = s.score;
        sum = { x: 0, y: 0, z: 0, yaw: 0 };
        count = 0;
      }
      if (s.score === levelBest) {
        for (const k of keys) sum[k] += pose[k];
        count++;
      }
    }
    best = { ...centre };
    for (const k of keys) best[k] = sum[k] / count;
    let done = true;
    keys.forEach((k, j) => {
      half[k] /= 2;
      if (steps[j]! > (options.resolution?.[k] ?? DEFAULT_RESOLUTION[k])) done = false;
    });
    if (done) break;
  }
  const final = scorePose(rois, prims, best);
  return { pose: best, score: final.score, observed, explained: final.explained };
}
