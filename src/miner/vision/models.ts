/**
 * What the vision policy knows about the scenes in advance: the shapes and colours of the task
 * objects (published with the environments in data/scenes), the height each one stands at, and the
 * offsets from an object's frame to the point its task is judged on. Positions are what it must find
 * in the images. A test checks these shapes against the scene files, so a scene edit cannot silently
 * break the policy.
 */
import type { Vec3 } from './camera.ts';
import type { ObjectModel } from './fit.ts';

const box = (centre: Vec3, half: Vec3) => ({ kind: 'box' as const, centre, half });
const cylinder = (centre: Vec3, radius: number, halfLength: number, axis: 0 | 1 | 2) => ({ kind: 'cylinder' as const, centre, radius, halfLength, axis });
const sphere = (centre: Vec3, radius: number) => ({ kind: 'sphere' as const, centre, radius });

/** The 4 cm puck; frame at its centre, which rests at z = PUCK_Z. */
export const PUCK: ObjectModel = { name: 'puck', primitives: [cylinder([0, 0, 0], 0.02, 0.02, 2)] };
export const PUCK_Z = 0.02;

/** Goal markers (reach, push, pick-place): 2 cm spheres; the frame is the goal point. */
export const GOAL_MARKER: ObjectModel = { name: 'goal', primitives: [sphere([0, 0, 0], 0.02)] };

/** The peg lying along x; frame at its centre, which rests at z = PEG_Z. */
export const PEG: ObjectModel = { name: 'peg', primitives: [box([0, 0, 0], [0.12, 0.015, 0.015])] };
export const PEG_Z = 0.015;
/** The peg's grasp point (the task's observed point) and head, from the peg frame. */
export const PEG_GRASP_OFFSET: Vec3 = [0.03, 0, 0.01];

/** The block with the hole; frame on the table under its centre (z = 0). */
export const HOLE_BLOCK: ObjectModel = {
  name: 'hole block',
  primitives: [
    box([0, 0, 0.05], [0.096, 0.09, 0.05]),
    box([0, -0.06, 0.13], [0.096, 0.03, 0.03]),
    box([0, 0.06, 0.13], [0.096, 0.03, 0.03]),
    box([0, 0, 0.175], [0.096, 0.09, 0.015]),
    box([0, 0, 0.195], [0.1, 0.09, 0.005]),
    box([0, -0.095, 0.1], [0.1, 0.005, 0.1]),
    box([0, 0.095, 0.1], [0.1, 0.005, 0.1]),
  ],
};
/** The insertion target from the block frame (6.6 cm inside the mouth, on the hole axis). */
export const HOLE_TARGET_OFFSET: Vec3 = [0.03, 0, 0.13];

/** The button's frame (four yellow slabs around a vertical hole); frame at the box origin, z = BUTTON_BOX_Z. */
export const BUTTON_FRAME: ObjectModel = {
  name: 'button frame',
  primitives: [
    box([0, -0.072, -0.012], [0.12, 0.048, 0.102]),
    box([0, 0.072, -0.012], [0.12, 0.048, 0.102]),
    box([-0.073, 0, -0.012], [0.047, 0.024, 0.102]),
    box([0.073, 0, -0.012], [0.047, 0.024, 0.102]),
  ],
};
export const BUTTON_BOX_Z = 0.115;
/** The button cap's top at rest, from the box origin. */
export const BUTTON_TOP_OFFSET: Vec3 = [0, 0, 0.193];

/** The drawer cabinet; frame at the `drawer` body (on the table; only its x varies, y = DRAWER_Y). */
export const DRAWER_CASE: ObjectModel = {
  name: 'drawer cabinet',
  primitives: [
    box([-0.11, 0, 0.084], [0.008, 0.1, 0.084]),
    box([0.11, 0, 0.084], [0.008, 0.1, 0.084]),
    box([0, 0.092, 0.076], [0.102, 0.008, 0.076]),
    box([0, -0.008, 0.014], [0.102, 0.092, 0.014]),
    box([0, 0, 0.16], [0.102, 0.1, 0.008]),
  ],
};
export const DRAWER_Y = 0.9;
/** The sliding drawer (green); frame at the `drawer` body too, shifted along y by the slide. */
export const DRAWER_BOX: ObjectModel = {
  name: 'drawer',
  primitives: [
    box([0, -0.092, 0.098], [0.1, 0.008, 0.052]),
    box([0, 0.072, 0.098], [0.1, 0.008, 0.052]),
    box([-0.092, -0.01, 0.098], [0.008, 0.074, 0.052]),
    box([0.092, -0.01, 0.098], [0.008, 0.074, 0.052]),
    box([0, -0.01, 0.038], [0.1, 0.09, 0.008]),
  ],
};
/** The drawer's observed point (1 cm in front of the grip bar) from the drawer body, slide closed. */
export const DRAWER_POINT_OFFSET: Vec3 = [0, -0.17, 0.09];

/** The door handle in the door leaf's frame (origin on the hinge axis, at the safe's mid-height). */
export const DOOR_HANDLE: ObjectModel = {
  name: 'door handle',
  primitives: [
    cylinder([0.325, -0.006, 0], 0.028, 0.012, 1),
    cylinder([0.325, -0.065, 0], 0.013, 0.047, 1),
    cylinder([0.381, -0.12, 0], 0.019, 0.075, 0),
    cylinder([0.395, -0.12, 0], 0.023, 0.054, 0),
  ],
};
/** Hinge axis from the safe's centre (`door` body); the safe's centre is at z = DOOR_Z. */
export const HINGE_FROM_DOOR: Vec3 = [-0.185, -0.1, 0];
export const DOOR_Z = 0.15;
/** The door task's observed handle point in the leaf frame. */
export const HANDLE_POINT_IN_LEAF: Vec3 = [0.3757, -0.1071, 0];

// Outlines: one box per fixture, for fitting. A silhouette is all a camera sees of these shapes (the
// openings show their own colour or an occluder), and one box is several times cheaper to test.

/** The hole block's outer box. */
export const HOLE_BLOCK_OUTLINE: ObjectModel = { name: 'hole block outline', primitives: [box([0, 0, 0.1], [0.1, 0.1, 0.1])] };
/** The button frame's outer box (the hole in the middle holds the button). */
export const BUTTON_FRAME_OUTLINE: ObjectModel = { name: 'button frame outline', primitives: [box([0, 0, -0.012], [0.12, 0.12, 0.102])] };
/** The drawer cabinet's outer box (its open front shows the drawer). */
export const DRAWER_CASE_OUTLINE: ObjectModel = { name: 'drawer cabinet outline', primitives: [box([0, 0, 0.084], [0.118, 0.1, 0.084])] };
