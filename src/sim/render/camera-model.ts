/**
 * Camera matrices for miners, consistent with the images as delivered (see docs/cameras.md).
 *
 * Delivered image: MuJoCo's camera image flipped vertically (what the original sends: gymnasium's
 * upright render, then np.flipud). Row 0 is the top of the picture as a person sees it; pixel
 * (column c, row r) looks along camera-frame (u, v, -1) with u = (2(c+½)/W - 1)·tan(fovx/2),
 * v = (2(r+½)/H - 1)·tan(fovy/2), in MuJoCo's camera frame (x right, y up, z backwards).
 *
 * Extrinsics E (4×4, world → camera): the camera frame is OpenCV-style FOR THE DELIVERED IMAGE:
 * x toward increasing column, y toward increasing row, z forward along the optical axis. Because the
 * delivered image is a mirror image (a vertical flip of a right-handed camera), this frame is
 * left-handed: det(E[:3,:3]) = -1. Intrinsics K are the standard pinhole matrix with pixel centres
 * at integer coordinates, so for a world point p:
 *     [x, y, z] = (E · [p; 1])[:3],  column = K[0][0]·x/z + K[0][2],  row = K[1][1]·y/z + K[1][2].
 * Anyone needing a proper rotation can use diag(1,-1,1,1)·E with K' = K·diag(1,-1,1) (fy < 0).
 */

/** 3×3 pixel intrinsics for a camera of vertical field of view `fovyDeg` rendered at width × height. */
export function cameraIntrinsics(fovyDeg: number, width: number, height: number): number[][] {
  const f = height / 2 / Math.tan((fovyDeg * Math.PI) / 360);
  return [
    [f, 0, (width - 1) / 2],
    [0, f, (height - 1) / 2],
    [0, 0, 1],
  ];
}

/**
 * 4×4 world → camera matrix from MuJoCo's camera position and `cam_xmat` (row-major; its columns are
 * the camera's right, up and backward axes in world coordinates).
 */
export function cameraExtrinsics(pos: ArrayLike<number>, xmat: ArrayLike<number>): number[][] {
  // rows of the rotation: right (xmat column 0), up (column 1), forward (= -column 2)
  const rows = [
    [xmat[0]!, xmat[3]!, xmat[6]!],
    [xmat[1]!, xmat[4]!, xmat[7]!],
    [-xmat[2]!, -xmat[5]!, -xmat[8]!],
  ];
  return [...rows.map((r) => [r[0]!, r[1]!, r[2]!, -(r[0]! * pos[0]! + r[1]! * pos[1]! + r[2]! * pos[2]!)]), [0, 0, 0, 1]];
}

/** Projects a world point with published K and E; returns [column, row, depth] (depth ≤ 0: behind). */
export function projectPoint(K: number[][], E: number[][], p: ArrayLike<number>): [number, number, number] {
  const q = [0, 1, 2].map((i) => E[i]![0]! * p[0]! + E[i]![1]! * p[1]! + E[i]![2]! * p[2]! + E[i]![3]!);
  const [x, y, z] = q as [number, number, number];
  return [K[0]![0]! * (x / z) + K[0]![1]! * (y / z) + K[0]![2]!, K[1]![1]! * (y / z) + K[1]![2]!, z];
}
