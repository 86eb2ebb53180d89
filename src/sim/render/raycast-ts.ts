/**
 * The TypeScript ray casters.
 *
 * `renderViewTs` is the fast CPU path and the reference the gpu.js kernel is tested against: it walks
 * the image tile by tile and tests only the tile's candidate primitives (front to back, stopping at
 * the first whose nearest depth is behind the current hit). `renderViewNaive` tests every primitive
 * at every pixel with a per-pixel world→local transform; it exists for the benchmark and as an
 * independent check of the pruning.
 *
 * Both write uint8 RGB, row-major, row 0 first, in the delivered orientation (see view-batch.ts).
 */
import { NEAR, RAY_T, intersectRecord, localNormalRecord } from './geometry.ts';
import { GEOM, LIGHT_KIND } from './scene-snapshot.ts';
import { PRIM_STRIDE, VIEW_HEADER, VIEW_LIGHT, VIEW_STRIDE, type ViewBatch } from './view-batch.ts';

// Scratch: 0-5 ray origin/direction in the primitive frame | 6 t | 7-9 local normal | 10 u | 11 v.
// Only records, indices and this array cross function boundaries (see geometry.ts for why).
const ray = new Float64Array(12);

let depthBuf = new Float64Array(0);
let hitBuf = new Int32Array(0);
let faceBuf = new Uint8Array(0);

/** Face codes in `faceBuf`: box faces 0..5 = (+x, -x, +y, -y, +z, -z), a plane's top 6, curved 255. */
const CURVED = 255;
const PLANE_FACE = 6;
const FACES = 7;

/**
 * A view drawn from the static primitives alone (see camera-renderer.ts): their nearest depth and
 * final colour per pixel. Frames of an unmoved camera start from it and cast only what moves.
 */
export interface StaticBase {
  depth: Float64Array;
  rgb: Uint8Array;
}

/**
 * Renders view `v` of a prepared batch into `out` (W·H·3 bytes from `offset`). When `ids` is given it
 * also receives, per pixel, the source id of the primitive hit (geom g ≥ 0, site s as -1-s), or
 * -2^31 for background.
 *
 * Each primitive casts rays only through the pixels of its projected bounds, front to back, keeping
 * the nearest hit per pixel in a depth buffer; a pixel already holding a hit nearer than the
 * primitive's nearest possible depth skips the test. One tight loop per primitive type (the type
 * switch is outside the pixel loops), then one shading pass over the final hits.
 *
 * With `base`, the view holds only the moving primitives and the picture starts from the static
 * ones: their depths occlude, their colours stay wherever nothing moving is nearer, and only pixels
 * a moving primitive won are shaded (within the union of the moving primitives' bounds). The result
 * is the same picture as drawing everything (`ids` is not supported then).
 */
export function renderViewTs(batch: ViewBatch, v: number, out: Uint8Array, offset = 0, ids?: Int32Array, base?: StaticBase): void {
  const W = batch.width,
    H = batch.height,
    N = W * H;
  if (depthBuf.length < N) {
    depthBuf = new Float64Array(N);
    hitBuf = new Int32Array(N);
    faceBuf = new Uint8Array(N);
  }
  const depth = depthBuf,
    hit = hitBuf,
    face = faceBuf;
  if (base) depth.set(base.depth.subarray(0, N));
  else depth.fill(Infinity, 0, N);
  hit.fill(-1, 0, N);
  const V = batch.views,
    vo = v * VIEW_STRIDE;
  const R = batch.prims,
    pBase = v * batch.primCapacity;
  const tanx = V[vo + 12]!,
    tany = V[vo + 13]!,
    nPrims = V[vo + 14]! | 0;
  let c0 = W,
    c1 = -1,
    r0 = H,
    r1 = -1;
  for (let k = 0; k < nPrims; k++) {
    const po = (pBase + k) * PRIM_STRIDE,
      ro = (pBase + k) * 4;
    const rects = batch.rects;
    if (rects[ro]! < c0) c0 = rects[ro]!;
    if (rects[ro + 1]! > c1) c1 = rects[ro + 1]!;
    if (rects[ro + 2]! < r0) r0 = rects[ro + 2]!;
    if (rects[ro + 3]! > r1) r1 = rects[ro + 3]!;
    switch (R[po]) {
      case GEOM.box:
        castBox(R, po, rects, ro, k, W, H, tanx, tany, depth, hit, face);
        break;
      case GEOM.plane:
        castPlane(R, po, rects, ro, k, W, H, tanx, tany, depth, hit, face);
        break;
      case GEOM.sphere:
        castSphere(R, po, rects, ro, k, W, H, tanx, tany, depth, hit, face);
        break;
      case GEOM.capsule:
        castCapsule(R, po, rects, ro, k, W, H, tanx, tany, depth, hit, face);
        break;
      default:
        castGeneric(R, po, rects, ro, k, W, H, tanx, tany, depth, hit, face);
        break;
    }
  }
  if (!base) {
    shadePass(V, vo, R, pBase, nPrims, W, H, 0, W - 1, 0, H - 1, depth, hit, face, out, offset, ids, true);
    return;
  }
  out.set(base.rgb.subarray(0, N * 3), offset);
  if (nPrims > 0) shadePass(V, vo, R, pBase, nPrims, W, H, c0, c1, r0, r1, depth, hit, face, out, offset, undefined, false);
}

/** Draws view `v` (prepared with the static primitives only) into `base`, keeping its depths. */
export function renderStaticBase(batch: ViewBatch, v: number, base: StaticBase): void {
  const N = batch.width * batch.height;
  renderViewTs(batch, v, base.rgb, 0);
  base.depth.set(depthBuf.subarray(0, N));
}

let faceCache = new Int32Array(0);

/**
 * Colours every pixel from its final hit. Under directional lighting only (MetaWorld's: headlight +
 * directional lights), a flat face has one colour, so box and plane faces are shaded once per view
 * and cached; curved surfaces, and everything under point/spot lights, are shaded per pixel.
 */
function shadePass(
  V: Float32Array,
  vo: number,
  R: Float32Array,
  pBase: number,
  nPrims: number,
  W: number,
  H: number,
  c0: number,
  c1: number,
  r0: number,
  r1: number,
  depth: Float64Array,
  hit: Int32Array,
  face: Uint8Array,
  out: Uint8Array,
  offset: number,
  ids: Int32Array | undefined,
  background: boolean,
): void {
  const tanx = V[vo + 12]!,
    tany = V[vo + 13]!;
  let directionalOnly = true;
  for (let l = 0; l < V[vo + 15]!; l++) if (V[vo + VIEW_HEADER + l * VIEW_LIGHT] !== LIGHT_KIND.directional) directionalOnly = false;
  if (faceCache.length < nPrims * FACES) faceCache = new Int32Array(2 * nPrims * FACES);
  faceCache.fill(-1, 0, nPrims * FACES);
  const bgR = toByte(V[vo + 19]!),
    bgG = toByte(V[vo + 20]!),
    bgB = toByte(V[vo + 21]!);
  // directional lights as (-direction, diffuse) for shadeCurvedDirectional
  const nLights = V[vo + 15]! | 0,
    lights = dirLights;
  for (let l = 0; l < nLights; l++) {
    const lo = vo + VIEW_HEADER + l * VIEW_LIGHT;
    for (let i = 0; i < 3; i++) {
      lights[6 * l + i] = -V[lo + 4 + i]!;
      lights[6 * l + 3 + i] = V[lo + 7 + i]!;
    }
  }
  for (let row = r0; row <= r1; row++) {
    const vv = ((2 * (row + 0.5)) / H - 1) * tany;
    for (let col = c0, idx = row * W + c0; col <= c1; col++, idx++) {
      const o = offset + idx * 3;
      const k = hit[idx]!;
      if (k < 0) {
        // Nothing of this view here: the background, or (over a static base) what is already drawn.
        if (background) {
          out[o] = bgR;
          out[o + 1] = bgG;
          out[o + 2] = bgB;
          if (ids) ids[idx] = -0x80000000;
        }
        continue;
      }
      const po = (pBase + k) * PRIM_STRIDE;
      const f = face[idx]!;
      let packed = directionalOnly && f !== CURVED ? faceCache[k * FACES + f]! : -1;
      if (directionalOnly && f === CURVED && R[po]! !== GEOM.box) {
        packed = shadeCurvedDirectional(V, vo, R, po, ((2 * (col + 0.5)) / W - 1) * tanx, vv, depth[idx]!, lights, nLights);
      } else if (packed < 0) {
        ray[RAY_T] = depth[idx]!;
        ray[10] = ((2 * (col + 0.5)) / W - 1) * tanx;
        ray[11] = vv;
        if (f === CURVED) {
          localNormalRecord(R, po, pixelRay(R, po));
        } else {
          ray[7] = 0;
          ray[8] = 0;
          ray[9] = 0;
          if (f === PLANE_FACE) ray[9] = 1;
          else ray[7 + (f >> 1)] = f & 1 ? -1 : 1;
        }
        packed = shadeNormal(V, vo, R, po);
        if (directionalOnly && f !== CURVED) faceCache[k * FACES + f] = packed;
      }
      out[o] = packed >> 16;
      out[o + 1] = (packed >> 8) & 255;
      out[o + 2] = packed & 255;
      if (ids) ids[idx] = R[po + 30]!;
    }
  }
}

const dirLights = new Float64Array(6 * 8);

/**
 * `shadeNormal` for a sphere, capsule, cylinder or ellipsoid pixel under directional lights only,
 * with the hit point, normal and lights computed inline (the per-pixel hot path of the moving arm).
 * The same operations in the same order as pixelRay + localNormalRecord + shadeNormal, so the same
 * bytes; lights: per light (-direction, diffuse), from shadePass.
 */
function shadeCurvedDirectional(
  V: Float32Array,
  vo: number,
  R: Float32Array,
  po: number,
  uu: number,
  vv: number,
  t: number,
  lights: Float64Array,
  nLights: number,
): number {
  // hit point in the primitive's frame (pixelRay, localNormalRecord)
  const px = R[po + 4]! + t * (R[po + 7]! * uu + R[po + 10]! * vv + R[po + 13]!);
  const py = R[po + 5]! + t * (R[po + 8]! * uu + R[po + 11]! * vv + R[po + 14]!);
  const pz = R[po + 6]! + t * (R[po + 9]! * uu + R[po + 12]! * vv + R[po + 15]!);
  const type = R[po]!;
  let lx = px,
    ly = py,
    lz = pz;
  if (type === GEOM.capsule) {
    const sy = R[po + 2]!;
    lz = pz - Math.min(Math.max(pz, -sy), sy);
  } else if (type === GEOM.ellipsoid) {
    const sx = R[po + 1]!,
      sy = R[po + 2]!,
      sz = R[po + 3]!;
    lx = px / (sx * sx);
    ly = py / (sy * sy);
    lz = pz / (sz * sz);
  } else if (type === GEOM.cylinder) {
    const sx = R[po + 1]!,
      sy = R[po + 2]!;
    if (Math.abs(pz) / sy > Math.sqrt(px * px + py * py) / sx) {
      lx = 0;
      ly = 0;
      lz = pz > 0 ? 1 : -1;
    } else {
      lz = 0;
    }
  } else if (type !== GEOM.sphere) {
    lx = 0;
    ly = 0;
    lz = 1;
  }
  // shadeNormal, directional lights only
  let nx = R[po + 16]! * lx + R[po + 17]! * ly + R[po + 18]! * lz;
  let ny = R[po + 19]! * lx + R[po + 20]! * ly + R[po + 21]! * lz;
  let nz = R[po + 22]! * lx + R[po + 23]! * ly + R[po + 24]! * lz;
  const wx = V[vo + 3]! * uu + V[vo + 6]! * vv - V[vo + 9]!;
  const wy = V[vo + 4]! * uu + V[vo + 7]! * vv - V[vo + 10]!;
  const wz = V[vo + 5]! * uu + V[vo + 8]! * vv - V[vo + 11]!;
  let inv = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz);
  if (nx * wx + ny * wy + nz * wz > 0) inv = -inv;
  nx *= inv;
  ny *= inv;
  nz *= inv;
  const emission = R[po + 28]!;
  let lr = V[vo + 16]! + emission,
    lg = V[vo + 17]! + emission,
    lb = V[vo + 18]! + emission;
  const head = nx * V[vo + 9]! + ny * V[vo + 10]! + nz * V[vo + 11]!;
  if (head > 0) {
    lr += V[vo + 22]! * head;
    lg += V[vo + 23]! * head;
    lb += V[vo + 24]! * head;
  }
  for (let l = 0, lo = 0; l < nLights; l++, lo += 6) {
    const ndl = nx * lights[lo]! + ny * lights[lo + 1]! + nz * lights[lo + 2]!;
    if (ndl > 0) {
      lr += lights[lo + 3]! * ndl;
      lg += lights[lo + 4]! * ndl;
      lb += lights[lo + 5]! * ndl;
    }
  }
  return (toByte(R[po + 25]! * lr) << 16) | (toByte(R[po + 26]! * lg) << 8) | toByte(R[po + 27]! * lb);
}

/** Fills ray[0..5] with the pixel ray (u = ray[10], v = ray[11]) in record po's frame; returns ray. */
function pixelRay(R: Float32Array, po: number): Float64Array {
  const uu = ray[10]!,
    vv = ray[11]!;
  ray[0] = R[po + 4]!;
  ray[1] = R[po + 5]!;
  ray[2] = R[po + 6]!;
  ray[3] = R[po + 7]! * uu + R[po + 10]! * vv + R[po + 13]!;
  ray[4] = R[po + 8]! * uu + R[po + 11]! * vv + R[po + 14]!;
  ray[5] = R[po + 9]! * uu + R[po + 12]! * vv + R[po + 15]!;
  return ray;
}

// The per-type casters share one shape: for each pixel of the primitive's rectangle whose current
// depth is behind the primitive's nearest possible depth, intersect d = A·u + (B·v + C) with the
// primitive in its frame and keep the hit (and the face it entered) if nearer.

function castBox(
  R: Float32Array,
  po: number,
  rects: Int32Array,
  ro: number,
  k: number,
  W: number,
  H: number,
  tanx: number,
  tany: number,
  depth: Float64Array,
  hit: Int32Array,
  face: Uint8Array,
): void {
  const sx = R[po + 1]!,
    sy = R[po + 2]!,
    sz = R[po + 3]!,
    ox = R[po + 4]!,
    oy = R[po + 5]!,
    oz = R[po + 6]!;
  const ax = R[po + 7]!,
    ay = R[po + 8]!,
    az = R[po + 9]!,
    zmin = R[po + 29]!;
  const c0 = rects[ro]!,
    c1 = rects[ro + 1]!,
    r0 = rects[ro + 2]!,
    r1 = rects[ro + 3]!;
  // slab planes relative to the ray origin
  const xlo = -sx - ox,
    xhi = sx - ox,
    ylo = -sy - oy,
    yhi = sy - oy,
    zlo = -sz - oz,
    zhi = sz - oz;
  for (let row = r0; row <= r1; row++) {
    const vv = ((2 * (row + 0.5)) / H - 1) * tany;
    const ex = R[po + 10]! * vv + R[po + 13]!,
      ey = R[po + 11]! * vv + R[po + 14]!,
      ez = R[po + 12]! * vv + R[po + 15]!;
    for (let col = c0, idx = row * W + c0; col <= c1; col++, idx++) {
      const best = depth[idx]!;
      if (zmin >= best) continue;
      const uu = ((2 * (col + 0.5)) / W - 1) * tanx;
      const dx = ax * uu + ex,
        dy = ay * uu + ey,
        dz = az * uu + ez;
      // entering face: the slab whose near plane is crossed last; code = 2·axis + (entered from -side)
      let tn = -Infinity,
        tf = Infinity,
        f = 0;
      if (dx !== 0) {
        const inv = 1 / dx,
          t1 = xlo * inv,
          t2 = xhi * inv;
        if (dx > 0) {
          tn = t1;
          tf = t2;
          f = 1;
        } else {
          tn = t2;
          tf = t1;
          f = 0;
        }
      } else if (xlo > 0 || xhi < 0) continue;
      if (dy !== 0) {
        const inv = 1 / dy,
          t1 = ylo * inv,
          t2 = yhi * inv;
        if (dy > 0) {
          if (t1 > tn) {
            tn = t1;
            f = 3;
          }
          if (t2 < tf) tf = t2;
        } else {
          if (t2 > tn) {
            tn = t2;
            f = 2;
          }
          if (t1 < tf) tf = t1;
        }
      } else if (ylo > 0 || yhi < 0) continue;
      if (dz !== 0) {
        const inv = 1 / dz,
          t1 = zlo * inv,
          t2 = zhi * inv;
        if (dz > 0) {
          if (t1 > tn) {
            tn = t1;
            f = 5;
          }
          if (t2 < tf) tf = t2;
        } else {
          if (t2 > tn) {
            tn = t2;
            f = 4;
          }
          if (t1 < tf) tf = t1;
        }
      } else if (zlo > 0 || zhi < 0) continue;
      if (tn > tf || tf <= NEAR) continue;
      let t = tn;
      if (tn <= NEAR) {
        t = tf; // the camera is inside the box: shade the far wall per pixel
        f = CURVED;
      }
      if (t < best) {
        depth[idx] = t;
        hit[idx] = k;
        face[idx] = f;
      }
    }
  }
}

function castPlane(
  R: Float32Array,
  po: number,
  rects: Int32Array,
  ro: number,
  k: number,
  W: number,
  H: number,
  tanx: number,
  tany: number,
  depth: Float64Array,
  hit: Int32Array,
  face: Uint8Array,
): void {
  const sx = R[po + 1]!,
    sy = R[po + 2]!,
    ox = R[po + 4]!,
    oy = R[po + 5]!,
    oz = R[po + 6]!;
  const ax = R[po + 7]!,
    ay = R[po + 8]!,
    az = R[po + 9]!,
    zmin = R[po + 29]!;
  const c0 = rects[ro]!,
    c1 = rects[ro + 1]!,
    r0 = rects[ro + 2]!,
    r1 = rects[ro + 3]!;
  if (oz <= 0) return; // one-sided: seen from above only
  const finiteX = sx > 0,
    finiteY = sy > 0;
  for (let row = r0; row <= r1; row++) {
    const vv = ((2 * (row + 0.5)) / H - 1) * tany;
    const ex = R[po + 10]! * vv + R[po + 13]!,
      ey = R[po + 11]! * vv + R[po + 14]!,
      ez = R[po + 12]! * vv + R[po + 15]!;
    for (let col = c0, idx = row * W + c0; col <= c1; col++, idx++) {
      const best = depth[idx]!;
      if (zmin >= best) continue;
      const uu = ((2 * (col + 0.5)) / W - 1) * tanx;
      const dz = az * uu + ez;
      if (dz >= 0) continue;
      const t = -oz / dz;
      if (t <= NEAR || t >= best) continue;
      if (finiteX) {
        const x = ox + t * (ax * uu + ex);
        if (x > sx || x < -sx) continue;
      }
      if (finiteY) {
        const y = oy + t * (ay * uu + ey);
        if (y > sy || y < -sy) continue;
      }
      depth[idx] = t;
      hit[idx] = k;
      face[idx] = PLANE_FACE;
    }
  }
}

function castSphere(
  R: Float32Array,
  po: number,
  rects: Int32Array,
  ro: number,
  k: number,
  W: number,
  H: number,
  tanx: number,
  tany: number,
  depth: Float64Array,
  hit: Int32Array,
  face: Uint8Array,
): void {
  const r = R[po + 1]!,
    ox = R[po + 4]!,
    oy = R[po + 5]!,
    oz = R[po + 6]!;
  const ax = R[po + 7]!,
    ay = R[po + 8]!,
    az = R[po + 9]!,
    zmin = R[po + 29]!;
  const c0 = rects[ro]!,
    c1 = rects[ro + 1]!,
    r0 = rects[ro + 2]!,
    r1 = rects[ro + 3]!;
  const c = ox * ox + oy * oy + oz * oz - r * r;
  for (let row = r0; row <= r1; row++) {
    const vv = ((2 * (row + 0.5)) / H - 1) * tany;
    const ex = R[po + 10]! * vv + R[po + 13]!,
      ey = R[po + 11]! * vv + R[po + 14]!,
      ez = R[po + 12]! * vv + R[po + 15]!;
    for (let col = c0, idx = row * W + c0; col <= c1; col++, idx++) {
      const best = depth[idx]!;
      if (zmin >= best) continue;
      const uu = ((2 * (col + 0.5)) / W - 1) * tanx;
      const dx = ax * uu + ex,
        dy = ay * uu + ey,
        dz = az * uu + ez;
      const a = dx * dx + dy * dy + dz * dz,
        b = ox * dx + oy * dy + oz * dz;
      const disc = b * b - a * c;
      if (disc < 0) continue;
      const s = Math.sqrt(disc);
      let t = (-b - s) / a;
      if (t <= NEAR) t = (-b + s) / a;
      if (t > NEAR && t < best) {
        depth[idx] = t;
        hit[idx] = k;
        face[idx] = CURVED;
      }
    }
  }
}

/** Capsules (the robot arm: many pixels) inline their tube + two end spheres. */
function castCapsule(
  R: Float32Array,
  po: number,
  rects: Int32Array,
  ro: number,
  k: number,
  W: number,
  H: number,
  tanx: number,
  tany: number,
  depth: Float64Array,
  hit: Int32Array,
  face: Uint8Array,
): void {
  const r = R[po + 1]!,
    h = R[po + 2]!,
    ox = R[po + 4]!,
    oy = R[po + 5]!,
    oz = R[po + 6]!;
  const ax = R[po + 7]!,
    ay = R[po + 8]!,
    az = R[po + 9]!,
    zmin = R[po + 29]!;
  const c0 = rects[ro]!,
    c1 = rects[ro + 1]!,
    r0 = rects[ro + 2]!,
    r1 = rects[ro + 3]!;
  const r2 = r * r,
    cTube = ox * ox + oy * oy - r2;
  const ozTop = oz - h,
    ozBottom = oz + h;
  const cTop = ox * ox + oy * oy + ozTop * ozTop - r2,
    cBottom = ox * ox + oy * oy + ozBottom * ozBottom - r2;
  for (let row = r0; row <= r1; row++) {
    const vv = ((2 * (row + 0.5)) / H - 1) * tany;
    const ex = R[po + 10]! * vv + R[po + 13]!,
      ey = R[po + 11]! * vv + R[po + 14]!,
      ez = R[po + 12]! * vv + R[po + 15]!;
    for (let col = c0, idx = row * W + c0; col <= c1; col++, idx++) {
      const best = depth[idx]!;
      if (zmin >= best) continue;
      const uu = ((2 * (col + 0.5)) / W - 1) * tanx;
      const dx = ax * uu + ex,
        dy = ay * uu + ey,
        dz = az * uu + ez;
      let t = Infinity;
      // tube
      const a2 = dx * dx + dy * dy,
        bxy = ox * dx + oy * dy;
      if (a2 > 0) {
        const disc = bxy * bxy - a2 * cTube;
        if (disc < 0) continue; // misses the infinite tube, so misses the capsule
        const tt = (-bxy - Math.sqrt(disc)) / a2;
        const z = oz + tt * dz;
        if (tt > NEAR && z >= -h && z <= h) t = tt;
      }
      if (t === Infinity) {
        // end spheres (the tube entry was outside the segment or behind the camera)
        const a3 = a2 + dz * dz;
        const bTop = bxy + ozTop * dz,
          dTop = bTop * bTop - a3 * cTop;
        if (dTop >= 0) {
          const s = Math.sqrt(dTop);
          let ts = (-bTop - s) / a3;
          if (ts <= NEAR) ts = (-bTop + s) / a3;
          if (ts > NEAR && ts < t) t = ts;
        }
        const bBottom = bxy + ozBottom * dz,
          dBottom = bBottom * bBottom - a3 * cBottom;
        if (dBottom >= 0) {
          const s = Math.sqrt(dBottom);
          let ts = (-bBottom - s) / a3;
          if (ts <= NEAR) ts = (-bBottom + s) / a3;
          if (ts > NEAR && ts < t) t = ts;
        }
      }
      if (t < best) {
        depth[idx] = t;
        hit[idx] = k;
        face[idx] = CURVED;
      }
    }
  }
}

/** Cylinders and ellipsoids: few pixels in our scenes, so the shared record intersector is enough. */
function castGeneric(
  R: Float32Array,
  po: number,
  rects: Int32Array,
  ro: number,
  k: number,
  W: number,
  H: number,
  tanx: number,
  tany: number,
  depth: Float64Array,
  hit: Int32Array,
  face: Uint8Array,
): void {
  const ax = R[po + 7]!,
    ay = R[po + 8]!,
    az = R[po + 9]!,
    zmin = R[po + 29]!;
  const c0 = rects[ro]!,
    c1 = rects[ro + 1]!,
    r0 = rects[ro + 2]!,
    r1 = rects[ro + 3]!;
  ray[0] = R[po + 4]!;
  ray[1] = R[po + 5]!;
  ray[2] = R[po + 6]!;
  for (let row = r0; row <= r1; row++) {
    const vv = ((2 * (row + 0.5)) / H - 1) * tany;
    const ex = R[po + 10]! * vv + R[po + 13]!,
      ey = R[po + 11]! * vv + R[po + 14]!,
      ez = R[po + 12]! * vv + R[po + 15]!;
    for (let col = c0, idx = row * W + c0; col <= c1; col++, idx++) {
      const best = depth[idx]!;
      if (zmin >= best) continue;
      const uu = ((2 * (col + 0.5)) / W - 1) * tanx;
      ray[3] = ax * uu + ex;
      ray[4] = ay * uu + ey;
      ray[5] = az * uu + ez;
      intersectRecord(R, po, ray);
      const t = ray[RAY_T]!;
      if (t < best) {
        depth[idx] = t;
        hit[idx] = k;
        face[idx] = CURVED;
      }
    }
  }
}

/**
 * Colour (packed 0xRRGGBB) of record po's surface with local normal ray[7..9] at depth ray[RAY_T] on
 * the pixel ray (ray[10], ray[11]). MuJoCo's classic light model, diffuse only: ambient (headlight +
 * lights) + headlight diffuse along the view direction + each light's diffuse (directional, point, or
 * spot with cutoff, exponent and attenuation) + material emission.
 */
function shadeNormal(V: Float32Array, vo: number, R: Float32Array, po: number): number {
  const uu = ray[10]!,
    vv = ray[11]!,
    t = ray[RAY_T]!;
  const lx = ray[7]!,
    ly = ray[8]!,
    lz = ray[9]!;
  let nx = R[po + 16]! * lx + R[po + 17]! * ly + R[po + 18]! * lz;
  let ny = R[po + 19]! * lx + R[po + 20]! * ly + R[po + 21]! * lz;
  let nz = R[po + 22]! * lx + R[po + 23]! * ly + R[po + 24]! * lz;
  // world ray and hit point
  const wx = V[vo + 3]! * uu + V[vo + 6]! * vv - V[vo + 9]!;
  const wy = V[vo + 4]! * uu + V[vo + 7]! * vv - V[vo + 10]!;
  const wz = V[vo + 5]! * uu + V[vo + 8]! * vv - V[vo + 11]!;
  // the hit point, needed only for point and spot lights (computed on first use)
  let hx = 0,
    hy = 0,
    hz = 0,
    hit = false;

  let inv = 1 / Math.sqrt(nx * nx + ny * ny + nz * nz);
  if (nx * wx + ny * wy + nz * wz > 0) inv = -inv; // seen from inside/behind: light the visible side
  nx *= inv;
  ny *= inv;
  nz *= inv;
  const emission = R[po + 28]!;
  let lr = V[vo + 16]! + emission,
    lg = V[vo + 17]! + emission,
    lb = V[vo + 18]! + emission;
  const head = nx * V[vo + 9]! + ny * V[vo + 10]! + nz * V[vo + 11]!; // headlight shines along the view
  if (head > 0) {
    lr += V[vo + 22]! * head;
    lg += V[vo + 23]! * head;
    lb += V[vo + 24]! * head;
  }
  const nLights = V[vo + 15]!;
  for (let l = 0; l < nLights; l++) {
    const lo = vo + VIEW_HEADER + l * VIEW_LIGHT;
    const kind = V[lo]!;
    let Lx: number,
      Ly: number,
      Lz: number,
      f = 1;
    if (kind === LIGHT_KIND.directional) {
      Lx = -V[lo + 4]!;
      Ly = -V[lo + 5]!;
      Lz = -V[lo + 6]!;
    } else {
      if (!hit) {
        hx = V[vo]! + t * wx;
        hy = V[vo + 1]! + t * wy;
        hz = V[vo + 2]! + t * wz;
        hit = true;
      }
      Lx = V[lo + 1]! - hx;
      Ly = V[lo + 2]! - hy;
      Lz = V[lo + 3]! - hz;
      const dist = Math.sqrt(Lx * Lx + Ly * Ly + Lz * Lz);
      Lx /= dist;
      Ly /= dist;
      Lz /= dist;
      f = 1 / (V[lo + 10]! + V[lo + 11]! * dist + V[lo + 12]! * dist * dist);
      if (kind === LIGHT_KIND.spot) {
        const cs = -(Lx * V[lo + 4]! + Ly * V[lo + 5]! + Lz * V[lo + 6]!);
        f = cs < V[lo + 13]! ? 0 : f * Math.pow(cs, V[lo + 14]!);
      }
    }
    const ndl = nx * Lx + ny * Ly + nz * Lz;
    if (ndl > 0) {
      const k = ndl * f;
      lr += V[lo + 7]! * k;
      lg += V[lo + 8]! * k;
      lb += V[lo + 9]! * k;
    }
  }
  return (toByte(R[po + 25]! * lr) << 16) | (toByte(R[po + 26]! * lg) << 8) | toByte(R[po + 27]! * lb);
}

export function toByte(x: number): number {
  return x >= 1 ? 255 : x <= 0 ? 0 : Math.floor(x * 255 + 0.5);
}

/**
 * The naive caster: every primitive at every pixel, transforming the world ray into each primitive's
 * frame per pixel. Reads the same prepared view (camera, lights, primitive geometry) but ignores the
 * tile lists and the depth ordering. Kept for the benchmark and as a check on the pruning.
 */
export function renderViewNaive(batch: ViewBatch, v: number, out: Uint8Array, offset = 0): void {
  const W = batch.width,
    H = batch.height;
  const V = batch.views,
    vo = v * VIEW_STRIDE;
  const R = batch.prims,
    pBase = v * batch.primCapacity;
  const tanx = V[vo + 12]!,
    tany = V[vo + 13]!,
    nPrims = V[vo + 14]! | 0;
  const bgR = toByte(V[vo + 19]!),
    bgG = toByte(V[vo + 20]!),
    bgB = toByte(V[vo + 21]!);
  for (let row = 0; row < H; row++) {
    const vv = ((2 * (row + 0.5)) / H - 1) * tany;
    for (let col = 0; col < W; col++) {
      const uu = ((2 * (col + 0.5)) / W - 1) * tanx;
      const wx = V[vo + 3]! * uu + V[vo + 6]! * vv - V[vo + 9]!;
      const wy = V[vo + 4]! * uu + V[vo + 7]! * vv - V[vo + 10]!;
      const wz = V[vo + 5]! * uu + V[vo + 8]! * vv - V[vo + 11]!;
      let best = Infinity,
        bestPo = -1;
      for (let k = 0; k < nPrims; k++) {
        const po = (pBase + k) * PRIM_STRIDE;
        // camera position relative to the primitive, in world axes: c - p = R·o_local
        const ox0 = R[po + 4]!,
          oy0 = R[po + 5]!,
          oz0 = R[po + 6]!;
        const qx = R[po + 16]! * ox0 + R[po + 17]! * oy0 + R[po + 18]! * oz0;
        const qy = R[po + 19]! * ox0 + R[po + 20]! * oy0 + R[po + 21]! * oz0;
        const qz = R[po + 22]! * ox0 + R[po + 23]! * oy0 + R[po + 24]! * oz0;
        // local ray = Rᵀ·(c - p), Rᵀ·w
        ray[0] = R[po + 16]! * qx + R[po + 19]! * qy + R[po + 22]! * qz;
        ray[1] = R[po + 17]! * qx + R[po + 20]! * qy + R[po + 23]! * qz;
        ray[2] = R[po + 18]! * qx + R[po + 21]! * qy + R[po + 24]! * qz;
        ray[3] = R[po + 16]! * wx + R[po + 19]! * wy + R[po + 22]! * wz;
        ray[4] = R[po + 17]! * wx + R[po + 20]! * wy + R[po + 23]! * wz;
        ray[5] = R[po + 18]! * wx + R[po + 21]! * wy + R[po + 24]! * wz;
        intersectRecord(R, po, ray);
        const t = ray[RAY_T]!;
        if (t < best) {
          best = t;
          bestPo = po;
        }
      }
      const o = offset + (row * W + col) * 3;
      if (bestPo < 0) {
        out[o] = bgR;
        out[o + 1] = bgG;
        out[o + 2] = bgB;
        continue;
      }
      ray[RAY_T] = best;
      ray[10] = uu;
      ray[11] = vv;
      localNormalRecord(R, bestPo, pixelRay(R, bestPo));
      const packed = shadeNormal(V, vo, R, bestPo);
      out[o] = packed >> 16;
      out[o + 1] = (packed >> 8) & 255;
      out[o + 2] = packed & 255;
    }
  }
}
