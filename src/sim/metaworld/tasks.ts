/**
 * MetaWorld-faithful task instances (`--randomization metaworld`): one object and one goal drawn from
 * MetaWorld v3's sampling boxes with its rejection rules, physics and lighting randomization on top.
 * Kept for comparison with the literature; these instances can be won without seeing (small goal boxes,
 * fixed fixtures, any-step success), which is why the appliance's default is the cued family.
 */
import { z } from 'zod';
import type { RandomSource } from '../drbg.ts';
import { instanceStreams, type InstanceKey } from '../instance.ts';
import { describeEnvironment, ENV_IDS, type EnvId } from '../registry.ts';
import {
  drawLighting,
  drawPhysics,
  drawTint,
  bounded,
  lightingShape,
  physicsSchema,
  vec3Schema,
  type Lighting,
  type PhysicsParams,
  type Vec3,
} from '../randomization.ts';

export interface MetaworldDomainRandomization extends Lighting {
  /** Per-channel multipliers of the task object's colour. */
  object_tint: Vec3;
}

/**
 * One MetaWorld-style instance. `object_positions` is the task's main object or fixture (puck, safe,
 * drawer cabinet, button box, peg); `target_positions` the goal point. The peg's hole block sits at
 * target − (0.03, 0, 0.13).
 */
export interface MetaworldTaskConfig {
  env_id: EnvId;
  env_name: string;
  task_name: string;
  randomization: 'metaworld';
  /** The instance key this config was generated from (never sent to miners). */
  instance: string;
  object_positions: Vec3;
  target_positions: Vec3;
  physics_params: PhysicsParams;
  domain_randomization: MetaworldDomainRandomization;
}

/** Offset from the peg's hole block to the insertion target (6.6 cm inside the mouth, on the hole axis). */
export const PEG_TARGET_FROM_BOX: Vec3 = [0.03, 0, 0.13];

type Box = { low: Vec3; high: Vec3 };

function sample(rng: RandomSource, box: Box): Vec3 {
  return [rng.uniform(box.low[0], box.high[0]), rng.uniform(box.low[1], box.high[1]), rng.uniform(box.low[2], box.high[2])];
}

function xyDistance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Draws `object`/`goal` until the rejection rule passes (MetaWorld resamples the same way). */
function sampleApart(rng: RandomSource, objectBox: Box, goalBox: Box, minXy: number): { object: Vec3; goal: Vec3 } {
  for (;;) {
    const object = sample(rng, objectBox);
    const goal = sample(rng, goalBox);
    if (xyDistance(object, goal) >= minXy) return { object, goal };
  }
}

const PUCK_BOX: Box = { low: [-0.1, 0.6, 0.02], high: [0.1, 0.7, 0.02] };
const AIR_GOAL_BOX: Box = { low: [-0.1, 0.8, 0.05], high: [0.1, 0.9, 0.3] };
const TABLE_GOAL_BOX: Box = { low: [-0.1, 0.8, 0.02], high: [0.1, 0.9, 0.02] };

/** Object and goal layout per environment: MetaWorld v3's sampling ranges. */
const LAYOUTS: Record<EnvId, (rng: RandomSource) => { object: Vec3; goal: Vec3 }> = {
  'metaworld/reach-v3': (rng) => sampleApart(rng, PUCK_BOX, AIR_GOAL_BOX, 0.15),
  // The goal sits on the table at the puck's height (MetaWorld replaces the sampled z).
  'metaworld/push-v3': (rng) => sampleApart(rng, PUCK_BOX, TABLE_GOAL_BOX, 0.15),
  'metaworld/pick-place-v3': (rng) => sampleApart(rng, PUCK_BOX, AIR_GOAL_BOX, 0.15),
  'metaworld/door-open-v3': (rng) => {
    const door = sample(rng, { low: [0, 0.85, 0.15], high: [0.1, 0.95, 0.15] });
    return { object: door, goal: [door[0] - 0.3, door[1] - 0.45, door[2]] };
  },
  'metaworld/drawer-open-v3': (rng) => {
    const drawer = sample(rng, { low: [-0.1, 0.9, 0], high: [0.1, 0.9, 0] });
    return { object: drawer, goal: [drawer[0], drawer[1] - 0.36, drawer[2] + 0.09] };
  },
  'metaworld/drawer-close-v3': (rng) => {
    const drawer = sample(rng, { low: [-0.1, 0.9, 0], high: [0.1, 0.9, 0] });
    return { object: drawer, goal: [drawer[0], drawer[1] - 0.16, drawer[2] + 0.09] };
  },
  'metaworld/button-press-v3': (rng) => {
    const box = sample(rng, { low: [-0.1, 0.8, 0.115], high: [0.1, 0.9, 0.115] });
    return { object: box, goal: [box[0], box[1], box[2] + 0.1] };
  },
  'metaworld/peg-insert-v3': (rng) => {
    // Peg on the table (its centre rests at z 0.015); block range as MetaWorld's. The ≥ 0.1 xy rule
    // can never fail with these ranges but is kept for fidelity.
    for (;;) {
      const peg = sample(rng, { low: [0, 0.5, 0.015], high: [0.2, 0.7, 0.015] });
      const box = sample(rng, { low: [-0.35, 0.4, -0.001], high: [-0.25, 0.7, 0.001] });
      if (xyDistance(peg, box) >= 0.1) {
        return { object: peg, goal: [box[0] + PEG_TARGET_FROM_BOX[0], box[1] + PEG_TARGET_FROM_BOX[1], box[2] + PEG_TARGET_FROM_BOX[2]] };
      }
    }
  },
};

/** Pure: the same (envId, key) always gives the same task, on every machine. */
export function generateMetaworldTask(envId: EnvId, key: InstanceKey, instance: string): MetaworldTaskConfig {
  if (!ENV_IDS.includes(envId)) throw new Error(`unknown environment ${envId}`);
  const rng = instanceStreams(key, envId).layout('metaworld');
  const { object, goal } = LAYOUTS[envId](rng);
  const physics_params = drawPhysics(rng);
  const lighting = drawLighting(rng);
  const { envName, taskName } = describeEnvironment(envId);
  return {
    env_id: envId,
    env_name: envName,
    task_name: taskName,
    randomization: 'metaworld',
    instance,
    object_positions: object,
    target_positions: goal,
    physics_params,
    domain_randomization: { ...lighting, object_tint: drawTint(rng) },
  };
}

/** A point on or above the table (generous: fixtures may sit slightly below z = 0). */
const workspacePoint = z.tuple([bounded(-0.7, 0.7), bounded(0.2, 1.0), bounded(-0.01, 0.5)]);

export const metaworldTaskSchema = z
  .object({
    env_id: z.enum(ENV_IDS),
    env_name: z.string(),
    task_name: z.string(),
    randomization: z.literal('metaworld'),
    instance: z.string(),
    object_positions: workspacePoint,
    target_positions: workspacePoint,
    physics_params: physicsSchema,
    domain_randomization: z.object({ ...lightingShape, object_tint: vec3Schema(0, 2) }).strict(),
  })
  .strict();
