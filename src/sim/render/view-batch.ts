/**
 * Per-frame CPU preparation shared by every ray-casting path: one "view" = one camera of one scene.
 *
 * For each view this writes, into flat Float32Arrays sized once and reused:
 *  - a header (camera basis, tan of the half fields of view, ambient, background, headlight, lights);
 *  - the visible primitives, SORTED front to back by the nearest depth of their bounds, each with its
 *    ray expressed in the primitive's own frame as an affine function of the image coordinates
 *    (d_local = A·u + B·v + C, origin o_local), so a pixel pays 6 multiply-adds per candidate instead
 *    of a 3×3 transform;
 *  - per image tile, the list of primitives whose projected bounds overlap the tile (at most
 *    `maxPerTile`; a tile with more is flagged -1 and then tests every primitive, so nothing is
 *    ever dropped). Lists keep the front-to-back order, so a pixel stops at the first candidate whose
 *    nearest possible depth is behind the hit it already has.
 *
 * Ray parameter t is the hit's DEPTH along the optical axis (camera-frame direction (u, v, -1)),
 * which is what makes the front-to-back cut-off a plain comparison.
 *
 * Image orientation (the delivered one, see docs/cameras.md): pixel (col, row) looks along
 *   camera-frame (u, v, -1), u = (2(col+½)/W - 1)·tanx, v = (2(row+½)/H - 1)·tany,
 * i.e. row 0 is MuJoCo's camera -y side: MuJoCo's image flipped vertically, as the original delivers.
 */
import { NEAR } from './geometry.ts';
import { GEOM, MAX_LIGHTS, SNAP_CAM, SNAP_LIGHT, SNAP_PRIM, type SceneSnapshot } from './scene-snapshot.ts';

export const VIEW_HEADER = 32;
export const VIEW_LIGHT = 16;
/** Floats per view header (camera, lighting). */
export const VIEW_STRIDE = VIEW_HEADER + MAX_LIGHTS * VIEW_LIGHT;
// header: 0-2 cam pos | 3-5 right | 6-8 up | 9-11 back | 12 tanx | 13 tany | 14 nPrims | 15 nLights
//         16-18 ambient | 19-21 background | 22-24 headlight diffuse
// light l at VIEW_HEADER + 16 l: 0 kind | 1-3 pos | 4-6 dir | 7-9 diffuse | 10-12 attenuation | 13 cos cutoff | 14 exponent

/** Floats per primitive of a view. */
export const PRIM_STRIDE = 32;
// 0 type | 1-3 size | 4-6 o_local | 7-9 A | 10-12 B | 13-15 C | 16-24 R (local→world, row-major)
// 25-27 rgb | 28 emission | 29 nearest depth | 30 source id (geom g ≥ 0, site s as -1-s)

export interface ViewBatchLayout {
  width: number;
  height: number;
  tileSize: number;
  maxPerTile: number;
}

export class ViewBatch {
  readonly width: number;
  readonly height: number;
  readonly tileSize: number;
  readonly tilesX: number;
  readonly tilesY: number;
  readonly maxPerTile: number;
  /** Views this batch holds room for (a power of two). */
  viewCapacity = 0;
  /** Primitives per view this batch holds room for. */
  primCapacity = 0;
  views = new Float32Array(0);
  prims = new Float32Array(0);
  /** Per view, per tile: [count (-1 = overflow: test all), idx_0 … idx_{maxPerTile-1}]. */
  tiles = new Float32Array(0);
  /** Per view, per primitive (sorted order): the pixel rectangle [col0, col1, row0, row1] it can cover. */
  rects = new Int32Array(0);

  constructor(layout: ViewBatchLayout) {
    this.width = layout.width;
    this.height = layout.height;
    this.tileSize = layout.tileSize;
    this.maxPerTile = layout.maxPerTile;
    this.tilesX = Math.ceil(layout.width / layout.tileSize);
    this.tilesY = Math.ceil(layout.height / layout.tileSize);
  }

  get tileCount(): number {
    return this.tilesX * this.tilesY;
  }

  get tileStride(): number {
    return this.maxPerTile + 1;
  }

  /**
   * Makes room (capacities round up to powers of two, so growth is rare); returns true when the
   * arrays were reallocated (gpu.js kernels must then be rebuilt: their argument sizes are fixed).
   */
  ensure(views: number, prims: number): boolean {
    if (views <= this.viewCapacity && prims <= this.primCapacity) return false;
    this.viewCapacity = Math.max(roundUpPow2(views), this.viewCapacity);
    this.primCapacity = Math.max(this.primCapacity, roundUpPow2(Math.max(prims, 16)));
    this.views = new Float32Array(this.viewCapacity * VIEW_STRIDE);
    this.prims = new Float32Array(this.viewCapacity * this.primCapacity * PRIM_STRIDE);
    this.tiles = new Float32Array(this.viewCapacity * this.tileCount * this.tileStride);
    this.rects = new Int32Array(this.viewCapacity * this.primCapacity * 4);
    return true;
  }
}

export function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

// Scratch shared by prepareView (single-threaded; grown on demand, never per frame).
let scratchDepth = new Float64Array(64);
let scratchOrder = new Int32Array(64);
let scratchRect = new Int32Array(64 * 4);
const rect = new Float64Array(4); // continuous pixel bounds: col0, col1, row0, row1
const corner = new Float64Array(3);

/**
 * Fills view `v` of `batch` from camera `cam` (index into the snapshot's requested cameras).
 * The batch must already have room (`batch.ensure`). `tiles: false` skips the tile lists (only the
 * gpu.js kernel reads them; the TypeScript caster uses the per-primitive rectangles).
 */
/** Which primitives a view holds: all of them, or only those flagged static / not static (see SceneSnapshot.isStatic). */
export type PrimSubset = 'all' | 'static' | 'dynamic';

export function prepareView(snap: SceneSnapshot, cam: number, batch: ViewBatch, v: number, tiles = true, subset: PrimSubset = 'all'): void {
  const W = batch.width,
    H = batch.height;
  const c = snap.cams,
    co = cam * SNAP_CAM;
  const cx = c[co],
    cy = c[co + 1],
    cz = c[co + 2];
  // cam_xmat is row-major; its columns are the camera's right, up and back axes in world coordinates.
  const rx = c[co + 3],
    ry = c[co + 6],
    rz = c[co + 9];
  const ux = c[co + 4],
    uy = c[co + 7],
    uz = c[co + 10];
  const bx = c[co + 5],
    by = c[co + 8],
    bz = c[co + 11];
  const tany = Math.tan((c[co + 12] * Math.PI) / 360);
  const tanx = (tany * W) / H;

  const V = batch.views,
    vo = v * VIEW_STRIDE;
  V[vo] = cx;
  V[vo + 1] = cy;
  V[vo + 2] = cz;
  V[vo + 3] = rx;
  V[vo + 4] = ry;
  V[vo + 5] = rz;
  V[vo + 6] = ux;
  V[vo + 7] = uy;
  V[vo + 8] = uz;
  V[vo + 9] = bx;
  V[vo + 10] = by;
  V[vo + 11] = bz;
  V[vo + 12] = tanx;
  V[vo + 13] = tany;
  V[vo + 15] = snap.nLights;
  for (let i = 0; i < 3; i++) {
    V[vo + 16 + i] = snap.ambient[i];
    V[vo + 19 + i] = snap.background[i];
    V[vo + 22 + i] = snap.headlightDiffuse[i];
  }
  for (let l = 0; l < snap.nLights; l++) {
    const so = l * SNAP_LIGHT,
      lo = vo + VIEW_HEADER + l * VIEW_LIGHT;
    for (let i = 0; i < 15; i++) V[lo + i] = snap.lights[so + i];
  }

  // Bounds of every primitive in pixels, and its nearest depth.
  const n = snap.nPrims;
  if (scratchDepth.length < n) {
    scratchDepth = new Float64Array(2 * n);
    scratchOrder = new Int32Array(2 * n);
    scratchRect = new Int32Array(8 * n);
  }
  const TS = batch.tileSize,
    TX = batch.tilesX,
    TY = batch.tilesY;
  const P = snap.prims;
  let visible = 0;
  const flags = snap.isStatic;
  for (let i = 0; i < n; i++) {
    if (subset !== 'all' && (flags[i] === 1) !== (subset === 'static')) continue;
    const o = i * SNAP_PRIM;
    const depth = projectBounds(P, o, cx, cy, cz, rx, ry, rz, ux, uy, uz, bx, by, bz, tanx, tany, W, H);
    if (depth === Infinity) continue; // outside the view or behind the camera
    // Pixel centres inside [col0, col1] × [row0, row1] can hit; half a pixel of slack absorbs rounding.
    const c0 = Math.max(0, Math.ceil(rect[0] - 0.5)),
      c1 = Math.min(W - 1, Math.floor(rect[1] + 0.5));
    const r0 = Math.max(0, Math.ceil(rect[2] - 0.5)),
      r1 = Math.min(H - 1, Math.floor(rect[3] + 0.5));
    if (c0 > c1 || r0 > r1) continue;
    scratchRect[4 * i] = c0;
    scratchRect[4 * i + 1] = c1;
    scratchRect[4 * i + 2] = r0;
    scratchRect[4 * i + 3] = r1;
    scratchDepth[i] = depth;
    // insertion sort by nearest depth (a few dozen primitives)
    let k = visible++;
    while (k > 0 && scratchDepth[scratchOrder[k - 1]!]! > depth) {
      scratchOrder[k] = scratchOrder[k - 1]!;
      k--;
    }
    scratchOrder[k] = i;
  }
  V[vo + 14] = visible;

  // Primitive records, in front-to-back order.
  const R = batch.prims,
    pBase = v * batch.primCapacity;
  for (let k = 0; k < visible; k++) {
    const i = scratchOrder[k]!,
      so = i * SNAP_PRIM,
      po = (pBase + k) * PRIM_STRIDE;
    const m = P.subarray(so + 7, so + 16);
    const px = P[so + 4]!,
      py = P[so + 5]!,
      pz = P[so + 6]!;
    const dx = cx - px,
      dy = cy - py,
      dz = cz - pz;
    R[po] = P[so]!;
    R[po + 1] = P[so + 1]!;
    R[po + 2] = P[so + 2]!;
    R[po + 3] = P[so + 3]!;
    // local = Rᵀ · world: component j is column j of the rotation dotted with the vector
    for (let j = 0; j < 3; j++) {
      const m0 = m[j]!,
        m1 = m[3 + j]!,
        m2 = m[6 + j]!;
      R[po + 4 + j] = m0 * dx + m1 * dy + m2 * dz;
      R[po + 7 + j] = m0 * rx + m1 * ry + m2 * rz;
      R[po + 10 + j] = m0 * ux + m1 * uy + m2 * uz;
      R[po + 13 + j] = -(m0 * bx + m1 * by + m2 * bz);
    }
    for (let j = 0; j < 9; j++) R[po + 16 + j] = m[j]!;
    R[po + 25] = P[so + 16]!;
    R[po + 26] = P[so + 17]!;
    R[po + 27] = P[so + 18]!;
    R[po + 28] = P[so + 19]!;
    R[po + 29] = scratchDepth[i]!;
    R[po + 30] = P[so + 20]!;
    const ro = (pBase + k) * 4;
    for (let j = 0; j < 4; j++) batch.rects[ro + j] = scratchRect[4 * i + j]!;
  }

  if (!tiles) return;

  // Tile lists: planes additionally drop tiles whose four corner rays all run parallel to or away
  // from the plane (d_local.z ≥ 0 over the tile, since d_local is affine in u, v).
  const T = batch.tiles,
    K = batch.maxPerTile,
    stride = batch.tileStride,
    tBase = v * batch.tileCount * stride;
  for (let t = 0; t < TX * TY; t++) T[tBase + t * stride] = 0;
  for (let k = 0; k < visible; k++) {
    const i = scratchOrder[k]!;
    const x0 = Math.floor(scratchRect[4 * i]! / TS),
      x1 = Math.floor(scratchRect[4 * i + 1]! / TS);
    const y0 = Math.floor(scratchRect[4 * i + 2]! / TS),
      y1 = Math.floor(scratchRect[4 * i + 3]! / TS);
    const isPlane = P[i * SNAP_PRIM] === GEOM.plane;
    const po = (pBase + k) * PRIM_STRIDE;
    for (let ty = y0; ty <= y1; ty++) {
      for (let tx = x0; tx <= x1; tx++) {
        if (isPlane && planeMissesTile(R, po, tx, ty, TS, W, H, tanx, tany)) continue;
        const to = tBase + (ty * TX + tx) * stride;
        const count = T[to]!;
        if (count < 0) continue;
        if (count >= K) {
          T[to] = -1; // overflow: this tile tests every primitive
          continue;
        }
        T[to + 1 + count] = k;
        T[to] = count + 1;
      }
    }
  }
}

function planeMissesTile(R: Float32Array, po: number, tx: number, ty: number, TS: number, W: number, H: number, tanx: number, tany: number): boolean {
  const az = R[po + 9]!,
    bz = R[po + 12]!,
    cz = R[po + 15]!;
  const u0 = ((2 * tx * TS) / W - 1) * tanx,
    u1 = ((2 * Math.min(W, (tx + 1) * TS)) / W - 1) * tanx;
  const v0 = ((2 * ty * TS) / H - 1) * tany,
    v1 = ((2 * Math.min(H, (ty + 1) * TS)) / H - 1) * tany;
  const eps = -1e-6;
  return az * u0 + bz * v0 + cz > eps && az * u1 + bz * v0 + cz > eps && az * u0 + bz * v1 + cz > eps && az * u1 + bz * v1 + cz > eps;
}

/**
 * Writes the primitive's conservative pixel rectangle into `rect` and returns the nearest depth of its
 * bounds, or Infinity when it cannot appear in the image.
 */
function projectBounds(
  P: Float64Array,
  o: number,
  cx: number,
  cy: number,
  cz: number,
  rx: number,
  ry: number,
  rz: number,
  ux: number,
  uy: number,
  uz: number,
  bx: number,
  by: number,
  bz: number,
  tanx: number,
  tany: number,
  W: number,
  H: number,
): number {
  const type = P[o]!,
    sx = P[o + 1]!,
    sy = P[o + 2]!,
    sz = P[o + 3]!;
  const px = P[o + 4]!,
    py = P[o + 5]!,
    pz = P[o + 6]!;
  // columns of the primitive's rotation = its local axes in world coordinates
  const m = P;
  const ax = m[o + 7]!,
    ay = m[o + 10]!,
    az = m[o + 13]!; // local x axis
  const ex = m[o + 8]!,
    ey = m[o + 11]!,
    ez = m[o + 14]!; // local y axis
  const zx = m[o + 9]!,
    zy = m[o + 12]!,
    zz = m[o + 15]!; // local z axis
  resetRect();
  switch (type) {
    case GEOM.sphere:
      return addSphere(px, py, pz, sx, cx, cy, cz, rx, ry, rz, ux, uy, uz, bx, by, bz, tanx, tany, W, H);
    case GEOM.capsule:
    case GEOM.cylinder: {
      // A capsule is the hull of its two end spheres, a cylinder lies in the hull of spheres of its
      // radius around the end-disc centres. A hull projects inside the union of the parts'
      // projections only while every part is wholly in front of the camera; otherwise fall back to
      // one sphere around the whole primitive.
      const e1x = px + zx * sy,
        e1y = py + zy * sy,
        e1z = pz + zz * sy;
      const e2x = px - zx * sy,
        e2y = py - zy * sy,
        e2z = pz - zz * sy;
      const depth1 = -((e1x - cx) * bx + (e1y - cy) * by + (e1z - cz) * bz);
      const depth2 = -((e2x - cx) * bx + (e2y - cy) * by + (e2z - cz) * bz);
      if (depth1 - sx > NEAR && depth2 - sx > NEAR) {
        const d1 = addSphere(e1x, e1y, e1z, sx, cx, cy, cz, rx, ry, rz, ux, uy, uz, bx, by, bz, tanx, tany, W, H);
        const d2 = addSphere(e2x, e2y, e2z, sx, cx, cy, cz, rx, ry, rz, ux, uy, uz, bx, by, bz, tanx, tany, W, H);
        return Math.min(d1, d2);
      }
      const radius = type === GEOM.capsule ? sy + sx : Math.hypot(sx, sy);
      return addSphere(px, py, pz, radius, cx, cy, cz, rx, ry, rz, ux, uy, uz, bx, by, bz, tanx, tany, W, H);
    }
    case GEOM.ellipsoid:
    case GEOM.box: {
      const d = addBoxCorners(
        px,
        py,
        pz,
        ax * sx,
        ay * sx,
        az * sx,
        ex * sy,
        ey * sy,
        ez * sy,
        zx * sz,
        zy * sz,
        zz * sz,
        8,
        cx,
        cy,
        cz,
        rx,
        ry,
        rz,
        ux,
        uy,
        uz,
        bx,
        by,
        bz,
        tanx,
        tany,
        W,
        H,
      );
      if (d !== -1) return d;
      resetRect();
      return addSphere(px, py, pz, Math.hypot(sx, sy, sz), cx, cy, cz, rx, ry, rz, ux, uy, uz, bx, by, bz, tanx, tany, W, H);
    }
    case GEOM.plane: {
      // one-sided, like MuJoCo's: invisible from below
      const above = (cx - px) * zx + (cy - py) * zy + (cz - pz) * zz;
      if (above <= 0) return Infinity;
      // Nearest depth of the plane inside the view: depth = above / (-n·d) with d = (u, v, -1) in
      // camera axes; -n·d is affine in (u, v), so its maximum over the image is at a corner.
      const nr = zx * rx + zy * ry + zz * rz,
        nu = zx * ux + zy * uy + zz * uz,
        nb = zx * bx + zy * by + zz * bz;
      const down = Math.abs(nr) * tanx + Math.abs(nu) * tany + nb; // max over corners of -(n·d)
      if (down <= 0) return Infinity; // every ray in the image runs parallel to or away from it
      const frustumNear = above / down;
      if (sx > 0 && sy > 0) {
        const d = addBoxCorners(
          px,
          py,
          pz,
          ax * sx,
          ay * sx,
          az * sx,
          ex * sy,
          ey * sy,
          ez * sy,
          0,
          0,
          0,
          4,
          cx,
          cy,
          cz,
          rx,
          ry,
          rz,
          ux,
          uy,
          uz,
          bx,
          by,
          bz,
          tanx,
          tany,
          W,
          H,
        );
        if (d !== -1) return Math.max(d, frustumNear);
      }
      fullRect(W, H);
      return frustumNear;
    }
    default:
      return Infinity;
  }
}

function resetRect(): void {
  rect[0] = Infinity;
  rect[1] = -Infinity;
  rect[2] = Infinity;
  rect[3] = -Infinity;
}

function fullRect(W: number, H: number): void {
  rect[0] = -1;
  rect[1] = W;
  rect[2] = -1;
  rect[3] = H;
}

/** Ratio (x/z) → continuous pixel coordinate with pixel centres at integers. */
function toPixel(ratio: number, tan: number, size: number): number {
  return ((ratio / tan + 1) * size) / 2 - 0.5;
}

/**
 * Grows `rect` by the exact image-plane extent of a sphere (the tangent planes through the camera
 * that contain the image's other axis); returns the sphere's nearest depth, or Infinity if it is
 * wholly behind the camera / off-axis beyond 90°.
 */
function addSphere(
  sx: number,
  sy: number,
  sz: number,
  r: number,
  cx: number,
  cy: number,
  cz: number,
  rx: number,
  ry: number,
  rz: number,
  ux: number,
  uy: number,
  uz: number,
  bx: number,
  by: number,
  bz: number,
  tanx: number,
  tany: number,
  W: number,
  H: number,
): number {
  const qx = sx - cx,
    qy = sy - cy,
    qz = sz - cz;
  const x = qx * rx + qy * ry + qz * rz;
  const y = qx * ux + qy * uy + qz * uz;
  const z = -(qx * bx + qy * by + qz * bz);
  const near = z - r;
  const colRange = angularRange(x, z, r, 0);
  const rowRange = angularRange(y, z, r, 1);
  if (colRange === 0 || rowRange === 0) return Infinity;
  rect[0] = Math.min(rect[0]!, colRange === 2 ? -1 : toPixel(range[0]!, tanx, W));
  rect[1] = Math.max(rect[1]!, colRange === 2 ? W : toPixel(range[1]!, tanx, W));
  rect[2] = Math.min(rect[2]!, rowRange === 2 ? -1 : toPixel(range[2]!, tany, H));
  rect[3] = Math.max(rect[3]!, rowRange === 2 ? H : toPixel(range[3]!, tany, H));
  return Math.max(near, 0);
}

const range = new Float64Array(4); // angularRange outputs: [lo, hi] for slot 0 (columns) and 1 (rows)

/**
 * The range of x/z over a circle of radius r centred at (x, z): 0 = none in front, 1 = finite range
 * (written to `range` at 2·slot), 2 = unbounded (the circle reaches the camera or 90° off-axis).
 */
function angularRange(x: number, z: number, r: number, slot: 0 | 1): 0 | 1 | 2 {
  const d2 = x * x + z * z;
  if (d2 <= r * r) return 2;
  const centre = Math.atan2(x, z),
    half = Math.asin(r / Math.sqrt(d2));
  const lo = centre - half,
    hi = centre + half;
  const quarter = Math.PI / 2;
  if (lo >= quarter || hi <= -quarter) return 0;
  if (lo <= -quarter || hi >= quarter) return 2; // one side unbounded: treat the whole axis as covered
  range[2 * slot] = Math.tan(lo);
  range[2 * slot + 1] = Math.tan(hi);
  return 1;
}

/**
 * Grows `rect` by the projections of a box's corners (centre ± a ± e ± z, or the 4 corners of a
 * rectangle when `count` is 4). Returns the nearest corner depth, Infinity when every corner is
 * behind the camera, or -1 when the box straddles the camera plane (the caller then falls back to
 * a bounding sphere).
 */
function addBoxCorners(
  px: number,
  py: number,
  pz: number,
  ax: number,
  ay: number,
  az: number,
  ex: number,
  ey: number,
  ez: number,
  zx: number,
  zy: number,
  zz: number,
  count: 4 | 8,
  cx: number,
  cy: number,
  cz: number,
  rx: number,
  ry: number,
  rz: number,
  ux: number,
  uy: number,
  uz: number,
  bx: number,
  by: number,
  bz: number,
  tanx: number,
  tany: number,
  W: number,
  H: number,
): number {
  let nearest = Infinity,
    behind = 0;
  for (let k = 0; k < count; k++) {
    const sa = k & 1 ? 1 : -1,
      se = k & 2 ? 1 : -1,
      sz = k & 4 ? 1 : -1;
    corner[0] = px + sa * ax + se * ex + sz * zx - cx;
    corner[1] = py + sa * ay + se * ey + sz * zy - cy;
    corner[2] = pz + sa * az + se * ez + sz * zz - cz;
    const x = corner[0] * rx + corner[1] * ry + corner[2] * rz;
    const y = corner[0] * ux + corner[1] * uy + corner[2] * uz;
    const z = -(corner[0] * bx + corner[1] * by + corner[2] * bz);
    if (z <= NEAR) {
      behind++;
      continue;
    }
    nearest = Math.min(nearest, z);
    const col = toPixel(x / z, tanx, W),
      row = toPixel(y / z, tany, H);
    rect[0] = Math.min(rect[0]!, col);
    rect[1] = Math.max(rect[1]!, col);
    rect[2] = Math.min(rect[2]!, row);
    rect[3] = Math.max(rect[3]!, row);
  }
  if (behind === count) return Infinity;
  if (behind > 0) return -1;
  return nearest;
}
