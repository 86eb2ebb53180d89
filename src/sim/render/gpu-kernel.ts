/**
 * The gpu.js ray-casting kernel: one thread per pixel of every view in the batch, each testing only
 * its tile's candidate list (or, for an overflowed tile, every primitive), front to
 * back with the same depth cut-off as the TypeScript caster, then shading with the same light model.
 *
 * gpu.js picks a GPU backend where one exists and WebAssembly (f32x4 SIMD) or plain JS otherwise.
 * The source follows the rules that keep it portable across its backends: scalars only (no local
 * arrays, closures or switch), float literals, type codes compared with < and >, and constant loop
 * bounds (a dynamic bound is silently truncated at loopMaxIterations), so the candidate loop runs to
 * the constant primitive capacity and `break`s at the tile's count. Constants are spliced into the
 * source text as literals rather than passed as `this.constants`.
 *
 * Output layout is [tileSize², tiles, B]: thread.x is the pixel within its tile, thread.y the tile,
 * thread.z the view. Making the tile a function of thread.y (uniform across a SIMD quad on webasm)
 * lets every candidate-list and primitive read be one scalar load instead of a 4-lane gather; with
 * the image-shaped [W, H, B] output the same kernel ran 2× slower on webasm. Threads of a partial
 * edge tile compute a pixel outside the image and are dropped when unpacking.
 *
 * Each pixel returns its colour packed as r·65536 + g·256 + b (exact in f32: < 2^24).
 * The formulas mirror geometry.ts and raycast-ts.ts; keep them in step.
 */
import { GPU, type IKernelRunShortcut } from 'gpu.js';
import { NEAR } from './geometry.ts';
import { GEOM, LIGHT_KIND, MAX_LIGHTS } from './scene-snapshot.ts';
import { PRIM_STRIDE, VIEW_HEADER, VIEW_LIGHT, VIEW_STRIDE, roundUpPow2, type ViewBatch } from './view-batch.ts';

/** gpu.js modes; 'async' (threaded webasm without a GPU) and 'webgpu' return Promises (renderBatch only). */
export type GpuMode = 'gpu' | 'webasm' | 'cpu' | 'webgl' | 'webgl2' | 'headlessgl' | 'async' | 'webgpu';

export function isAsyncGpuMode(mode: GpuMode | undefined): boolean {
  return mode === 'async' || mode === 'webgpu';
}

const f = (x: number): string => (Number.isInteger(x) ? `${x}.0` : `${x}`);

/** Kernel source for the batch's geometry (sizes and capacities become literals). */
export function kernelSource(batch: ViewBatch): string {
  const c = {
    W: f(batch.width),
    H: f(batch.height),
    TS: f(batch.tileSize),
    TX: f(batch.tilesX),
    T: f(batch.tileCount),
    TSTRIDE: f(batch.tileStride),
    P: f(batch.primCapacity),
    PS: f(PRIM_STRIDE),
    VS: f(VIEW_STRIDE),
    VH: f(VIEW_HEADER),
    VL: f(VIEW_LIGHT),
    NEAR: f(NEAR),
  };
  const loopMax = batch.primCapacity; // ≥ maxPerTile and ≥ any view's primitive count
  const is = (code: number) => `type > ${code - 0.5} && type < ${code + 0.5}`;
  return `function (views, prims, tiles) {
  const tile = this.thread.y;
  const z = this.thread.z;
  const ty = Math.floor(tile / ${c.TX});
  const col = (tile - ty * ${c.TX}) * ${c.TS} + this.thread.x % ${c.TS};
  const row = ty * ${c.TS} + Math.floor(this.thread.x / ${c.TS});
  const vo = z * ${c.VS};
  const tanx = views[vo + 12.0];
  const tany = views[vo + 13.0];
  const nPrims = views[vo + 14.0];
  const uu = (2.0 * (col + 0.5) / ${c.W} - 1.0) * tanx;
  const vv = (2.0 * (row + 0.5) / ${c.H} - 1.0) * tany;
  const to = (z * ${c.T} + tile) * ${c.TSTRIDE};
  let count = tiles[to];
  let overflow = 0.0;
  if (count < 0.0) { overflow = 1.0; count = nPrims; }
  const pBase = z * ${c.P};
  let best = 1000000000.0;
  let bestK = -1.0;
  for (let j = 0; j < ${loopMax}; j++) {
    if (j >= count) { break; }
    let k = j + 0.0;
    if (overflow < 0.5) { k = tiles[to + 1.0 + j]; }
    const po = (pBase + k) * ${c.PS};
    if (prims[po + 29.0] >= best) { break; }
    const type = prims[po];
    const sx = prims[po + 1.0]; const sy = prims[po + 2.0]; const sz = prims[po + 3.0];
    const ox = prims[po + 4.0]; const oy = prims[po + 5.0]; const oz = prims[po + 6.0];
    const dx = prims[po + 7.0] * uu + prims[po + 10.0] * vv + prims[po + 13.0];
    const dy = prims[po + 8.0] * uu + prims[po + 11.0] * vv + prims[po + 14.0];
    const dz = prims[po + 9.0] * uu + prims[po + 12.0] * vv + prims[po + 15.0];
    let t = 1000000000.0;
    if (${is(GEOM.box)}) {
      let tn = -1000000000.0; let tf = 1000000000.0; let miss = 0.0;
      if (Math.abs(dx) > 0.0) {
        const a1 = (-sx - ox) / dx; const a2 = (sx - ox) / dx;
        tn = Math.max(tn, Math.min(a1, a2)); tf = Math.min(tf, Math.max(a1, a2));
      } else { if (Math.abs(ox) > sx) { miss = 1.0; } }
      if (Math.abs(dy) > 0.0) {
        const b1 = (-sy - oy) / dy; const b2 = (sy - oy) / dy;
        tn = Math.max(tn, Math.min(b1, b2)); tf = Math.min(tf, Math.max(b1, b2));
      } else { if (Math.abs(oy) > sy) { miss = 1.0; } }
      if (Math.abs(dz) > 0.0) {
        const c1 = (-sz - oz) / dz; const c2 = (sz - oz) / dz;
        tn = Math.max(tn, Math.min(c1, c2)); tf = Math.min(tf, Math.max(c1, c2));
      } else { if (Math.abs(oz) > sz) { miss = 1.0; } }
      if (miss < 0.5 && tn <= tf && tf > ${c.NEAR}) {
        if (tn > ${c.NEAR}) { t = tn; } else { t = tf; }
      }
    }
    if (${is(GEOM.plane)}) {
      if (dz < 0.0 && oz > 0.0) {
        const tp = -oz / dz;
        const px = ox + tp * dx; const py = oy + tp * dy;
        let inside = 1.0;
        if (sx > 0.0 && Math.abs(px) > sx) { inside = 0.0; }
        if (sy > 0.0 && Math.abs(py) > sy) { inside = 0.0; }
        if (tp > ${c.NEAR} && inside > 0.5) { t = tp; }
      }
    }
    if (${is(GEOM.sphere)} || ${is(GEOM.ellipsoid)} || ${is(GEOM.capsule)}) {
      // sphere / ellipsoid (scaled to a unit sphere) / the capsule's two end spheres
      let isx = 1.0; let isy = 1.0; let isz = 1.0; let rr = sx; let h = 0.0;
      if (${is(GEOM.ellipsoid)}) { isx = 1.0 / sx; isy = 1.0 / sy; isz = 1.0 / sz; rr = 1.0; }
      if (${is(GEOM.capsule)}) { h = sy; }
      const ex = dx * isx; const ey = dy * isy; const ez = dz * isz;
      const qa = ex * ex + ey * ey + ez * ez;
      for (let e = 0; e < 2; e++) {
        const qx = ox * isx; const qy = oy * isy; const qz = oz * isz - h * (1.0 - 2.0 * e);
        const qb = qx * ex + qy * ey + qz * ez;
        const qc = qx * qx + qy * qy + qz * qz - rr * rr;
        const disc = qb * qb - qa * qc;
        if (disc >= 0.0) {
          const s = Math.sqrt(disc);
          let ts = (-qb - s) / qa;
          if (ts <= ${c.NEAR}) { ts = (-qb + s) / qa; }
          if (ts > ${c.NEAR} && ts < t) { t = ts; }
        }
        if (h <= 0.0) { break; }
      }
    }
    if (${is(GEOM.capsule)} || ${is(GEOM.cylinder)}) {
      // the side tube (entry hit only)
      const ta = dx * dx + dy * dy;
      if (ta > 0.0) {
        const tb = ox * dx + oy * dy;
        const tc = ox * ox + oy * oy - sx * sx;
        const tdisc = tb * tb - ta * tc;
        if (tdisc >= 0.0) {
          const tt = (-tb - Math.sqrt(tdisc)) / ta;
          const zz = oz + tt * dz;
          if (tt > ${c.NEAR} && zz >= -sy && zz <= sy && tt < t) { t = tt; }
        }
      }
    }
    if (${is(GEOM.cylinder)}) {
      if (Math.abs(dz) > 0.0) {
        const t1 = (sy - oz) / dz;
        const x1 = ox + t1 * dx; const y1 = oy + t1 * dy;
        if (t1 > ${c.NEAR} && t1 < t && x1 * x1 + y1 * y1 <= sx * sx) { t = t1; }
        const t2 = (-sy - oz) / dz;
        const x2 = ox + t2 * dx; const y2 = oy + t2 * dy;
        if (t2 > ${c.NEAR} && t2 < t && x2 * x2 + y2 * y2 <= sx * sx) { t = t2; }
      }
    }
    if (t < best) { best = t; bestK = k; }
  }
  if (bestK < 0.0) {
    const bgr = Math.floor(Math.min(Math.max(views[vo + 19.0], 0.0), 1.0) * 255.0 + 0.5);
    const bgg = Math.floor(Math.min(Math.max(views[vo + 20.0], 0.0), 1.0) * 255.0 + 0.5);
    const bgb = Math.floor(Math.min(Math.max(views[vo + 21.0], 0.0), 1.0) * 255.0 + 0.5);
    return bgr * 65536.0 + bgg * 256.0 + bgb;
  }
  // local normal at the hit
  const po = (pBase + bestK) * ${c.PS};
  const type = prims[po];
  const sx = prims[po + 1.0]; const sy = prims[po + 2.0]; const sz = prims[po + 3.0];
  const dx = prims[po + 7.0] * uu + prims[po + 10.0] * vv + prims[po + 13.0];
  const dy = prims[po + 8.0] * uu + prims[po + 11.0] * vv + prims[po + 14.0];
  const dz = prims[po + 9.0] * uu + prims[po + 12.0] * vv + prims[po + 15.0];
  const px = prims[po + 4.0] + best * dx;
  const py = prims[po + 5.0] + best * dy;
  const pz = prims[po + 6.0] + best * dz;
  let lx = 0.0; let ly = 0.0; let lz = 1.0;
  if (${is(GEOM.sphere)}) { lx = px; ly = py; lz = pz; }
  if (${is(GEOM.ellipsoid)}) { lx = px / (sx * sx); ly = py / (sy * sy); lz = pz / (sz * sz); }
  if (${is(GEOM.capsule)}) { lx = px; ly = py; lz = pz - Math.min(Math.max(pz, -sy), sy); }
  if (${is(GEOM.cylinder)}) {
    if (Math.abs(pz) / sy > Math.sqrt(px * px + py * py) / sx) {
      lx = 0.0; ly = 0.0; lz = 1.0;
      if (pz < 0.0) { lz = -1.0; }
    } else { lx = px; ly = py; lz = 0.0; }
  }
  if (${is(GEOM.box)}) {
    const fx = Math.abs(px) / sx; const fy = Math.abs(py) / sy; const fz = Math.abs(pz) / sz;
    lx = 0.0; ly = 0.0; lz = 0.0;
    if (fx >= fy && fx >= fz) {
      lx = 1.0; if (px < 0.0) { lx = -1.0; }
    } else {
      if (fy >= fz) { ly = 1.0; if (py < 0.0) { ly = -1.0; } } else { lz = 1.0; if (pz < 0.0) { lz = -1.0; } }
    }
  }
  let nx = prims[po + 16.0] * lx + prims[po + 17.0] * ly + prims[po + 18.0] * lz;
  let ny = prims[po + 19.0] * lx + prims[po + 20.0] * ly + prims[po + 21.0] * lz;
  let nz = prims[po + 22.0] * lx + prims[po + 23.0] * ly + prims[po + 24.0] * lz;
  const wx = views[vo + 3.0] * uu + views[vo + 6.0] * vv - views[vo + 9.0];
  const wy = views[vo + 4.0] * uu + views[vo + 7.0] * vv - views[vo + 10.0];
  const wz = views[vo + 5.0] * uu + views[vo + 8.0] * vv - views[vo + 11.0];
  const hx = views[vo] + best * wx; const hy = views[vo + 1.0] + best * wy; const hz = views[vo + 2.0] + best * wz;
  let inv = 1.0 / Math.sqrt(nx * nx + ny * ny + nz * nz);
  if (nx * wx + ny * wy + nz * wz > 0.0) { inv = -inv; }
  nx = nx * inv; ny = ny * inv; nz = nz * inv;
  const emission = prims[po + 28.0];
  let lr = views[vo + 16.0] + emission; let lg = views[vo + 17.0] + emission; let lb = views[vo + 18.0] + emission;
  const head = nx * views[vo + 9.0] + ny * views[vo + 10.0] + nz * views[vo + 11.0];
  if (head > 0.0) { lr = lr + views[vo + 22.0] * head; lg = lg + views[vo + 23.0] * head; lb = lb + views[vo + 24.0] * head; }
  const nLights = views[vo + 15.0];
  for (let l = 0; l < ${MAX_LIGHTS}; l++) {
    if (l >= nLights) { break; }
    const lo = vo + ${c.VH} + l * ${c.VL};
    const kind = views[lo];
    let Lx = -views[lo + 4.0]; let Ly = -views[lo + 5.0]; let Lz = -views[lo + 6.0];
    let fall = 1.0;
    if (kind > ${LIGHT_KIND.directional + 0.5}) {
      Lx = views[lo + 1.0] - hx; Ly = views[lo + 2.0] - hy; Lz = views[lo + 3.0] - hz;
      const dist = Math.sqrt(Lx * Lx + Ly * Ly + Lz * Lz);
      Lx = Lx / dist; Ly = Ly / dist; Lz = Lz / dist;
      fall = 1.0 / (views[lo + 10.0] + views[lo + 11.0] * dist + views[lo + 12.0] * dist * dist);
      if (kind > ${LIGHT_KIND.spot - 0.5}) {
        const cs = -(Lx * views[lo + 4.0] + Ly * views[lo + 5.0] + Lz * views[lo + 6.0]);
        if (cs < views[lo + 13.0]) { fall = 0.0; } else { fall = fall * Math.pow(cs, views[lo + 14.0]); }
      }
    }
    const ndl = nx * Lx + ny * Ly + nz * Lz;
    if (ndl > 0.0) {
      const kk = ndl * fall;
      lr = lr + views[lo + 7.0] * kk; lg = lg + views[lo + 8.0] * kk; lb = lb + views[lo + 9.0] * kk;
    }
  }
  const cr = Math.floor(Math.min(Math.max(prims[po + 25.0] * lr, 0.0), 1.0) * 255.0 + 0.5);
  const cg = Math.floor(Math.min(Math.max(prims[po + 26.0] * lg, 0.0), 1.0) * 255.0 + 0.5);
  const cb = Math.floor(Math.min(Math.max(prims[po + 27.0] * lb, 0.0), 1.0) * 255.0 + 0.5);
  return cr * 65536.0 + cg * 256.0 + cb;
}`;
}

/**
 * Owns a gpu.js instance and its compiled kernels: one per power-of-two batch size (gpu.js fixes the
 * output size at build), all rebuilt when the batch's capacities grow (argument sizes are fixed at
 * build too).
 */
export class GpuRaycaster {
  readonly gpu: GPU;
  private kernels = new Map<number, IKernelRunShortcut>();
  private builtFor = { views: -1, prims: -1 };

  constructor(mode?: GpuMode) {
    this.gpu = new GPU(mode ? { mode } : {});
  }

  /** The backend gpu.js selected: 'webasm' or 'cpu' mean no GPU was found. */
  get mode(): string {
    return this.gpu.mode;
  }

  /**
   * Casts views 0..count-1 of the prepared batch and unpacks them into `out` (count images of
   * W·H·3 bytes, back to back from `offset`). In an asynchronous mode it returns a Promise that
   * settles once `out` is filled; the batch's arrays are read before it returns either way.
   */
  render(batch: ViewBatch, count: number, out: Uint8Array, offset = 0): void | Promise<void> {
    if (count === 0) return;
    if (this.builtFor.views !== batch.viewCapacity || this.builtFor.prims !== batch.primCapacity) this.reset(batch);
    // Kernels exist per output size; rounding the batch up to a power of two keeps that to a handful
    // (a compile costs 100-150 ms). Padding views are emptied: no primitives, no tile candidates.
    const padded = roundUpPow2(count);
    for (let v = count; v < padded; v++) {
      batch.views[v * VIEW_STRIDE + 14] = 0;
      batch.tiles.fill(0, v * batch.tileCount * batch.tileStride, (v + 1) * batch.tileCount * batch.tileStride);
    }
    const kernel = this.kernelFor(batch, padded);
    const result = kernel(batch.views, batch.prims, batch.tiles) as Float32Array[][] | Promise<Float32Array[][]>;
    if (result instanceof Promise) return result.then((r) => unpack(r, batch, count, out, offset));
    unpack(result, batch, count, out, offset);
  }

  private reset(batch: ViewBatch): void {
    for (const k of this.kernels.values()) k.destroy();
    this.kernels.clear();
    this.builtFor = { views: batch.viewCapacity, prims: batch.primCapacity };
  }

  private kernelFor(batch: ViewBatch, count: number): IKernelRunShortcut {
    let kernel = this.kernels.get(count);
    if (!kernel) {
      kernel = this.gpu.createKernel(kernelSource(batch), {
        output: [batch.tileSize * batch.tileSize, batch.tileCount, count],
        // f32 outputs (never 8-bit packed) and highp on GL: the packed colour needs 24 exact bits
        precision: 'single',
        tactic: 'precision',
      });
      this.kernels.set(count, kernel);
    }
    return kernel;
  }

  destroy(): void {
    for (const k of this.kernels.values()) k.destroy();
    this.kernels.clear();
    void this.gpu.destroy();
  }
}

function unpack(result: Float32Array[][], batch: ViewBatch, count: number, out: Uint8Array, offset: number): void {
  const W = batch.width,
    H = batch.height,
    TS = batch.tileSize,
    TX = batch.tilesX;
  for (let z = 0; z < count; z++) {
    const layer = result[z]!;
    const base = offset + z * W * H * 3;
    for (let tile = 0; tile < batch.tileCount; tile++) {
      const src = layer[tile]!;
      const col0 = (tile % TX) * TS,
        row0 = Math.floor(tile / TX) * TS;
      const rows = Math.min(TS, H - row0),
        cols = Math.min(TS, W - col0);
      for (let ly = 0; ly < rows; ly++) {
        let o = base + ((row0 + ly) * W + col0) * 3;
        for (let lx = 0; lx < cols; lx++, o += 3) {
          const packed = src[ly * TS + lx]!;
          out[o] = packed / 65536;
          out[o + 1] = (packed / 256) & 255;
          out[o + 2] = packed & 255;
        }
      }
    }
  }
}
