/**
 * peg-insert (cued) from pixels (docs/envs/peg-insert.md): read the cue; find the block roughly (its
 * coloured rims and tabs) to learn which side it is on and its yaw; find the dark peg on the other
 * side and grasp it near its tail; lift it, and with the hand now away from the block fit the block's
 * pose precisely through both calibrated cameras; tell which hole wears the cue colour; carry the
 * peg's head in front of that mouth on the channel's axis and push it in.
 *
 * Once the peg is held its head is not tracked in the images (the fingers and the block hide it): the
 * fingers close symmetrically and the peg cannot turn, so the head sits at a fixed offset from the
 * fingertips along the block's axis, known from where the peg was grasped.
 *
 * Time: the precise fit scores a few thousand candidate poses; it runs a bounded number of them per
 * `/act` (the hand holds still meanwhile), so no single step is slow.
 */
import { PEG } from '../../../sim/cued/peg.ts';
import { rotateZ, toward, toWorld } from '../../../sim/cued/geometry.ts';
import type { Vec3 } from '../camera.ts';
import { intersectHorizontal, triangulate } from '../camera.ts';
import { fitPose, type Pose, type View } from '../fit.ts';
import type { Frame } from '../frame.ts';
import { CuedClass, PALETTE_CLASSES } from './classes.ts';
import { cueLampPixels } from './frame.ts';
import { cue, HOLD, type CuedSkill, type EpisodeMemory } from './skill.ts';

const FINGER = 0.045;
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

const PEG_MODEL = {
  name: 'peg',
  primitives: [{ kind: 'box' as const, centre: [0, 0, 0] as Vec3, half: [PEG.pegHalfLength, PEG.pegHalfWidth, PEG.pegHalfWidth] as Vec3 }],
};

/**
 * The peg's centre on the table: dark pixels whose rays land on the peg's half of the table (away from
 * the gripper's dark base), then a silhouette fit of the 24 × 3 × 3 cm box with the block's yaw.
 */
export function locatePeg(frame: Frame, views: readonly View[], block: Pose): Vec3 | undefined {
  const pegSide = Math.cos(block.yaw) > 0 ? 1 : -1; // the mouths face the peg
  const xs: number[] = [],
    ys: number[] = [];
  const hand = frame.hand;
  for (const v of views) {
    const dirs = v.camera.directions();
    const o = v.camera.centre;
    for (let p = 0; p < v.labels.length; p++) {
      if (v.labels[p] !== CuedClass.Dark) continue;
      const d: Vec3 = [dirs[3 * p]!, dirs[3 * p + 1]!, dirs[3 * p + 2]!];
      const q = intersectHorizontal({ origin: o, dir: d }, 0.022);
      if (!q || pegSide * q[0] < -0.02 || pegSide * q[0] > 0.5 || q[1] < 0.36 || q[1] > 0.9) continue;
      // Leave out rays that pass near the gripper (its base and wrist are dark too).
      const w = [hand[0] - o[0], hand[1] - o[1], hand[2] + 0.07 - o[2]];
      const t = w[0]! * d[0] + w[1]! * d[1] + w[2]! * d[2];
      if (Math.hypot(w[0]! - t * d[0], w[1]! - t * d[1], w[2]! - t * d[2]) < 0.09) continue;
      xs.push(q[0]);
      ys.push(q[1]);
    }
  }
  if (xs.length < 3) return undefined;
  const median = (a: number[]) => a.sort((u, v) => u - v)[a.length >> 1]!;
  const init: Pose = { x: median(xs), y: median(ys), z: PEG.pegHalfWidth, yaw: block.yaw };
  const fit = fitPose(
    views,
    PEG_MODEL,
    { target: [CuedClass.Dark], against: [CuedClass.Table] },
    { init, range: { x: 0.06, y: 0.03 }, resolution: { x: 0.003, y: 0.002 } },
  );
  return fit && fit.explained >= 3 ? [fit.pose.x, fit.pose.y, PEG.pegHalfWidth] : undefined;
}

/** Poses the precise block fit scores per step (a few milliseconds). */
const FIT_BUDGET = 40;

/**
 * Where the hand waits while it looks (hand frame, x mirrored to the peg's side): high over the peg's
 * half of the table, where neither the gripper nor the arm stands between a camera and the block or
 * the peg.
 */
const LOOK_POSE: Vec3 = [0.3, 0.7, 0.45];

/**
 * Where the vision skill grasps the peg: 3 cm toward the tail from its centre, so the head is 15 cm
 * from the fingertips (a shorter lever than the oracle's: a yaw error of the estimate moves the head
 * sideways by 15 cm × the error) while the fingers stay clear of the block with the head 8 cm in.
 */
const GRASP_FROM_CENTRE = 0.03;

/** Lateral and vertical offsets (block frame, metres) tried in turn when the head meets the face. */
const SEARCH = [
  [0, 0],
  [0.008, 0],
  [-0.008, 0],
  [0, 0.008],
  [0, -0.008],
  [0.008, 0.008],
  [-0.008, -0.008],
  [0.008, -0.008],
  [-0.008, 0.008],
  [0.016, 0],
  [-0.016, 0],
  [0, 0.016],
  [0, -0.016],
] as const;

interface PegMemory {
  rough?: { pose: Pose; colours: number };
  fit?: BlockFit;
  block?: Pose;
  hole?: number;
  peg?: Vec3;
  grasp?: Vec3;
  phase?: string;
  since?: number;
  /** Fingertips → peg head (world), fixed once the peg is held. */
  headFromTcp?: Vec3;
  /** Index into SEARCH of the insertion attempt. */
  attempt?: number;
}

/** A point in hole `hole`'s frame (depth along the axis, lateral, vertical), in world coordinates. */
function holePoint(block: Pose, hole: number, depth: number, lateral = 0, vertical = 0): Vec3 {
  return toWorld([block.x, block.y, block.z], block.yaw, [-depth, (hole - 1) * S + lateral, vertical]);
}

export const pegSkill: CuedSkill = (frame, memory: EpisodeMemory) => {
  const m = memory as EpisodeMemory & PegMemory;
  const target = cue(frame, memory);
  const tcp = frame.tcp;
  const go = (p: Vec3, effort: number) => ({ move: toward(frame.hand, [p[0], p[1], p[2] + FINGER], 10), effort });
  const set = (phase: string) => {
    m.phase = phase;
    m.since = 0;
  };
  m.since = (m.since ?? 0) + 1;
  if (!m.rough) {
    // Which side the block is on (roughly where): from the first frame that shows its colours.
    m.rough = roughBlock(maskedViews(frame));
    return m.rough ? HOLD : go([tcp[0], tcp[1], 0.3], -1);
  }
  const pegSide = m.rough.pose.x < 0 ? 1 : -1;
  const look: Vec3 = [pegSide * LOOK_POSE[0], LOOK_POSE[1], LOOK_POSE[2] - FINGER];
  switch (m.phase ?? 'to-look') {
    case 'to-look':
      if (Math.hypot(look[0] - tcp[0], look[1] - tcp[1], look[2] - tcp[2]) < 0.01 && frame.speed < 0.02) set('look');
      return go(look, -1);
    case 'look': {
      // Fit the block a slice per step, then find the peg and the target hole in the same frame.
      if (target === undefined) return HOLD;
      const views = maskedViews(frame);
      if (!m.fit) m.fit = startBlockFit(views, roughBlock(views) ?? m.rough);
      const result = stepBlockFit(m.fit, FIT_BUDGET);
      if (!result.done) return HOLD;
      m.block = result.pose ?? m.fit.search.best;
      m.fit = undefined;
      m.hole = holeOfColour(views, m.block, target);
      if (m.hole !== undefined) set('find-peg');
      return HOLD; // without the target's hole: look again (the next frame may show more)
    }
    case 'find-peg': {
      // A step of its own: each /act stays short.
      m.peg = locatePeg(frame, maskedViews(frame), m.block!);
      if (!m.peg) return m.since! > 20 ? (set('look'), HOLD) : HOLD;
      const along = rotateZ([1, 0, 0], m.block!.yaw); // the peg's head → tail direction
      m.grasp = [m.peg[0] + along[0] * GRASP_FROM_CENTRE, m.peg[1] + along[1] * GRASP_FROM_CENTRE, 0.006];
      set('approach');
      return HOLD;
    }
    case 'approach': {
      const g = m.grasp!;
      const above: Vec3 = [g[0], g[1], 0.07];
      if (Math.hypot(tcp[0] - g[0], tcp[1] - g[1]) < 0.005 && Math.abs(tcp[2] - above[2]) < 0.03) set('descend');
      return go(above, -1);
    }
    case 'descend':
      if (tcp[2] < 0.012) set('close');
      return go(m.grasp!, -1);
    case 'close':
      if (m.since! >= 10) {
        // Held: the head is half the peg plus the grasp offset ahead of the fingertips, on the block's
        // axis; the peg's centre sits 4 mm above the fingertips once lifted.
        const along = rotateZ([1, 0, 0], m.block!.yaw);
        const back = PEG.pegHalfLength + GRASP_FROM_CENTRE;
        m.headFromTcp = [-along[0] * back, -along[1] * back, 0.004];
        set('lift');
      }
      return { move: [0, 0, 0], effort: 1 };
    case 'lift': {
      const pre = holePoint(m.block!, m.hole!, -0.05);
      const up: Vec3 = [m.grasp![0], m.grasp![1], Math.max(0.06, pre[2] - m.headFromTcp![2])];
      if (tcp[2] > up[2] - 0.01) set('carry');
      return go(up, 1);
    }
    case 'carry':
    case 'insert': {
      // Line the head up 5 cm in front of the mouth (shifted by the current search offset), then push
      // it 8 cm in along the axis. If the head stops at the face, back off and try the next offset.
      const [dl, dv] = SEARCH[(m.attempt ?? 0) % SEARCH.length]!;
      const h = m.headFromTcp!;
      const fingertipsFor = (head: Vec3): Vec3 => [head[0] - h[0], head[1] - h[1], head[2] - h[2]];
      if (m.phase === 'carry') {
        const to = fingertipsFor(holePoint(m.block!, m.hole!, -0.05, dl, dv));
        if (Math.hypot(to[0] - tcp[0], to[1] - tcp[1], to[2] - tcp[2]) < 0.004) set('insert');
        return go(to, 1);
      }
      const head: Vec3 = [tcp[0] + h[0], tcp[1] + h[1], tcp[2] + h[2]];
      const depth = -toWorldLocal(m.block!, m.hole!, head)[0];
      if (m.since! > 8 && frame.speed < 0.01 && depth < 0.03) {
        m.attempt = (m.attempt ?? 0) + 1;
        set('carry');
      }
      return go(fingertipsFor(holePoint(m.block!, m.hole!, 0.08, dl, dv)), 1);
    }
    default:
      return HOLD;
  }
};

/** A world point in hole `hole`'s frame: [outward distance from the mouth, lateral, vertical]. */
function toWorldLocal(block: Pose, hole: number, p: Vec3): Vec3 {
  const mouth = holePoint(block, hole, 0);
  return rotateZ([p[0] - mouth[0], p[1] - mouth[1], p[2] - mouth[2]], -block.yaw);
}
