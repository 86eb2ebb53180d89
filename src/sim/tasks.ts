/**
 * Task generation: `generateTask(envId, seed)` is pure and deterministic. It draws the layout (object
 * and goal positions from MetaWorld's ranges, with its rejection rules), the physics randomization and
 * the domain randomization from one seeded stream per (env, seed). Everything drawn here is applied to
 * the model at reset (src/sim/env.ts), on top of freshly restored nominal values.
 */
import { z } from 'zod';
import { ENV_IDS, describeEnvironment, type EnvId } from './registry.ts';
import { Rng, hashString } from './rng.ts';

export type Vec3 = [number, number, number];

export interface PhysicsParams {
  /** Multiplies every geom's friction coefficients. */
  friction: number;
  /** Multiplies every degree of freedom's damping (fingers, door, drawer, button, free bodies). */
  damping: number;
  /** Multiplies the mass and inertia of the task's movable object. */
  mass_scale: number;
}

export interface DomainRandomization {
  /** Multiplies the diffuse intensity of every light. */
  light_intensity: number;
  /** Added to every light's nominal direction before re-normalising (turns the lights a little). */
  light_dir_jitter: Vec3;
  /** Degrees added to each named camera's nominal vertical field of view. */
  camera_fovy_jitter_deg: Record<string, number>;
  /** Per-channel multipliers for the table colour and the task object's colour. */
  table_tint: Vec3;
  object_tint: Vec3;
}

/**
 * One evaluation task (spec §9 TaskConfig, snake_case like the original's wire shape).
 * `object_positions` is the task's main object or fixture (puck, safe, drawer cabinet, button box,
 * peg); `target_positions` is the goal point. Secondary fixtures are derived from these: the peg's
 * hole block sits at target − (0.03, 0, 0.13).
 */
export interface TaskConfig {
  env_id: EnvId;
  env_name: string;
  task_name: string;
  seed: number;
  object_positions: Vec3;
  target_positions: Vec3;
  physics_params: PhysicsParams;
  domain_randomization: DomainRandomization;
}

/** Ranges of the physics and domain randomization (documented in docs/simulation.md). */
export const RANDOMIZATION_RANGES = {
  friction: [0.8, 1.2],
  damping: [0.9, 1.1],
  mass_scale: [0.8, 1.2],
  light_intensity: [0.8, 1.2],
  light_dir_jitter: [-0.15, 0.15],
  camera_fovy_jitter_deg: [-3, 3],
  tint: [0.85, 1.15],
} as const;

/** The cameras whose field of view is jittered (the two the miners see). */
export const JITTERED_CAMERAS = ['corner', 'corner2'] as const;

/** Offset from the peg's hole block to the insertion target (6.6 cm inside the mouth, on the hole axis). */
export const PEG_TARGET_FROM_BOX: Vec3 = [0.03, 0, 0.13];

type Box = { low: Vec3; high: Vec3 };

function sample(rng: Rng, box: Box): Vec3 {
  return [rng.uniform(box.low[0], box.high[0]), rng.uniform(box.low[1], box.high[1]), rng.uniform(box.low[2], box.high[2])];
}

function xyDistance(a: Vec3, b: Vec3): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** Draws `object`/`goal` until the rejection rule passes (MetaWorld resamples the same way). */
function sampleApart(rng: Rng, objectBox: Box, goalBox: Box, minXy: number): { object: Vec3; goal: Vec3 } {
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
const LAYOUTS: Record<EnvId, (rng: Rng) => { object: Vec3; goal: Vec3 }> = {
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

function tint(rng: Rng): Vec3 {
  const [lo, hi] = RANDOMIZATION_RANGES.tint;
  return [rng.uniform(lo, hi), rng.uniform(lo, hi), rng.uniform(lo, hi)];
}

/** Pure: the same (envId, seed) always gives the same task, on every machine. */
export function generateTask(envId: EnvId, seed: number): TaskConfig {
  if (!ENV_IDS.includes(envId)) throw new Error(`unknown environment ${envId}`);
  const rng = new Rng(hashString(envId), seed);
  const { object, goal } = LAYOUTS[envId](rng);
  const R = RANDOMIZATION_RANGES;
  const physics_params: PhysicsParams = {
    friction: rng.uniform(...R.friction),
    damping: rng.uniform(...R.damping),
    mass_scale: rng.uniform(...R.mass_scale),
  };
  const light_intensity = rng.uniform(...R.light_intensity);
  const light_dir_jitter: Vec3 = [rng.uniform(...R.light_dir_jitter), rng.uniform(...R.light_dir_jitter), rng.uniform(...R.light_dir_jitter)];
  const camera_fovy_jitter_deg: Record<string, number> = {};
  for (const camera of JITTERED_CAMERAS) camera_fovy_jitter_deg[camera] = rng.uniform(...R.camera_fovy_jitter_deg);
  const { envName, taskName } = describeEnvironment(envId);
  return {
    env_id: envId,
    env_name: envName,
    task_name: taskName,
    seed,
    object_positions: object,
    target_positions: goal,
    physics_params,
    domain_randomization: { light_intensity, light_dir_jitter, camera_fovy_jitter_deg, table_tint: tint(rng), object_tint: tint(rng) },
  };
}

const finite = z.number().finite();
const bounded = (lo: number, hi: number) => finite.min(lo).max(hi);
/** A point on or above the table (generous: fixtures may sit slightly below z = 0). */
const workspacePoint = z.tuple([bounded(-0.7, 0.7), bounded(0.2, 1.0), bounded(-0.01, 0.5)]);

/**
 * Validates a TaskConfig that came from outside this process (database, API). Bounds are sanity
 * limits that keep the simulator well-behaved, wider than the generator's ranges.
 */
export const taskConfigSchema = z
  .object({
    env_id: z.enum(ENV_IDS),
    env_name: z.string(),
    task_name: z.string(),
    seed: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    object_positions: workspacePoint,
    target_positions: workspacePoint,
    physics_params: z.object({ friction: bounded(0.1, 3), damping: bounded(0.1, 3), mass_scale: bounded(0.1, 3) }).strict(),
    domain_randomization: z
      .object({
        light_intensity: bounded(0, 3),
        light_dir_jitter: z.tuple([bounded(-1, 1), bounded(-1, 1), bounded(-1, 1)]),
        camera_fovy_jitter_deg: z.record(z.string(), bounded(-20, 20)),
        table_tint: z.tuple([bounded(0, 2), bounded(0, 2), bounded(0, 2)]),
        object_tint: z.tuple([bounded(0, 2), bounded(0, 2), bounded(0, 2)]),
      })
      .strict(),
  })
  .strict();

export function parseTaskConfig(value: unknown): TaskConfig {
  return taskConfigSchema.parse(value) as TaskConfig;
}
