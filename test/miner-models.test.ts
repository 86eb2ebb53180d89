/**
 * The vision policy's built-in knowledge of the scenes (src/miner/vision/models.ts) must match the
 * scene files. This compiles the real scenes and compares every modelled geom's world bounds with the
 * model placed at the object's true pose, so a scene edit that would silently mislead the policy
 * fails here instead.
 */
import test from 'ava';
import type { Primitive, ObjectModel, Pose } from '../src/miner/vision/fit.ts';
import * as M from '../src/miner/vision/models.ts';
import { ManipulationEnv } from '../src/sim/env.ts';
import type { EnvId } from '../src/sim/registry.ts';
import { generateTask } from '../src/sim/tasks.ts';
import { mwInstance } from './helpers/instances.ts';

type Bounds = { centre: number[]; half: number[] };

const GEOM_SPHERE = 2,
  GEOM_CYLINDER = 5,
  GEOM_BOX = 6;

/** World-axis bounds of a MuJoCo geom (box, cylinder or sphere). */
function geomBounds(env: ManipulationEnv, name: string): Bounds {
  const g = env.id('geom', name);
  const type = (env.model.geom_type as Int32Array)[g]!;
  const size = (env.model.geom_size as Float64Array).slice(3 * g, 3 * g + 3);
  const R = (env.data.geom_xmat as Float64Array).slice(9 * g, 9 * g + 9);
  const centre = Array.from((env.data.geom_xpos as Float64Array).slice(3 * g, 3 * g + 3));
  let local: number[];
  if (type === GEOM_BOX) local = [size[0]!, size[1]!, size[2]!];
  else if (type === GEOM_CYLINDER) local = [size[0]!, size[0]!, size[1]!];
  else if (type === GEOM_SPHERE) local = [size[0]!, size[0]!, size[0]!];
  else throw new Error(`geom ${name} has an unmodelled type ${type}`);
  // Half extent along world axis i = Σ_j |R_ij|·local_j (exact for boxes; for a cylinder this is the
  // bound of its enclosing box, which is what the model is compared on as well).
  const half = [0, 1, 2].map((i) => [0, 1, 2].reduce((s, j) => s + Math.abs(R[3 * i + j]!) * local[j]!, 0));
  return { centre, half };
}

function primitiveBounds(p: Primitive, pose: Pose): Bounds {
  const local =
    p.kind === 'box' ? [...p.half] : p.kind === 'sphere' ? [p.radius, p.radius, p.radius] : [0, 1, 2].map((k) => (k === p.axis ? p.halfLength : p.radius));
  const c = Math.cos(pose.yaw),
    s = Math.sin(pose.yaw);
  const centre = [pose.x + c * p.centre[0] - s * p.centre[1], pose.y + s * p.centre[0] + c * p.centre[1], pose.z + p.centre[2]];
  const half = [Math.abs(c) * local[0]! + Math.abs(s) * local[1]!, Math.abs(s) * local[0]! + Math.abs(c) * local[1]!, local[2]!];
  return { centre, half };
}

const close = (a: Bounds, b: Bounds, tol = 1e-3) =>
  [0, 1, 2].every((k) => Math.abs(a.centre[k]! - b.centre[k]!) <= tol && Math.abs(a.half[k]! - b.half[k]!) <= tol);

function union(bounds: Bounds[]): Bounds {
  const lo = [0, 1, 2].map((k) => Math.min(...bounds.map((b) => b.centre[k]! - b.half[k]!)));
  const hi = [0, 1, 2].map((k) => Math.max(...bounds.map((b) => b.centre[k]! + b.half[k]!)));
  return { centre: lo.map((l, k) => (l + hi[k]!) / 2), half: lo.map((l, k) => (hi[k]! - l) / 2) };
}

interface Case {
  envId: EnvId;
  model: ObjectModel;
  geoms: string[];
  pose(env: ManipulationEnv): Pose;
  outline?: ObjectModel;
}

const at = (p: number[], yaw = 0): Pose => ({ x: p[0]!, y: p[1]!, z: p[2]!, yaw });

const CASES: Case[] = [
  { envId: 'metaworld/push-v3', model: M.PUCK, geoms: ['puck'], pose: (e) => at(e.bodyPos('puck')) },
  { envId: 'metaworld/reach-v3', model: M.GOAL_MARKER, geoms: ['goal'], pose: (e) => at(e.privileged().goal) },
  { envId: 'metaworld/peg-insert-v3', model: M.PEG, geoms: ['peg'], pose: (e) => at(e.bodyPos('peg')) },
  {
    envId: 'metaworld/peg-insert-v3',
    model: M.HOLE_BLOCK,
    outline: M.HOLE_BLOCK_OUTLINE,
    geoms: ['hole_box_lower', 'hole_box_cheek_near', 'hole_box_cheek_far', 'hole_box_upper', 'hole_box_top', 'hole_box_side_near', 'hole_box_side_far'],
    pose: (e) => at(e.bodyPos('hole_box')),
  },
  {
    envId: 'metaworld/button-press-v3',
    model: M.BUTTON_FRAME,
    outline: M.BUTTON_FRAME_OUTLINE,
    geoms: ['button_frame_front', 'button_frame_back', 'button_frame_left', 'button_frame_right'],
    pose: (e) => at(e.bodyPos('button_box')),
  },
  {
    envId: 'metaworld/drawer-open-v3',
    model: M.DRAWER_CASE,
    outline: M.DRAWER_CASE_OUTLINE,
    geoms: ['case_left', 'case_right', 'case_back', 'case_bottom', 'case_top'],
    pose: (e) => at(e.bodyPos('drawer')),
  },
  {
    envId: 'metaworld/drawer-close-v3',
    model: M.DRAWER_BOX,
    geoms: ['drawer_front', 'drawer_back', 'drawer_left', 'drawer_right', 'drawer_floor'],
    pose: (e) => {
      const d = e.bodyPos('drawer');
      return at([d[0], d[1] + e.privileged().drawerSlide!, d[2]]);
    },
  },
  {
    envId: 'metaworld/door-open-v3',
    model: M.DOOR_HANDLE,
    geoms: ['door_handle_base', 'door_handle_stem', 'door_handle_bar', 'door_handle_sleeve'],
    pose: (e) => {
      const d = e.bodyPos('door');
      return at([d[0] + M.HINGE_FROM_DOOR[0], d[1] + M.HINGE_FROM_DOOR[1], d[2]], e.privileged().doorAngle);
    },
  },
];

for (const c of CASES) {
  test(`the ${c.model.name} model matches ${c.envId}'s scene`, async (t) => {
    const env = await ManipulationEnv.create(c.envId, { randomization: 'metaworld', images: false });
    try {
      env.reset(generateTask(c.envId, mwInstance(4)));
      const pose = c.pose(env);
      const modelled = c.model.primitives.map((p) => primitiveBounds(p, pose));
      const actual = c.geoms.map((g) => geomBounds(env, g));
      t.is(modelled.length, actual.length, 'one primitive per geom');
      for (const [i, geom] of actual.entries()) {
        t.true(
          modelled.some((m) => close(m, geom)),
          `geom ${c.geoms[i]} (centre ${geom.centre.map((v) => v.toFixed(3))}, half ${geom.half.map((v) => v.toFixed(3))}) has no matching primitive`,
        );
      }
      if (c.outline) {
        const outline = primitiveBounds(c.outline.primitives[0]!, pose);
        t.true(close(outline, union(actual), 0.005), `${c.outline.name} bounds the geoms to within 5 mm`);
      }
    } finally {
      env.close();
    }
  });
}

test('the task points the skills aim at agree with the scene', async (t) => {
  const env = await ManipulationEnv.create('metaworld/peg-insert-v3', { randomization: 'metaworld', images: false });
  try {
    env.reset(generateTask('metaworld/peg-insert-v3', mwInstance(4)));
    const s = env.privileged();
    const peg = env.bodyPos('peg');
    t.true(Math.hypot(...[0, 1, 2].map((k) => peg[k]! + M.PEG_GRASP_OFFSET[k]! - s.object[k]!)) < 1e-3, 'peg grasp point');
    t.true(Math.hypot(...[0, 1, 2].map((k) => s.holeBox![k]! + M.HOLE_TARGET_OFFSET[k]! - s.goal[k]!)) < 1e-3, 'insertion target');
  } finally {
    env.close();
  }
  const button = await ManipulationEnv.create('metaworld/button-press-v3', { randomization: 'metaworld', images: false });
  try {
    button.reset(generateTask('metaworld/button-press-v3', mwInstance(4)));
    const box = button.bodyPos('button_box');
    t.true(Math.abs(box[2] - M.BUTTON_BOX_Z) < 1e-6);
    t.true(Math.abs(box[2] + M.BUTTON_TOP_OFFSET[2] - button.privileged().object[2]) < 2e-3, 'button top at rest');
  } finally {
    button.close();
  }
  const door = await ManipulationEnv.create('metaworld/door-open-v3', { randomization: 'metaworld', images: false });
  try {
    door.reset(generateTask('metaworld/door-open-v3', mwInstance(4)));
    const d = door.bodyPos('door');
    const handle = [d[0] + M.HINGE_FROM_DOOR[0] + M.HANDLE_POINT_IN_LEAF[0], d[1] + M.HINGE_FROM_DOOR[1] + M.HANDLE_POINT_IN_LEAF[1], M.DOOR_Z];
    t.true(Math.hypot(...[0, 1, 2].map((k) => handle[k]! - door.privileged().object[k]!)) < 1e-3, 'door handle point');
  } finally {
    door.close();
  }
  const drawer = await ManipulationEnv.create('metaworld/drawer-open-v3', { randomization: 'metaworld', images: false });
  try {
    drawer.reset(generateTask('metaworld/drawer-open-v3', mwInstance(4)));
    const d = drawer.bodyPos('drawer');
    t.true(Math.abs(d[1] - M.DRAWER_Y) < 1e-9);
    const point = drawer.privileged().object;
    t.true(
      Math.hypot(...[0, 1, 2].map((k) => d[k]! + M.DRAWER_POINT_OFFSET[k]! + (k === 1 ? drawer.privileged().drawerSlide! : 0) - point[k]!)) < 2e-3,
      'drawer point',
    );
  } finally {
    drawer.close();
  }
});
