/**
 * Pinhole camera geometry from the calibration a miner receives: `cam_intrinsics` (3×3 K) and
 * `cam_extrinsics` (4×4 world → camera). Their product P = K·E[0:3] maps a world point to homogeneous
 * pixel coordinates; nothing here assumes which way the camera axes point (right- or left-handed,
 * looking along +z or −z), only that P projects onto the delivered image with column = x and row = y.
 *
 * Pixel coordinates follow the published convention (docs/cameras.md): the centre of the pixel in
 * column c, row r sits at (c + PIXEL_CENTRE, r + PIXEL_CENTRE).
 */

export type Vec3 = [number, number, number];

/** Where a pixel's centre lies relative to its integer index, in pixel-coordinate units. */
export const PIXEL_CENTRE = 0;

export interface Ray {
  origin: Vec3;
  /** Unit direction, pointing into the scene. */
  dir: Vec3;
}

function invert3(m: readonly number[]): number[] {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const A = e * i - f * h,
    B = -(d * i - f * g),
    C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('camera calibration is singular');
  const s = 1 / det;
  return [A * s, -(b * i - c * h) * s, (b * f - c * e) * s, B * s, (a * i - c * g) * s, -(a * f - c * d) * s, C * s, -(a * h - b * g) * s, (a * e - b * d) * s];
}

function checkMatrix(rows: readonly (readonly number[])[] | undefined, n: number, m: number, what: string): void {
  if (!rows || rows.length < n || rows.slice(0, n).some((r) => !r || r.length < m || r.slice(0, m).some((v) => !Number.isFinite(v)))) {
    throw new Error(`${what} must be a ${n}×${m} matrix of finite numbers`);
  }
}

export class CameraModel {
  /** P = K·E[0:3], row-major 3×4. */
  readonly P: Float64Array;
  readonly centre: Vec3;
  private readonly Minv: number[];
  /** Unit direction of the optical axis (into the scene). */
  readonly axis: Vec3;
  /** Focal length in pixels (pixels per unit of tangent at the image centre). */
  readonly focalPx: number;
  /** +1 or −1: the sign of P's third row for points in front of the camera. */
  private readonly front: number;

  constructor(
    intrinsics: readonly (readonly number[])[],
    extrinsics: readonly (readonly number[])[],
    readonly width: number,
    readonly height: number,
  ) {
    checkMatrix(intrinsics, 3, 3, 'cam_intrinsics');
    checkMatrix(extrinsics, 3, 4, 'cam_extrinsics');
    const P = new Float64Array(12);
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += intrinsics[r]![k]! * extrinsics[k]![c]!;
        P[4 * r + c] = s;
      }
    }
    this.P = P;
    const M = [P[0]!, P[1]!, P[2]!, P[4]!, P[5]!, P[6]!, P[8]!, P[9]!, P[10]!];
    this.Minv = invert3(M);
    const p4 = [P[3]!, P[7]!, P[11]!];
    const mi = this.Minv;
    this.centre = [0, 1, 2].map((i) => -(mi[3 * i]! * p4[0]! + mi[3 * i + 1]! * p4[1]! + mi[3 * i + 2]! * p4[2]!)) as Vec3;
    // The principal ray (through the image centre) points into the scene: use it to fix the sign.
    const d = this.rawDirection((width - 1) / 2 + PIXEL_CENTRE, (height - 1) / 2 + PIXEL_CENTRE);
    const probe: Vec3 = [this.centre[0] + d[0], this.centre[1] + d[1], this.centre[2] + d[2]];
    this.front = Math.sign(P[8]! * probe[0] + P[9]! * probe[1] + P[10]! * probe[2] + P[11]!) || 1;
    this.axis = this.ray((width - 1) / 2 + PIXEL_CENTRE, (height - 1) / 2 + PIXEL_CENTRE).dir;
    this.focalPx = 1 / this.pixelSizeAt(1);
  }

  /** Distance of a point in front of the camera along the optical axis (negative behind). */
  depthOf(p: readonly number[]): number {
    const a = this.axis,
      c = this.centre;
    return (p[0]! - c[0]) * a[0] + (p[1]! - c[1]) * a[1] + (p[2]! - c[2]) * a[2];
  }

  /** World point → pixel coordinates [x (column), y (row), depth]; depth ≤ 0 means behind the camera. */
  project(p: readonly number[]): [number, number, number] {
    const P = this.P;
    const x = P[0]! * p[0]! + P[1]! * p[1]! + P[2]! * p[2]! + P[3]!;
    const y = P[4]! * p[0]! + P[5]! * p[1]! + P[6]! * p[2]! + P[7]!;
    const w = P[8]! * p[0]! + P[9]! * p[1]! + P[10]! * p[2]! + P[11]!;
    return [x / w, y / w, w * this.front];
  }

  /** The ray through pixel coordinates (x, y). */
  ray(x: number, y: number): Ray {
    const d = this.rawDirection(x, y);
    // rawDirection is defined up to sign: make it point to where P says "in front".
    const P = this.P;
    const ahead = (P[8]! * d[0] + P[9]! * d[1] + P[10]! * d[2]) * this.front;
    const s = (ahead >= 0 ? 1 : -1) / Math.hypot(d[0], d[1], d[2]);
    return { origin: [...this.centre], dir: [d[0] * s, d[1] * s, d[2] * s] };
  }

  /** The ray through the centre of pixel (col, row). */
  pixelRay(col: number, row: number): Ray {
    return this.ray(col + PIXEL_CENTRE, row + PIXEL_CENTRE);
  }

  private pixelDirections: Float64Array | undefined;

  /** Unit ray directions through every pixel centre, 3 per pixel in row-major order (computed once). */
  directions(): Float64Array {
    if (!this.pixelDirections) {
      const dirs = new Float64Array(3 * this.width * this.height);
      const m = this.Minv;
      // The sign that makes a direction point into the scene is the same for every pixel.
      const probe = this.rawDirection(this.width / 2, this.height / 2);
      const P = this.P;
      const sign = (P[8]! * probe[0] + P[9]! * probe[1] + P[10]! * probe[2]) * this.front >= 0 ? 1 : -1;
      for (let row = 0, i = 0; row < this.height; row++) {
        const y = row + PIXEL_CENTRE;
        for (let col = 0; col < this.width; col++, i += 3) {
          const x = col + PIXEL_CENTRE;
          const dx = m[0]! * x + m[1]! * y + m[2]!,
            dy = m[3]! * x + m[4]! * y + m[5]!,
            dz = m[6]! * x + m[7]! * y + m[8]!;
          const s = sign / Math.hypot(dx, dy, dz);
          dirs[i] = dx * s;
          dirs[i + 1] = dy * s;
          dirs[i + 2] = dz * s;
        }
      }
      this.pixelDirections = dirs;
    }
    return this.pixelDirections;
  }

  /** Metres per pixel at distance `depth` (for sizing blobs). */
  pixelSizeAt(depth: number): number {
    const a = this.ray(this.width / 2, this.height / 2).dir;
    const b = this.ray(this.width / 2 + 1, this.height / 2).dir;
    return depth * Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
  }

  private rawDirection(x: number, y: number): Vec3 {
    const m = this.Minv;
    return [m[0]! * x + m[1]! * y + m[2]!, m[3]! * x + m[4]! * y + m[5]!, m[6]! * x + m[7]! * y + m[8]!];
  }
}

/** The point where a ray meets the horizontal plane z = h, or undefined if it runs away from it. */
export function intersectHorizontal(ray: Ray, h: number): Vec3 | undefined {
  if (Math.abs(ray.dir[2]) < 1e-9) return undefined;
  const t = (h - ray.origin[2]) / ray.dir[2];
  if (t <= 0) return undefined;
  return [ray.origin[0] + t * ray.dir[0], ray.origin[1] + t * ray.dir[1], h];
}

/**
 * The point closest (least squares, optional weights) to all rays: solves Σ wᵢ(I − dᵢdᵢᵀ)x = Σ wᵢ(I − dᵢdᵢᵀ)oᵢ.
 * Undefined when the rays are (nearly) parallel.
 */
export function triangulate(rays: readonly Ray[], weights?: readonly number[]): Vec3 | undefined {
  const A = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const b = [0, 0, 0];
  rays.forEach((r, k) => {
    const w = weights?.[k] ?? 1;
    const d = r.dir;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const m = w * ((i === j ? 1 : 0) - d[i]! * d[j]!);
        A[3 * i + j]! += m;
        b[i]! += m * r.origin[j]!;
      }
    }
  });
  let inv: number[];
  try {
    inv = invert3(A);
  } catch {
    return undefined;
  }
  return [0, 1, 2].map((i) => inv[3 * i]! * b[0]! + inv[3 * i + 1]! * b[1]! + inv[3 * i + 2]! * b[2]!) as Vec3;
}

/**
 * Least-squares point on a known horizontal plane z = h seen along several rays: minimizes the summed
 * squared distances from the rays to a point constrained to that plane (better conditioned than
 * triangulating in 3-D when the height is known).
 */
export function triangulateOnPlane(rays: readonly Ray[], h: number, weights?: readonly number[]): Vec3 | undefined {
  // Unknowns x, y; each ray contributes (I − ddᵀ)(p − o) with p = (x, y, h).
  let a00 = 0,
    a01 = 0,
    a11 = 0,
    b0 = 0,
    b1 = 0;
  rays.forEach((r, k) => {
    const w = weights?.[k] ?? 1;
    const d = r.dir;
    const Q = (i: number, j: number) => (i === j ? 1 : 0) - d[i]! * d[j]!;
    // residual = Q·(p − o) = Q[:,0]x + Q[:,1]y + Q[:,2]h − Q·o
    const c = [0, 1, 2].map((i) => Q(i, 2) * h - (Q(i, 0) * r.origin[0] + Q(i, 1) * r.origin[1] + Q(i, 2) * r.origin[2]));
    for (let i = 0; i < 3; i++) {
      const qx = Q(i, 0),
        qy = Q(i, 1);
      a00 += w * qx * qx;
      a01 += w * qx * qy;
      a11 += w * qy * qy;
      b0 -= w * qx * c[i]!;
      b1 -= w * qy * c[i]!;
    }
  });
  const det = a00 * a11 - a01 * a01;
  if (Math.abs(det) < 1e-12) return undefined;
  return [(b0 * a11 - b1 * a01) / det, (a00 * b1 - a01 * b0) / det, h];
}
