/**
 * Task generation: `generateTask(envId, instance)` is pure and deterministic — the same instance key
 * gives the same task on every machine. The key's randomization family picks the generator: the cued
 * family (src/sim/cued/, the default) or the MetaWorld-faithful one (src/sim/metaworld/). Everything
 * drawn here is applied to the model at reset (src/sim/env.ts) on top of freshly restored nominal values.
 */
import { parseInstance } from './instance.ts';
import { ENV_IDS, type EnvId } from './registry.ts';
import { generateCuedTask, parseCuedTask, type CuedTaskConfig } from './cued/tasks.ts';
import { generateMetaworldTask, metaworldTaskSchema, type MetaworldTaskConfig } from './metaworld/tasks.ts';

export type { CuedTaskConfig } from './cued/tasks.ts';
export type { MetaworldTaskConfig } from './metaworld/tasks.ts';
export { PEG_TARGET_FROM_BOX } from './metaworld/tasks.ts';
export { JITTERED_CAMERAS, RANDOMIZATION_RANGES, type PhysicsParams, type Vec3 } from './randomization.ts';

export type TaskConfig = CuedTaskConfig | MetaworldTaskConfig;

export function generateTask(envId: EnvId, instance: string): TaskConfig {
  if (!ENV_IDS.includes(envId)) throw new Error(`unknown environment ${envId}`);
  const key = parseInstance(instance);
  return key.randomization === 'cued' ? generateCuedTask(envId, key, instance) : generateMetaworldTask(envId, key, instance);
}

/** Validates a TaskConfig that came from outside this process (database, API). */
export function parseTaskConfig(value: unknown): TaskConfig {
  const family = typeof value === 'object' && value !== null ? (value as { randomization?: unknown }).randomization : undefined;
  if (family === 'cued') return parseCuedTask(value);
  if (family === 'metaworld') return metaworldTaskSchema.parse(value) as MetaworldTaskConfig;
  throw new Error('task config has no known randomization family (expected "cued" or "metaworld")');
}
