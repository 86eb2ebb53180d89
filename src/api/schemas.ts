/** Request schemas: the original's pydantic models, in zod. */
import { z } from 'zod';
import { HttpError, validationError } from './errors.ts';

export const taskFetchRequest = z.object({
  executor_id: z.string().min(1).max(128),
  batch_size: z.number().int().min(1).max(100).default(10),
  env_ids: z.array(z.string().min(1)).nullable().default(null),
});

export const taskResult = z.object({
  task_uuid: z.string().min(1).max(64),
  success: z.boolean(),
  score: z.number().finite().default(0),
  total_reward: z.number().finite().default(0),
  timesteps: z.number().int().min(0).default(0),
  error: z.string().max(10_000).nullable().default(null),
  // Accepted and ignored, as in the original.
  verification_passed: z.boolean().nullable().default(null),
  verification_score: z.number().nullable().default(null),
  // Extensions: an executor reports infrastructure faults (never scored) and action latency.
  fault: z.enum(['miner', 'executor']).optional(),
  violation: z.string().max(500).optional(),
  mean_action_latency_ms: z.number().finite().min(0).optional(),
  max_action_latency_ms: z.number().finite().min(0).optional(),
});

export const taskSubmitRequest = z.object({
  executor_id: z.string().min(1).max(128),
  results: z.array(taskResult).max(1000),
});

/** Extension: an executor extends the lease of tasks it is still running. */
export const taskHeartbeatRequest = z.object({
  executor_id: z.string().min(1).max(128),
  task_uuids: z.array(z.string().min(1).max(64)).max(1000),
});

/** Extension: an executor hands back tasks it will not run (graceful shutdown), at no attempt cost. */
export const taskReleaseRequest = taskHeartbeatRequest;

export const pagination = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw validationError('body', r.error);
  return r.data;
}

export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.infer<S> {
  const r = schema.safeParse(query);
  if (!r.success) throw validationError('query', r.error);
  return r.data;
}

/** A path parameter that must be an integer (FastAPI answers 422 otherwise). */
export function intParam(name: string, raw: string | undefined): number {
  if (raw === undefined || !/^-?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(422, [{ type: 'int_parsing', loc: ['path', name], msg: 'Input should be a valid integer, unable to parse string as an integer' }]);
  }
  return Number(raw);
}
