/**
 * door-open (cued): find the door whose leaf wears the cue colour, hook its handle with closed fingers
 * and swing it open (docs/envs/door-open.md).
 *
 * Perception, once at the start (the gripper hides doors later, and the target moves once pulled):
 * the three leaves are the only palette-coloured things besides the cue band; each is triangulated
 * from the centroid of all its pixels in each view (a handle in front may split a leaf in two). The
 * line through them gives the cabinet's yaw, their height its plinth, and with three leaves their
 * known 22 cm spacing pins the cabinet's position (with fewer, the target leaf's own position does; a
 * target seen in one view only is put on the other leaves' height along its ray). The handle's hook
 * gap follows from the cabinet's known geometry.
 *
 * Action: as the privileged oracle, but the door's angle is read from the fingertips (they sit in the
 * gap, which turns with the door), and touch corrects a missed hook: fingertips that stop on the leaf's
 * top edge move out, fingertips that stop on the bar move in.
 */
import { DOOR, doorPoint, type DoorLayout } from '../../../sim/cued/door.ts';
import { rotateZ, toLocal, toward, xyDist, type Vec3 } from '../../../sim/cued/geometry.ts';
import { intersectHorizontal, triangulate, type Ray } from '../camera.ts';
import type { Frame } from '../frame.ts';
import { rayMiss, sightings } from './blobs.ts';
import { PALETTE_CLASSES } from './classes.ts';
import { cue, HOLD, type CuedSkill, type EpisodeMemory } from './skill.ts';

/** The leaf's front-face centre in the door frame (what a leaf's blob centroid sees). */
const LEAF_FACE = { u: DOOR.leafWidth / 2, v: 0, z: 0.09 };
/**
 * Measured bias of a leaf's two-view centroid against its front-face centre, in the cabinet frame
 * (along the leaf, into the cabinet, up): the cameras see the leaf's front and one side edge, and the
 * dark handle hides part of the face.
 */
const CENTROID_BIAS: Vec3 = [0.001, 0.009, -0.001];
/** Where leaves can be (generous box around every layout). */
const REGION: [Vec3, Vec3] = [
  [-0.6, 0.45, 0.0],
  [0.6, 1.0, 0.35],
];
const HOOK_Z = DOOR.handle.z - 0.02;
const FINGER = 0.045;

export interface DoorEstimate {
  layout: DoorLayout;
  /** The slot the estimate names the target's door by (its real slot when all three leaves are seen). */
  slot: number;
}

interface Leaf {
  cls: number;
  point: Vec3;
  area: number;
}

/** One view's pixels of a class as a single centroid (a leaf split by a handle in front is still one leaf). */
interface Merged {
  ray: Ray;
  area: number;
}

function mergedSightings(frame: Frame, cls: number): (Merged | undefined)[] {
  return sightings(frame, cls, 2).map((list, i) => {
    let area = 0,
      cx = 0,
      cy = 0;
    for (const s of list) {
      area += s.blob.area;
      cx += s.blob.area * s.blob.cx;
      cy += s.blob.area * s.blob.cy;
    }
    return area > 0 ? { ray: frame.views[i]!.camera.pixelRay(cx / area, cy / area), area } : undefined;
  });
}

const inRegion = (p: Vec3) => [0, 1, 2].every((k) => p[k]! >= REGION[0][k]! && p[k]! <= REGION[1][k]!);

/**
 * The cabinet's pose from one frame, or undefined when fewer than two leaves are seen in both views or
 * the target not at all. Exported for tests.
 */
export function estimateCabinet(frame: Frame, targetCls: number): DoorEstimate | undefined {
  const leaves: Leaf[] = [];
  let targetRays: Merged[] = [];
  for (const cls of PALETTE_CLASSES) {
    const views = mergedSightings(frame, cls).filter((v): v is Merged => v !== undefined && v.area >= 4);
    if (cls === targetCls) targetRays = views;
    if (views.length < 2 || rayMiss(views[0]!.ray, views[1]!.ray) > 0.05) continue;
    const point = triangulate([views[0]!.ray, views[1]!.ray], [views[0]!.area, views[1]!.area]);
    if (point && inRegion(point)) leaves.push({ cls, point, area: views[0]!.area + views[1]!.area });
  }
  // Three candidates: anything beyond the three largest is noise.
  const used = leaves.sort((a, b) => b.area - a.area).slice(0, 3);
  const others = used.filter((l) => l.cls !== targetCls);
  let target = used.find((l) => l.cls === targetCls);
  if (used.length < 2 || (!target && (others.length < 2 || targetRays.length === 0))) return undefined;
  // Yaw: the direction of the row of leaves (least squares through their centroids); the plinth: their height.
  const mx = used.reduce((s, l) => s + l.point[0], 0) / used.length;
  const my = used.reduce((s, l) => s + l.point[1], 0) / used.length;
  let sxx = 0,
    sxy = 0;
  for (const l of used) {
    sxx += (l.point[0] - mx) ** 2;
    sxy += (l.point[0] - mx) * (l.point[1] - my);
  }
  const yaw = Math.min(DOOR.yaw[1], Math.max(DOOR.yaw[0], Math.atan2(sxy, sxx)));
  const faceZ = used.reduce((s, l) => s + l.point[2], 0) / used.length;
  const plinth = Math.min(DOOR.plinth[1], Math.max(DOOR.plinth[0], faceZ - LEAF_FACE.z - CENTROID_BIAS[2]));
  if (!target) {
    // The target seen in one view only (a neighbour's handle or the arm in front of it in the other):
    // its ray meets the leaves' height.
    const best = targetRays.sort((a, b) => b.area - a.area)[0]!;
    const point = intersectHorizontal(best.ray, faceZ);
    if (!point || !inRegion(point)) return undefined;
    target = { cls: targetCls, point, area: best.area };
    used.push(target);
    used.splice(0, used.length, ...used.sort((a, b) => b.area - a.area).slice(0, 3));
  }
  used.sort((a, b) => a.point[0] - b.point[0]);
  // Each leaf says where the cabinet centre is, given its slot: face centre = centre + R(yaw)·(slot offset).
  const faceLocal = (slot: number): Vec3 => [DOOR.hingeX0 + slot * DOOR.pitch + LEAF_FACE.u + CENTROID_BIAS[0], DOOR.hingeY + CENTROID_BIAS[1], 0];
  const centreFrom = (leaf: Leaf, slot: number): [number, number] => {
    const off = rotateZ(faceLocal(slot), yaw);
    return [leaf.point[0] - off[0], leaf.point[1] - off[1]];
  };
  let centre: [number, number];
  let slot: number;
  if (used.length === 3 && used.includes(target)) {
    const fromEach = used.map((l, k) => centreFrom(l, k));
    centre = [fromEach.reduce((s, c) => s + c[0], 0) / 3, fromEach.reduce((s, c) => s + c[1], 0) / 3];
    slot = used.indexOf(target);
  } else {
    // Slots ambiguous: the target's own leaf fixes its door; any slot works as long as the hinge is
    // computed for that same slot.
    slot = 1;
    centre = centreFrom(target, slot);
  }
  return { layout: { x: centre[0], y: centre[1], yaw, plinth }, slot };
}

/** The door's opening angle as the fingertips in its hook gap show it. */
function angleFromTcp(layout: DoorLayout, slot: number, tcp: Vec3): number {
  const local = toLocal([layout.x, layout.y, layout.plinth], layout.yaw, tcp);
  const dx = local[0] - (DOOR.hingeX0 + slot * DOOR.pitch),
    dy = local[1] - DOOR.hingeY;
  return Math.atan2(DOOR.gap.v, DOOR.gap.u) - Math.atan2(dy, dx);
}

interface DoorMemory {
  estimate?: DoorEstimate;
  /** Correction of the hook point across the bar (metres, + toward the leaf), learnt by touch. */
  shift: number;
  /** Fingertip heights of the last steps while descending (stall detection). */
  heights: number[];
  hooked: boolean;
  /** Rising after a missed hook. */
  retreat?: boolean;
}

/** Where the hand goes to look when the leaves are hidden at the start (high, toward the robot). */
const LOOKOUT: Vec3 = [0, 0.45, 0.35];
/** Stall test while descending: over this many steps the fingertips dropped less than STALL_DROP. */
const STALL_STEPS = 4;
const STALL_DROP = 0.0015;

export const doorSkill: CuedSkill = (frame, memory: EpisodeMemory) => {
  const targetCls = cue(frame, memory);
  if (targetCls === undefined) return HOLD;
  const m = ((memory.door as DoorMemory | undefined) ?? (memory.door = { shift: 0, heights: [], hooked: false })) as DoorMemory;
  m.estimate ??= estimateCabinet(frame, targetCls);
  const hand = (p: Vec3): Vec3 => [p[0], p[1], p[2] + FINGER];
  if (!m.estimate) return { move: toward(frame.hand, LOOKOUT, 10), effort: 1 };
  const { layout, slot } = m.estimate;
  const tcp = frame.tcp;
  const gapAt = (angle: number, z: number): Vec3 => doorPoint(layout, slot, angle, { u: DOOR.gap.u, v: DOOR.gap.v + m.shift, z });
  const barZ = layout.plinth + DOOR.handle.z;
  const leafTopZ = layout.plinth + 0.175;

  // Hooked: the fingertips are below the bar, at the gap's distance from the hinge. Pull round it.
  const angle = angleFromTcp(layout, slot, tcp);
  if (m.hooked && tcp[2] > barZ + 0.02) m.hooked = false; // lifted out of the gap: hook again
  if (m.hooked || (tcp[2] < barZ && xyDist(tcp, gapAt(Math.max(0, angle), 0)) < 0.03)) {
    m.hooked = true;
    const goal = gapAt(Math.min(DOOR.maxAngle, Math.max(0, angle) + 0.35), HOOK_Z);
    return { move: toward(frame.hand, hand(goal), 12), effort: 1 };
  }

  const inGap = gapAt(0, HOOK_Z);
  // Above the leaf's top edge with a margin for the estimate's error.
  const clearZ = leafTopZ + 0.03;
  if (m.retreat) {
    // After a missed hook: straight up first, so the fingers do not drag what they landed on.
    if (tcp[2] < clearZ - 0.005) return { move: [0, 0, 1], effort: 1 };
    m.retreat = false;
  }
  if (xyDist(tcp, inGap) < 0.01) {
    // Descending into the gap, slowly, so that a stall shows before the hand winds up. A stall above
    // the bar means the estimate missed; its height tells on what — the leaf's top edge (move out)
    // or the bar (move in).
    m.heights.push(tcp[2]);
    if (m.heights.length > STALL_STEPS) m.heights.shift();
    const stalled = m.heights.length === STALL_STEPS && m.heights[0]! - tcp[2] < STALL_DROP && tcp[2] > barZ - 0.005;
    if (stalled) {
      m.shift += tcp[2] > (barZ + 0.008 + leafTopZ) / 2 ? -0.015 : 0.015;
      m.heights = [];
      m.retreat = true;
      return { move: [0, 0, 1], effort: 1 };
    }
    const move = toward(frame.hand, hand(inGap), 12);
    move[2] = Math.max(move[2], -0.6);
    return { move, effort: 1 };
  }
  m.heights = [];
  const goal: Vec3 = tcp[2] < clearZ - 0.02 && xyDist(tcp, inGap) > 0.03 ? [tcp[0], tcp[1], clearZ] : [inGap[0], inGap[1], clearZ];
  return { move: toward(frame.hand, hand(goal), 12), effort: 1 };
};
