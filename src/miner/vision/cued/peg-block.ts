/**
 * The peg-insert block from pixels (the vision skill in peg.ts uses it): a rough pose from its coloured
 * rims and tabs, a precise pose searched over several steps against both calibrated cameras, and which
 * of its three holes wears a colour. A pixel's ray is cast against the block's coloured parts in the
 * block frame; a pose scores the pixels it explains minus those it contradicts.
 */
import { PEG } from '../../../sim/cued/peg.ts';
import { rotateZ } from '../../../sim/cued/geometry.ts';
import type { Vec3 } from '../camera.ts';
import { intersectHorizontal, triangulate } from '../camera.ts';
import type { Pose, View } from '../fit.ts';
import type { Frame } from '../frame.ts';
import { CuedClass, PALETTE_CLASSES } from './classes.ts';
import { cueLampPixels } from './frame.ts';

const S = PEG.holeSpacing;

/** The coloured parts of hole i in the block frame: its tab on the top, its rim 3 mm proud of the face. */
function holeParts(i: number): { centre: Vec3; half: Vec3 }[] {
  const y = (i - 1) * S;
  return [
    { centre: [-0.06, y, 0.0615], half: [0.055, 0.03, 0.0015] },
    { centre: [0.001, y, 0.036], half: [0.002, 0.042, 0.006] },
    { centre: [0.001, y, -0.036], half: [0.002, 0.042, 0.006] },
    { centre: [0.001, y - 0.036, 0], half: [0.002, 0.006, 0.03] },
    { centre: [0.001, y + 0.036, 0], half: [0.002, 0.006, 0.03] },
  ];
}

/** Per hole: its bounding box, then its five parts; 6 numbers (centre, half) each. */
const PARTS_PER_HOLE = 6;
const HOLE_BOXES = Float64Array.from(
  [0, 1, 2].flatMap((i) => {
    const parts = holeParts(i);
    const lo = [0, 1, 2].map((k) => Math.min(...parts.map((p) => p.centre[k]! - p.half[k]!)));
    const hi = [0, 1, 2].map((k) => Math.max(...parts.map((p) => p.centre[k]! + p.half[k]!)));
    const bound = [...lo.map((l, k) => (l + hi[k]!) / 2), ...lo.map((l, k) => (hi[k]! - l) / 2)];
    return [...bound, ...parts.flatMap((p) => [...p.centre, ...p.half])];
  }),
);

/** Ray entry parameter into box `b` of `boxes` (object frame), or Infinity when it misses. */
function enter(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, boxes: Float64Array, b: number): number {
  const o = 6 * b;
  let tn = -Infinity,
    tf = Infinity,
    t1: number,
    t2: number,
    t: number;
  const px = ox - boxes[o]!,
    py = oy - boxes[o + 1]!,
    pz = oz - boxes[o + 2]!;
  const hx = boxes[o + 3]!,
    hy = boxes[o + 4]!,
    hz = boxes[o + 5]!;
  if (dx > -1e-12 && dx < 1e-12) {
    if (px > hx || px < -hx) return Infinity;
  } else {
    t1 = (-hx - px) / dx;
    t2 = (hx - px) / dx;
    if (t1 > t2) {
      t = t1;
      t1 = t2;
      t2 = t;
    }
    tn = t1;
    tf = t2;
  }
  if (dy > -1e-12 && dy < 1e-12) {
    if (py > hy || py < -hy) return Infinity;
  } else {
    t1 = (-hy - py) / dy;
    t2 = (hy - py) / dy;
    if (t1 > t2) {
      t = t1;
      t1 = t2;
      t2 = t;
    }
    if (t1 > tn) tn = t1;
    if (t2 < tf) tf = t2;
    if (tn > tf) return Infinity;
  }
  if (dz > -1e-12 && dz < 1e-12) {
    if (pz > hz || pz < -hz) return Infinity;
  } else {
    t1 = (-hz - pz) / dz;
    t2 = (hz - pz) / dz;
    if (t1 > t2) {
      t = t1;
      t1 = t2;
      t2 = t;
    }
    if (t1 > tn) tn = t1;
    if (t2 < tf) tf = t2;
  }
  return tn <= tf && tf > 0 ? (tn > 0 ? tn : 0) : Infinity;
}

/** The hole (0–2) whose coloured parts a ray (object frame) meets first, or −1. */
function holeHit(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, firstOnly: boolean): number {
  let best = -1,
    bestT = Infinity;
  for (let h = 0; h < 3; h++) {
    const base = h * PARTS_PER_HOLE;
    if (enter(ox, oy, oz, dx, dy, dz, HOLE_BOXES, base) === Infinity) continue;
    for (let p = 1; p < PARTS_PER_HOLE; p++) {
      const t = enter(ox, oy, oz, dx, dy, dz, HOLE_BOXES, base + p);
      if (t < bestT) {
        bestT = t;
        best = h;
        if (firstOnly) return h;
      }
    }
  }
  return best;
}

/** Views with the cue band's pixels (it wears a candidate colour) set to "other". */
export function maskedViews(frame: Frame): View[] {
  return frame.views.map((v, i) => {
    const band = cueLampPixels(frame, i, 2);
    if (band.length === 0) return v;
    const labels = Uint8Array.from(v.labels);
    for (const p of band) labels[p] = CuedClass.Other;
    return { ...v, labels };
  });
}

const PALETTE = new Uint8Array(256);
for (const c of PALETTE_CLASSES) PALETTE[c] = 1;

/**
 * The pixels that constrain the block's pose in one view: every palette pixel (its ray must meet a
 * coloured part) and the table or grey pixels right next to one (theirs must not).
 */
interface Evidence {
  origin: Vec3;
  dirs: Float64Array;
  /** +1 palette pixel, −1 a neighbour that shows the table or grey block. */
  sign: Int8Array;
  n: number;
  /** Weight of this view's pixels (views count equally, however many pixels each shows). */
  weight: number;
}

function evidenceOf(view: View): Evidence {
  const { width, height, labels } = view;
  const near = new Uint8Array(labels.length);
  for (let p = 0; p < labels.length; p++) {
    if (!PALETTE[labels[p]!]) continue;
    const row = (p / width) | 0,
      col = p - row * width;
    for (let r = Math.max(0, row - 1); r <= Math.min(height - 1, row + 1); r++) {
      for (let c = Math.max(0, col - 1); c <= Math.min(width - 1, col + 1); c++) near[r * width + c] = 1;
    }
  }
  const all = view.camera.directions();
  const idx: number[] = [];
  const sgn: number[] = [];
  for (let p = 0; p < labels.length; p++) {
    if (!near[p]) continue;
    const l = labels[p]!;
    const s = PALETTE[l] ? 1 : l === CuedClass.Table || l === CuedClass.Other ? -1 : 0;
    if (s === 0) continue;
    idx.push(p);
    sgn.push(s);
  }
  const dirs = new Float64Array(3 * idx.length);
  idx.forEach((p, i) => dirs.set(all.subarray(3 * p, 3 * p + 3), 3 * i));
  return { origin: [...view.camera.centre], dirs, sign: Int8Array.from(sgn), n: idx.length, weight: 1 };
}

/** Matched minus contradicted evidence pixels for one block pose. */
function scoreBlock(evidence: readonly Evidence[], pose: Pose): number {
  const c = Math.cos(pose.yaw),
    s = Math.sin(pose.yaw);
  let score = 0;
  for (const e of evidence) {
    const wx = e.origin[0] - pose.x,
      wy = e.origin[1] - pose.y,
      oz = e.origin[2] - pose.z;
    const ox = c * wx + s * wy,
      oy = -s * wx + c * wy;
    const dirs = e.dirs,
      sign = e.sign;
    let view = 0;
    for (let i = 0; i < e.n; i++) {
      const gx = dirs[3 * i]!,
        gy = dirs[3 * i + 1]!;
      const hit = holeHit(ox, oy, oz, c * gx + s * gy, -s * gx + c * gy, dirs[3 * i + 2]!, true) >= 0;
      if (sign[i]! > 0) view += hit ? 1 : -1;
      else if (hit) view--;
    }
    score += e.weight * view;
  }
  return score;
}

type Key = 'x' | 'y' | 'z' | 'yaw';

/**
 * A resumable coarse-to-fine grid search: each level samples a grid around the current estimate (5
 * per parameter at the first level, 3 after), moves the estimate to the mean of the best-scoring
 * samples (the score is piecewise constant, so the middle of the best plateau is the estimate) and
 * halves the window. `run` scores at most `budget` poses per call.
 */
interface SearchState {
  keys: Key[];
  best: Pose;
  centre: Pose;
  half: Record<Key, number>;
  resolution: Record<Key, number>;
  limits: Partial<Record<Key, [number, number]>>;
  level: number;
  index: number;
  top: number;
  sum: Pose;
  count: number;
  done: boolean;
}

function startSearch(
  init: Pose,
  range: Partial<Record<Key, number>>,
  resolution: Record<Key, number>,
  limits: Partial<Record<Key, [number, number]>>,
): SearchState {
  const keys = (Object.keys(range) as Key[]).filter((k) => (range[k] ?? 0) > 0);
  const half: Record<Key, number> = { x: 0, y: 0, z: 0, yaw: 0 };
  for (const k of keys) half[k] = range[k]!;
  return {
    keys,
    best: { ...init },
    centre: { ...init },
    half,
    resolution,
    limits,
    level: 0,
    index: 0,
    top: -Infinity,
    sum: { x: 0, y: 0, z: 0, yaw: 0 },
    count: 0,
    done: keys.length === 0,
  };
}

function runSearch(st: SearchState, score: (p: Pose) => number, budget: number): void {
  const clamp = (k: Key, v: number) => (st.limits[k] ? Math.min(st.limits[k]![1], Math.max(st.limits[k]![0], v)) : v);
  while (!st.done && budget > 0) {
    const per = st.level === 0 ? 5 : 3;
    const mid = (per - 1) / 2;
    const total = per ** st.keys.length;
    for (; st.index < total && budget > 0; st.index++, budget--) {
      const pose = { ...st.centre };
      let rest = st.index;
      for (const k of st.keys) {
        const m = rest % per;
        rest = (rest - m) / per;
        pose[k] = clamp(k, st.centre[k] + ((m - mid) * st.half[k]) / mid);
      }
      const s = score(pose);
      if (s > st.top) {
        st.top = s;
        st.sum = { x: 0, y: 0, z: 0, yaw: 0 };
        st.count = 0;
      }
      if (s === st.top) {
        for (const k of st.keys) st.sum[k] += pose[k];
        st.count++;
      }
    }
    if (st.index < total) return;
    for (const k of st.keys) st.best[k] = st.sum[k] / st.count;
    let done = true;
    for (const k of st.keys) {
      st.half[k] /= 2;
      if (st.half[k] > st.resolution[k]) done = false;
    }
    st.done = done || st.level >= 11;
    st.level++;
    st.index = 0;
    st.centre = { ...st.best };
    if (!st.done) st.top = -Infinity;
  }
}

/** The yaw of a block on the side of `x` that faces straight across the table. */
const facingYaw = (x: number) => (x < 0 ? 0 : Math.PI);

/**
 * A rough block pose from one frame: each candidate colour's pixels triangulated through both views
 * (the coloured parts' centroid sits ≈3 cm behind the mouth plane and ≈3 cm above the hole axes); the
 * holes' centroids lie on a line along the row, which gives the yaw; the mouths face the middle.
 * `colours`: how many candidate colours were located (fewer than 3: the row's middle is uncertain).
 */
export function roughBlock(views: readonly View[]): { pose: Pose; colours: number } | undefined {
  const points: Vec3[] = [];
  for (const cls of PALETTE_CLASSES) {
    const rays: { origin: Vec3; dir: Vec3 }[] = [];
    const areas: number[] = [];
    for (const v of views) {
      const dirs = v.camera.directions();
      const d: Vec3 = [0, 0, 0];
      let n = 0;
      for (let p = 0; p < v.labels.length; p++) {
        if (v.labels[p] !== cls) continue;
        d[0] += dirs[3 * p]!;
        d[1] += dirs[3 * p + 1]!;
        d[2] += dirs[3 * p + 2]!;
        n++;
      }
      if (n < 3) continue;
      const len = Math.hypot(...d);
      rays.push({ origin: v.camera.centre, dir: [d[0] / len, d[1] / len, d[2] / len] });
      areas.push(n);
    }
    const p = rays.length >= 2 ? triangulate(rays, areas) : rays.length === 1 ? intersectHorizontal(rays[0]!, 0.12) : undefined;
    if (p && p.every(Number.isFinite)) points.push(p);
  }
  if (points.length === 0) return undefined;
  const mean = [0, 1, 2].map((k) => points.reduce((a, p) => a + p[k]!, 0) / points.length) as Vec3;
  let yaw = facingYaw(mean[0]);
  if (points.length >= 2) {
    let a = points[0]!,
      b = points[1]!,
      far = -1;
    for (const p of points) {
      for (const q of points) {
        const d = Math.hypot(p[0] - q[0], p[1] - q[1]);
        if (d > far) [a, b, far] = [p, q, d];
      }
    }
    const row = Math.atan2(b[1] - a[1], b[0] - a[0]);
    const normal = [row + Math.PI / 2, row - Math.PI / 2].find((n) => Math.cos(n) * Math.sign(mean[0] || 1) < 0)!;
    const jitter = Math.atan2(Math.sin(normal - yaw), Math.cos(normal - yaw));
    if (Math.abs(jitter) < PEG.yawJitter + 0.1) yaw += jitter;
  }
  const back = rotateZ([-0.03, 0, 0], yaw);
  return { pose: { x: mean[0] - back[0], y: mean[1] - back[1], z: Math.min(0.11, Math.max(0.06, mean[2] - 0.03)), yaw }, colours: points.length };
}

/** A precise block fit in progress (evidence from one frame, searched over several steps). */
export interface BlockFit {
  evidence: Evidence[];
  positives: number;
  search: SearchState;
}

export function startBlockFit(views: readonly View[], rough: { pose: Pose; colours: number }): BlockFit {
  const evidence = views.map(evidenceOf);
  const perView = evidence.map((e) => e.sign.reduce((b, s) => b + (s > 0 ? 1 : 0), 0));
  const positives = perView.reduce((a, b) => a + b, 0);
  const seen = perView.filter((n) => n > 0).length;
  // Views count equally (the farther camera sees the block in fewer pixels but constrains its depth).
  evidence.forEach((e, i) => (e.weight = perView[i]! > 0 ? positives / seen / perView[i]! : 0));
  const mid = facingYaw(rough.pose.x);
  const init = { ...rough.pose, yaw: mid + Math.atan2(Math.sin(rough.pose.yaw - mid), Math.cos(rough.pose.yaw - mid)) };
  const range = { x: 0.03, y: rough.colours >= 3 ? 0.03 : 0.1, z: 0.025, yaw: 0.12 };
  const search = startSearch(
    init,
    range,
    { x: 0.001, y: 0.001, z: 0.001, yaw: 0.003 },
    {
      z: [PEG.holeAbovePlinth - 0.005, PEG.holeAbovePlinth + PEG.plinth[1] + 0.005],
      yaw: [mid - PEG.yawJitter - 0.03, mid + PEG.yawJitter + 0.03],
    },
  );
  return { evidence, positives, search };
}

/** Advances a fit by at most `budget` poses; the pose once done (undefined while running or if it failed). */
export function stepBlockFit(fit: BlockFit, budget: number): { done: boolean; pose?: Pose } {
  runSearch(fit.search, (p) => scoreBlock(fit.evidence, p), budget);
  if (!fit.search.done) return { done: false };
  return fit.search.top >= 0.3 * fit.positives ? { done: true, pose: fit.search.best } : { done: true };
}

/**
 * Which hole wears `cls`: each pixel of that colour votes for the hole whose coloured parts its ray
 * meets first under `pose`. Undefined without a clear majority.
 */
export function holeOfColour(views: readonly View[], pose: Pose, cls: number): number | undefined {
  const votes = [0, 0, 0];
  const c = Math.cos(pose.yaw),
    s = Math.sin(pose.yaw);
  for (const v of views) {
    const wx = v.camera.centre[0] - pose.x,
      wy = v.camera.centre[1] - pose.y,
      oz = v.camera.centre[2] - pose.z;
    const ox = c * wx + s * wy,
      oy = -s * wx + c * wy;
    const dirs = v.camera.directions();
    for (let p = 0; p < v.labels.length; p++) {
      if (v.labels[p] !== cls) continue;
      const gx = dirs[3 * p]!,
        gy = dirs[3 * p + 1]!;
      const h = holeHit(ox, oy, oz, c * gx + s * gy, -s * gx + c * gy, dirs[3 * p + 2]!, false);
      if (h >= 0) votes[h]!++;
    }
  }
  const order = [0, 1, 2].sort((a, b) => votes[b]! - votes[a]!);
  const top = votes[order[0]!]!,
    second = votes[order[1]!]!;
  return top >= 3 && top >= 2 * second ? order[0] : undefined;
}
