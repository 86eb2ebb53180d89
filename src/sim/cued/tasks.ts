/**
 * Cued task instances (the default `--randomization cued`): the environment module's layout drawn from
 * the instance's layout stream, with physics and lighting; the target candidate, the candidates'
 * palette colours and their jitter drawn from the variant stream.
 */
import { z } from 'zod';
import { instanceStreams, type InstanceKey } from '../instance.ts';
import { describeEnvironment, ENV_IDS, type EnvId } from '../registry.ts';
import { bounded, drawLighting, drawPhysics, lightingShape, physicsSchema, type Lighting, type PhysicsParams } from '../randomization.ts';
import { CUED_MODULES } from './index.ts';
import { COLOUR_JITTER, CUED_TABLE_TINT, drawJitter, PALETTE, type Jitter, type PaletteColour } from './palette.ts';

export interface CuedTaskConfig {
  env_id: EnvId;
  env_name: string;
  task_name: string;
  randomization: 'cued';
  /** The instance key this config was generated from (never sent to miners). */
  instance: string;
  /** Index of the target candidate. */
  target: number;
  /** Palette colour of each candidate (all different); the cue light shows `candidate_colours[target]`. */
  candidate_colours: PaletteColour[];
  /** Colour jitter of each candidate, and of the cue light. */
  candidate_jitter: Jitter[];
  cue_jitter: Jitter;
  /** The environment module's layout (validated by its own schema). */
  layout: unknown;
  physics_params: PhysicsParams;
  domain_randomization: Lighting;
}

export function generateCuedTask(envId: EnvId, key: InstanceKey, instance: string): CuedTaskConfig {
  const module = CUED_MODULES[envId];
  const streams = instanceStreams(key, envId);
  const layoutRng = streams.layout('cued');
  const layout = module.generate(layoutRng);
  const physics_params = drawPhysics(layoutRng);
  const domain_randomization = drawLighting(layoutRng, CUED_TABLE_TINT);
  const variant = streams.variant('cued');
  const target = variant.int(module.candidates);
  const candidate_colours = variant
    .permutation(PALETTE.length)
    .slice(0, module.candidates)
    .map((i) => PALETTE[i]!);
  const candidate_jitter = candidate_colours.map(() => drawJitter(variant));
  const cue_jitter = drawJitter(variant);
  const { envName, taskName } = describeEnvironment(envId);
  return {
    env_id: envId,
    env_name: envName,
    task_name: taskName,
    randomization: 'cued',
    instance,
    target,
    candidate_colours,
    candidate_jitter,
    cue_jitter,
    layout,
    physics_params,
    domain_randomization,
  };
}

const J = COLOUR_JITTER;
const jitterSchema = z.tuple([bounded(-J.hueDeg, J.hueDeg), bounded(J.saturation[0], J.saturation[1]), bounded(J.value[0], J.value[1])]);

const cuedCommonSchema = z
  .object({
    env_id: z.enum(ENV_IDS),
    env_name: z.string(),
    task_name: z.string(),
    randomization: z.literal('cued'),
    instance: z.string(),
    target: z.number().int().nonnegative(),
    candidate_colours: z.array(z.enum(PALETTE)),
    candidate_jitter: z.array(jitterSchema),
    cue_jitter: jitterSchema,
    layout: z.unknown(),
    physics_params: physicsSchema,
    domain_randomization: z.object(lightingShape).strict(),
  })
  .strict();

/** Validates a cued config: the common fields, the candidate counts, then the module's layout. */
export function parseCuedTask(value: unknown): CuedTaskConfig {
  const config = cuedCommonSchema.parse(value) as CuedTaskConfig;
  const module = CUED_MODULES[config.env_id];
  const n = module.candidates;
  if (config.candidate_colours.length !== n || config.candidate_jitter.length !== n) throw new Error(`${config.env_id} has ${n} candidates`);
  if (new Set(config.candidate_colours).size !== n) throw new Error('candidate colours must all differ');
  if (config.target >= n) throw new Error(`target ${config.target} out of range (${n} candidates)`);
  return { ...config, layout: module.layoutSchema.parse(config.layout) };
}
