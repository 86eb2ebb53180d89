/**
 * Ray–primitive intersection and surface normals in the primitive's own frame, for the TypeScript
 * casters. The gpu.js kernel (gpu-kernel.ts) carries the same formulas inline (its transpiler takes
 * no closures or shared helpers); keep the two in step.
 *
 * Rays are o + t·d with d NOT normalized; t is in units of d (the casters scale d so that t is the
 * hit's depth along the camera's optical axis). Misses give Infinity; hits nearer than NEAR are ignored.
 *
 * Calling convention: records and a scratch Float64Array, never doubles as arguments or return
 * values. V8 boxes every double passed to or returned from a call it does not inline; with one
 * 11-argument call per candidate per pixel that allocation made GC a quarter of the run time.
 */
import { GEOM } from './scene-snapshot.ts';

/** Depth below which a hit does not count (m): hits must be in front of the camera. */
export const NEAR = 1e-4;

/** Scratch ray layout: [ox, oy, oz, dx, dy, dz, t (output), …]. */
export const RAY_T = 6;

/**
 * Intersects the ray in `ray[0..5]` (in the primitive's frame) with the primitive described by
 * `R[po]` = type and `R[po+1..po+3]` = size; writes t (or Infinity) to `ray[RAY_T]`.
 */
export function intersectRecord(R: Float32Array, po: number, ray: Float64Array): void {
  const type = R[po]!,
    sx = R[po + 1]!,
    sy = R[po + 2]!,
    sz = R[po + 3]!;
  const ox = ray[0]!,
    oy = ray[1]!,
    oz = ray[2]!,
    dx = ray[3]!,
    dy = ray[4]!,
    dz = ray[5]!;
  let t = Infinity;
  if (type === GEOM.box) {
    let tn = -Infinity,
      tf = Infinity;
    if (dx !== 0) {
      const t1 = (-sx - ox) / dx,
        t2 = (sx - ox) / dx;
      if (t1 < t2) {
        if (t1 > tn) tn = t1;
        if (t2 < tf) tf = t2;
      } else {
        if (t2 > tn) tn = t2;
        if (t1 < tf) tf = t1;
      }
    } else if (ox > sx || ox < -sx) tf = -Infinity;
    if (dy !== 0) {
      const t1 = (-sy - oy) / dy,
        t2 = (sy - oy) / dy;
      if (t1 < t2) {
        if (t1 > tn) tn = t1;
        if (t2 < tf) tf = t2;
      } else {
        if (t2 > tn) tn = t2;
        if (t1 < tf) tf = t1;
      }
    } else if (oy > sy || oy < -sy) tf = -Infinity;
    if (dz !== 0) {
      const t1 = (-sz - oz) / dz,
        t2 = (sz - oz) / dz;
      if (t1 < t2) {
        if (t1 > tn) tn = t1;
        if (t2 < tf) tf = t2;
      } else {
        if (t2 > tn) tn = t2;
        if (t1 < tf) tf = t1;
      }
    } else if (oz > sz || oz < -sz) tf = -Infinity;
    if (tn <= tf && tf > NEAR) t = tn > NEAR ? tn : tf;
  } else if (type === GEOM.plane) {
    // one-sided, seen from above only, like MuJoCo's
    if (dz < 0 && oz > 0) {
      const tp = -oz / dz;
      const x = ox + tp * dx,
        y = oy + tp * dy;
      if (tp > NEAR && (sx <= 0 || (x <= sx && x >= -sx)) && (sy <= 0 || (y <= sy && y >= -sy))) t = tp;
    }
  } else if (type === GEOM.sphere) {
    t = sphereHit(ox, oy, oz, dx, dy, dz, sx);
  } else if (type === GEOM.ellipsoid) {
    t = sphereHit(ox / sx, oy / sy, oz / sz, dx / sx, dy / sy, dz / sz, 1);
  } else if (type === GEOM.capsule) {
    // the capsule is the union of a side tube and two end spheres: its entry is the nearest entry
    t = tubeHit(sx, sy, ox, oy, oz, dx, dy, dz);
    const top = sphereHit(ox, oy, oz - sy, dx, dy, dz, sx);
    if (top < t) t = top;
    const bottom = sphereHit(ox, oy, oz + sy, dx, dy, dz, sx);
    if (bottom < t) t = bottom;
  } else if (type === GEOM.cylinder) {
    t = tubeHit(sx, sy, ox, oy, oz, dx, dy, dz);
    if (dz !== 0) {
      const r2 = sx * sx;
      const t1 = (sy - oz) / dz;
      if (t1 > NEAR && t1 < t) {
        const x = ox + t1 * dx,
          y = oy + t1 * dy;
        if (x * x + y * y <= r2) t = t1;
      }
      const t2 = (-sy - oz) / dz;
      if (t2 > NEAR && t2 < t) {
        const x = ox + t2 * dx,
          y = oy + t2 * dy;
        if (x * x + y * y <= r2) t = t2;
      }
    }
  }
  ray[RAY_T] = t;
}

function sphereHit(ox: number, oy: number, oz: number, dx: number, dy: number, dz: number, r: number): number {
  const a = dx * dx + dy * dy + dz * dz;
  const b = ox * dx + oy * dy + oz * dz;
  const c = ox * ox + oy * oy + oz * oz - r * r;
  const disc = b * b - a * c;
  if (disc < 0) return Infinity;
  const s = Math.sqrt(disc);
  let t = (-b - s) / a;
  if (t > NEAR) return t;
  t = (-b + s) / a;
  return t > NEAR ? t : Infinity;
}

/** The curved side of a z-aligned cylinder of radius r and half-height h (entry hit only). */
function tubeHit(r: number, h: number, ox: number, oy: number, oz: number, dx: number, dy: number, dz: number): number {
  const a = dx * dx + dy * dy;
  if (a === 0) return Infinity;
  const b = ox * dx + oy * dy;
  const c = ox * ox + oy * oy - r * r;
  const disc = b * b - a * c;
  if (disc < 0) return Infinity;
  const t = (-b - Math.sqrt(disc)) / a;
  if (t <= NEAR) return Infinity;
  const z = oz + t * dz;
  return z >= -h && z <= h ? t : Infinity;
}

/**
 * Unnormalized outward normal, in the primitive's frame, at the point o + t·d of `ray` (t from
 * ray[RAY_T]); written to ray[7..9].
 */
export function localNormalRecord(R: Float32Array, po: number, ray: Float64Array): void {
  const type = R[po]!,
    sx = R[po + 1]!,
    sy = R[po + 2]!,
    sz = R[po + 3]!;
  const t = ray[RAY_T]!;
  const px = ray[0]! + t * ray[3]!,
    py = ray[1]! + t * ray[4]!,
    pz = ray[2]! + t * ray[5]!;
  let nx = 0,
    ny = 0,
    nz = 1;
  if (type === GEOM.sphere) {
    nx = px;
    ny = py;
    nz = pz;
  } else if (type === GEOM.ellipsoid) {
    nx = px / (sx * sx);
    ny = py / (sy * sy);
    nz = pz / (sz * sz);
  } else if (type === GEOM.capsule) {
    nx = px;
    ny = py;
    nz = pz - Math.min(Math.max(pz, -sy), sy);
  } else if (type === GEOM.cylinder) {
    if (Math.abs(pz) / sy > Math.sqrt(px * px + py * py) / sx) {
      nx = 0;
      ny = 0;
      nz = pz > 0 ? 1 : -1;
    } else {
      nx = px;
      ny = py;
      nz = 0;
    }
  } else if (type === GEOM.box) {
    const ax = Math.abs(px) / sx,
      ay = Math.abs(py) / sy,
      az = Math.abs(pz) / sz;
    nx = 0;
    ny = 0;
    nz = 0;
    if (ax >= ay && ax >= az) nx = px > 0 ? 1 : -1;
    else if (ay >= az) ny = py > 0 ? 1 : -1;
    else nz = pz > 0 ? 1 : -1;
  }
  ray[7] = nx;
  ray[8] = ny;
  ray[9] = nz;
}
