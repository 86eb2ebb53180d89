/**
 * Camera geometry helpers for the calibration in each observation.
 *
 * Conventions (the validator's renderer):
 *   - Images are H×W×3 uint8, row 0 first. Pixel centres are at integer coordinates: the pixel in
 *     column c, row r is the point (c, r).
 *   - `cam_extrinsics[name]` E is the 4×4 world → camera transform. The camera frame has x toward
 *     increasing column, y toward increasing row and z forward along the optical axis. (The delivered
 *     images are mirror images of a right-handed camera's, like the original's vertically flipped
 *     renders, so this frame is left-handed: det(E[:3,:3]) = −1. Nothing below depends on that.)
 *   - `cam_intrinsics[name]` K is the usual 3×3 pinhole matrix: column = K[0][0]·x/z + K[0][2],
 *     row = K[1][1]·y/z + K[1][2].
 * World frame: metres, z up, the table top at z = 0, the robot base at the origin.
 */

export type Vec3 = [number, number, number];

export interface Ray {
  origin: Vec3;
  /** Unit direction into the scene. */
  dir: Vec3;
}

/** World point → [column, row, depth]; depth ≤ 0 means the point is behind the camera. */
export function projectPoint(K: number[][], E: number[][], p: Vec3): [number, number, number] {
  const [x, y, z] = [0, 1, 2].map((i) => E[i]![0]! * p[0] + E[i]![1]! * p[1] + E[i]![2]! * p[2] + E[i]![3]!) as Vec3;
  return [K[0]![0]! * (x / z) + K[0]![1]! * (y / z) + K[0]![2]!, K[1]![1]! * (y / z) + K[1]![2]!, z];
}

/** The ray from the camera through pixel coordinates (column, row). */
export function pixelRay(K: number[][], E: number[][], column: number, row: number): Ray {
  // Camera-frame direction, then back to the world with Rᵀ (R = E[:3,:3] is orthogonal).
  const y = (row - K[1]![2]!) / K[1]![1]!;
  const x = (column - K[0]![2]! - K[0]![1]! * y) / K[0]![0]!;
  const d: Vec3 = [0, 1, 2].map((j) => E[0]![j]! * x + E[1]![j]! * y + E[2]![j]! * 1) as Vec3;
  const n = Math.hypot(d[0], d[1], d[2]);
  const t = [E[0]![3]!, E[1]![3]!, E[2]![3]!];
  const origin = [0, 1, 2].map((j) => -(E[0]![j]! * t[0]! + E[1]![j]! * t[1]! + E[2]![j]! * t[2]!)) as Vec3;
  return { origin, dir: [d[0] / n, d[1] / n, d[2] / n] };
}

/** The point closest (least squares) to two or more rays, e.g. one object's pixel in each camera. */
export function triangulate(rays: Ray[]): Vec3 | undefined {
  const A = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const b = [0, 0, 0];
  for (const r of rays) {
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const m = (i === j ? 1 : 0) - r.dir[i]! * r.dir[j]!;
        A[3 * i + j]! += m;
        b[i]! += m * r.origin[j]!;
      }
    }
  }
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = A as [number, number, number, number, number, number, number, number, number];
  const det = a0 * (a4 * a8 - a5 * a7) - a1 * (a3 * a8 - a5 * a6) + a2 * (a3 * a7 - a4 * a6);
  if (Math.abs(det) < 1e-12) return undefined;
  const inv = [
    a4 * a8 - a5 * a7, a2 * a7 - a1 * a8, a1 * a5 - a2 * a4,
    a5 * a6 - a3 * a8, a0 * a8 - a2 * a6, a2 * a3 - a0 * a5,
    a3 * a7 - a4 * a6, a1 * a6 - a0 * a7, a0 * a4 - a1 * a3,
  ].map((v) => v / det);
  return [0, 1, 2].map((i) => inv[3 * i]! * b[0]! + inv[3 * i + 1]! * b[1]! + inv[3 * i + 2]! * b[2]!) as Vec3;
}

/** Where a ray meets the horizontal plane z = h (e.g. an object known to rest on the table). */
export function intersectHorizontal(ray: Ray, h: number): Vec3 | undefined {
  if (Math.abs(ray.dir[2]) < 1e-9) return undefined;
  const t = (h - ray.origin[2]) / ray.dir[2];
  return t > 0 ? [ray.origin[0] + t * ray.dir[0], ray.origin[1] + t * ray.dir[1], h] : undefined;
}
