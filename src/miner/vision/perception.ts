/**
 * Finding the task objects in a frame. Each locator makes a cheap first guess (the centroid of the
 * object's colour pixels inside the region where the object can be, triangulated from both views)
 * and refines it by fitting the object's known shape to its silhouettes (fit.ts), searching only the
 * pose parameters that are unknown (e.g. x and y for objects standing on the table).
 *
 * Accuracy measured over 30 random tasks per environment at 84×84 (docs/miner-guide.md): 1–3 mm for
 * the large fixtures, 3–5 mm for the puck and goal markers.
 */
import { intersectHorizontal, triangulate, triangulateOnPlane, type Ray, type Vec3 } from './camera.ts';
import { fitPose, modelBounds, type FitClasses, type ObjectModel, type Pose, type View } from './fit.ts';
import type { Frame } from './frame.ts';
import * as M from './models.ts';
import { ColourClass as C, findBlobs, type Blob } from './segment.ts';

export type Box3 = [Vec3, Vec3];

function clampToBox(p: Vec3, box: Box3): Vec3 {
  return [0, 1, 2].map((k) => Math.min(box[1][k]!, Math.max(box[0][k]!, p[k]!))) as Vec3;
}

/** True if the ray passes through the axis-aligned box. */
function rayHitsBox(o: Vec3, d0: number, d1: number, d2: number, box: Box3): boolean {
  let tn = 0,
    tf = Infinity;
  const d = [d0, d1, d2];
  for (let k = 0; k < 3; k++) {
    const dk = d[k]!;
    if (Math.abs(dk) < 1e-12) {
      if (o[k]! < box[0][k]! || o[k]! > box[1][k]!) return false;
      continue;
    }
    let t1 = (box[0][k]! - o[k]!) / dk,
      t2 = (box[1][k]! - o[k]!) / dk;
    if (t1 > t2) [t1, t2] = [t2, t1];
    tn = Math.max(tn, t1);
    tf = Math.min(tf, t2);
    if (tn > tf) return false;
  }
  return true;
}

/** Per view: the ray through the centroid of the target pixels whose rays cross `region`. */
function centroidRays(views: readonly View[], target: readonly number[], region: Box3): { rays: Ray[]; counts: number[] } {
  const rays: Ray[] = [];
  const counts: number[] = [];
  for (const v of views) {
    const dirs = v.camera.directions();
    const o = v.camera.centre;
    let sc = 0,
      sr = 0,
      n = 0;
    for (let p = 0; p < v.labels.length; p++) {
      if (!target.includes(v.labels[p]!)) continue;
      if (!rayHitsBox(o, dirs[3 * p]!, dirs[3 * p + 1]!, dirs[3 * p + 2]!, region)) continue;
      const row = (p / v.width) | 0;
      sc += p - row * v.width;
      sr += row;
      n++;
    }
    if (n > 0) {
      rays.push(v.camera.pixelRay(sc / n, sr / n));
      counts.push(n);
    }
  }
  return { rays, counts };
}

/** A first guess from colour centroids: on the plane z = `planeZ` when given, else in 3-D. */
function centroidGuess(frame: Frame, target: readonly number[], region: Box3, planeZ?: number): Vec3 | undefined {
  const { rays } = centroidRays(frame.views, target, region);
  if (rays.length === 0) return undefined;
  let p: Vec3 | undefined;
  if (planeZ !== undefined) p = rays.length >= 2 ? triangulateOnPlane(rays, planeZ) : intersectHorizontal(rays[0]!, planeZ);
  else if (rays.length >= 2) p = triangulate(rays);
  return p ? clampToBox(p, region) : undefined;
}

interface LocateSpec {
  model: ObjectModel;
  classes: FitClasses;
  /** Where the object's frame can be. */
  region: Box3;
  /** Fixed frame height (objects resting on the table); free in 3-D when undefined. */
  z?: number;
  /** Search half-width around the first guess (default 3 cm). */
  range?: number;
  yaw?: number;
  /** Least number of explained target pixels to trust the result (default 3). */
  minExplained?: number;
}

/** First guess plus silhouette fit. Undefined when the object is not seen. */
function locate(frame: Frame, spec: LocateSpec, guess?: Vec3): Vec3 | undefined {
  // Every pixel of the object passes through the region swept by the object's own bounds.
  const [lo, hi] = modelBounds(spec.model);
  const z0 = spec.z ?? spec.region[0][2],
    z1 = spec.z ?? spec.region[1][2];
  const regionForGuess: Box3 = [
    [spec.region[0][0] + lo[0], spec.region[0][1] + lo[1], z0 + lo[2]],
    [spec.region[1][0] + hi[0], spec.region[1][1] + hi[1], z1 + hi[2]],
  ];
  const first = guess ?? centroidGuess(frame, spec.classes.target, regionForGuess, spec.z);
  if (!first) return undefined;
  const r = spec.range ?? 0.03;
  const init: Pose = { x: first[0], y: first[1], z: spec.z ?? first[2], yaw: spec.yaw ?? 0 };
  const range = spec.z === undefined ? { x: r, y: r, z: r } : { x: r, y: r };
  const limits = {
    x: [spec.region[0][0], spec.region[1][0]] as [number, number],
    y: [spec.region[0][1], spec.region[1][1]] as [number, number],
    z: [spec.region[0][2], spec.region[1][2]] as [number, number],
  };
  const fit = fitPose(frame.views, spec.model, spec.classes, { init, range, limits, resolution: { x: 0.001, y: 0.001, z: 0.001 } });
  if (!fit || fit.explained < (spec.minExplained ?? 3)) return undefined;
  return [fit.pose.x, fit.pose.y, fit.pose.z];
}

// ---------- goal markers ----------

/** Where goal markers can be (MetaWorld's goal boxes, with a margin). */
const AIR_GOAL_REGION: Box3 = [
  [-0.14, 0.76, 0.03],
  [0.14, 0.94, 0.33],
];
const TABLE_GOAL_REGION: Box3 = [
  [-0.14, 0.76, 0.0],
  [0.14, 0.94, 0.04],
];

export function locateReachGoal(frame: Frame): Vec3 | undefined {
  return locate(frame, { model: M.GOAL_MARKER, classes: { target: [C.Orange], against: [C.Table] }, region: AIR_GOAL_REGION, range: 0.015, minExplained: 1 });
}

export function locatePickGoal(frame: Frame): Vec3 | undefined {
  return locate(frame, { model: M.GOAL_MARKER, classes: { target: [C.Blue], against: [C.Table] }, region: AIR_GOAL_REGION, range: 0.015, minExplained: 1 });
}

export function locatePushGoal(frame: Frame): Vec3 | undefined {
  const p = locate(frame, {
    model: M.GOAL_MARKER,
    classes: { target: [C.Green], against: [C.Table] },
    region: TABLE_GOAL_REGION,
    z: M.PUCK_Z,
    range: 0.015,
    minExplained: 1,
  });
  return p;
}

// ---------- the puck ----------

/** Where a puck resting on the table can be (anywhere it could be pushed to within reach). */
const PUCK_REGION: Box3 = [
  [-0.45, 0.42, 0],
  [0.45, 0.97, 0.045],
];
/** The largest blob a puck makes at 84×84 (the arm's pieces are larger). */
const PUCK_MAX_AREA = 40;

/**
 * The puck on the table. The arm is the same red, so candidates are small red blobs whose rays cross
 * the table-level region, paired across the two views: a true pair triangulates to a point at puck
 * height with nearly intersecting rays.
 */
export function locatePuck(frame: Frame, near?: Vec3): Vec3 | undefined {
  const candidates: { view: View; blob: Blob; ray: Ray; onTable: Vec3 }[][] = frame.views.map((view) => {
    const out: { view: View; blob: Blob; ray: Ray; onTable: Vec3 }[] = [];
    for (const blob of findBlobs(view.labels, view.width, view.height, C.Red)) {
      if (blob.area > PUCK_MAX_AREA) continue;
      const ray = view.camera.pixelRay(blob.cx, blob.cy);
      const onTable = intersectHorizontal(ray, M.PUCK_Z);
      if (!onTable || onTable[0] < PUCK_REGION[0][0] || onTable[0] > PUCK_REGION[1][0] || onTable[1] < PUCK_REGION[0][1] || onTable[1] > PUCK_REGION[1][1])
        continue;
      out.push({ view, blob, ray, onTable });
    }
    return out;
  });
  let guess: Vec3 | undefined;
  if (candidates.length >= 2) {
    let bestCost = Infinity;
    for (const a of candidates[0]!) {
      for (const b of candidates[1]!) {
        const p = triangulateOnPlane([a.ray, b.ray], M.PUCK_Z);
        const q = triangulate([a.ray, b.ray]);
        if (!p || !q) continue;
        // Off-plane height and ray miss distance both say "not the same object".
        const cost = Math.abs(q[2] - M.PUCK_Z) + Math.hypot(p[0] - q[0], p[1] - q[1]) + (near ? 0.2 * Math.hypot(p[0] - near[0], p[1] - near[1]) : 0);
        if (Math.abs(q[2] - M.PUCK_Z) < 0.05 && cost < bestCost) {
          bestCost = cost;
          guess = p;
        }
      }
    }
  }
  if (!guess) {
    // Seen in one view only: take the candidate nearest the hint (or the largest).
    const single = candidates
      .flat()
      .sort((a, b) =>
        near
          ? Math.hypot(a.onTable[0] - near[0], a.onTable[1] - near[1]) - Math.hypot(b.onTable[0] - near[0], b.onTable[1] - near[1])
          : b.blob.area - a.blob.area,
      )[0];
    if (!single) return undefined;
    guess = single.onTable;
  }
  return locate(
    frame,
    { model: M.PUCK, classes: { target: [C.Red], against: [C.Table] }, region: PUCK_REGION, z: M.PUCK_Z, range: 0.02, minExplained: 1 },
    clampToBox(guess, PUCK_REGION),
  );
}

// ---------- peg and hole block ----------

const PEG_REGION: Box3 = [
  [-0.25, 0.4, M.PEG_Z],
  [0.35, 0.85, M.PEG_Z],
];
const HOLE_BLOCK_REGION: Box3 = [
  [-0.37, 0.38, 0],
  [-0.23, 0.72, 0],
];

/** The peg's centre while it lies on the table. */
export function locatePeg(frame: Frame): Vec3 | undefined {
  return locate(frame, {
    model: M.PEG,
    classes: { target: [C.Green], against: [C.Table, C.Brick] },
    region: PEG_REGION,
    z: M.PEG_Z,
    range: 0.03,
    minExplained: 4,
  });
}

export function locateHoleBlock(frame: Frame): Vec3 | undefined {
  return locate(frame, {
    model: M.HOLE_BLOCK_OUTLINE,
    classes: { target: [C.Brick], against: [C.Table, C.Green] },
    region: HOLE_BLOCK_REGION,
    z: 0,
    range: 0.04,
    minExplained: 20,
  });
}

// ---------- button ----------

const BUTTON_REGION: Box3 = [
  [-0.14, 0.77, M.BUTTON_BOX_Z],
  [0.14, 0.93, M.BUTTON_BOX_Z],
];

/** The button box origin (the button sits in the middle of the yellow frame). */
export function locateButton(frame: Frame): Vec3 | undefined {
  return locate(frame, {
    model: M.BUTTON_FRAME_OUTLINE,
    classes: { target: [C.Yellow], against: [C.Table] },
    region: BUTTON_REGION,
    z: M.BUTTON_BOX_Z,
    range: 0.04,
    minExplained: 20,
  });
}

// ---------- drawer ----------

/** The drawer body's x (its y and z are fixed). */
export function locateDrawer(frame: Frame): number | undefined {
  const guess = centroidGuess(
    frame,
    [C.Beige],
    [
      [-0.25, 0.75, 0],
      [0.25, 1.0, 0.17],
    ],
  );
  const init: Pose = { x: guess ? Math.min(0.13, Math.max(-0.13, guess[0])) : 0, y: M.DRAWER_Y, z: 0, yaw: 0 };
  const fit = fitPose(
    frame.views,
    M.DRAWER_CASE_OUTLINE,
    { target: [C.Beige], against: [C.Table] },
    { init, range: { x: 0.05 }, limits: { x: [-0.13, 0.13] } },
  );
  return fit && fit.explained >= 20 ? fit.pose.x : undefined;
}

/** The drawer's slide (0 closed, negative = pulled out toward the robot) given the drawer's x. */
export function drawerSlide(frame: Frame, drawerX: number): number | undefined {
  const init: Pose = { x: drawerX, y: M.DRAWER_Y - 0.09, z: 0, yaw: 0 };
  const fit = fitPose(
    frame.views,
    M.DRAWER_BOX,
    { target: [C.DullGreen], against: [C.Table] },
    { init, range: { y: 0.11 }, limits: { y: [M.DRAWER_Y - 0.21, M.DRAWER_Y + 0.02] }, resolution: { y: 0.002 } },
  );
  return fit && fit.explained >= 8 ? fit.pose.y - M.DRAWER_Y : undefined;
}

// ---------- door ----------

/** Hinge axis positions (x, y) the door's range allows, at the safe's mid-height. */
const HINGE_REGION: Box3 = [
  [0 + M.HINGE_FROM_DOOR[0] - 0.01, 0.85 + M.HINGE_FROM_DOOR[1] - 0.01, M.DOOR_Z],
  [0.1 + M.HINGE_FROM_DOOR[0] + 0.01, 0.95 + M.HINGE_FROM_DOOR[1] + 0.01, M.DOOR_Z],
];

/** The hinge position, assuming the door is closed (the start of an episode). */
export function locateDoorHinge(frame: Frame): Vec3 | undefined {
  // The handle's colour centroid sits ≈ (0.37, −0.08) from the hinge when the door is closed.
  const centroid = centroidGuess(
    frame,
    [C.Yellow],
    [
      [-0.2, 0.5, 0.1],
      [0.4, 1.0, 0.2],
    ],
    M.DOOR_Z,
  );
  const guess: Vec3 = centroid ? clampToBox([centroid[0] - 0.37, centroid[1] + 0.08, M.DOOR_Z], HINGE_REGION) : [-0.135, 0.8, M.DOOR_Z];
  const fit = fitPose(
    frame.views,
    M.DOOR_HANDLE,
    { target: [C.Yellow], against: [C.Table] },
    {
      init: { x: guess[0], y: guess[1], z: M.DOOR_Z, yaw: 0 },
      range: { x: 0.03, y: 0.03 },
      limits: { x: [HINGE_REGION[0][0], HINGE_REGION[1][0]], y: [HINGE_REGION[0][1], HINGE_REGION[1][1]] },
    },
  );
  return fit && fit.explained >= 3 ? [fit.pose.x, fit.pose.y, M.DOOR_Z] : undefined;
}

/**
 * The door's opening angle (0 closed, negative = open toward the robot) given the hinge, searched
 * within ±`halfRange` of `around`.
 */
export function doorAngle(frame: Frame, hinge: Vec3, around = -1, halfRange = 1.1): number | undefined {
  const fit = fitPose(
    frame.views,
    M.DOOR_HANDLE,
    { target: [C.Yellow], against: [C.Table] },
    {
      init: { x: hinge[0], y: hinge[1], z: M.DOOR_Z, yaw: Math.min(0.05, Math.max(-2.1, around)) },
      range: { yaw: halfRange },
      limits: { yaw: [-2.1, 0.05] },
      resolution: { yaw: Math.PI / 180 },
    },
  );
  return fit && fit.explained >= 2 ? fit.pose.yaw : undefined;
}

/** The handle point the door task tracks, for a hinge and an angle. */
export function handlePoint(hinge: Vec3, angle: number): Vec3 {
  const [px, py] = M.HANDLE_POINT_IN_LEAF;
  const c = Math.cos(angle),
    s = Math.sin(angle);
  return [hinge[0] + c * px - s * py, hinge[1] + s * px + c * py, hinge[2]];
}
