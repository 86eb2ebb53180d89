/**
 * The executor routes (docs/original.md §1.4–1.5, §1.9): fetch and submit, our heartbeat and release
 * extensions (all four authenticated), and the public pool stats. Request schemas are the original's
 * pydantic models, in zod.
 */
import { z } from 'zod';
import type { TaskFetchResponse, TaskSubmitResponse } from '../contract.ts';
import { executorLabels } from '../executor-labels.ts';
import { intParam, parseBody, parseQuery } from '../schemas.ts';
import { statsJson, taskJson } from '../shapes.ts';
import type { RouteModule } from './context.ts';

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

const statsQuery = z.object({ cycle_id: z.string().optional() });

export const tasksRoutes: RouteModule = (router, { store, logger, auth, maxTaskAttempts }) => {
  router.post('/v1/tasks/fetch', auth, (ctx) => {
    const req = parseBody(taskFetchRequest, ctx.request);
    const { tasks, totalPending } = store.tasks.fetch({ executorId: req.executor_id, batchSize: req.batch_size, envIds: req.env_ids });
    if (tasks.length > 0) logger.debug({ executor: req.executor_id, n: tasks.length }, 'tasks assigned');
    ctx.body = { tasks: tasks.map(taskJson), total_pending: totalPending } satisfies TaskFetchResponse;
  });

  router.post('/v1/tasks/submit', auth, (ctx) => {
    const req = parseBody(taskSubmitRequest, ctx.request);
    // Executor faults are not the miner's failure: the store puts those tasks back for another attempt.
    ctx.body = store.tasks.submit(
      req.executor_id,
      req.results.map((r) => ({
        taskUuid: r.task_uuid,
        success: r.success,
        score: r.score,
        total_reward: r.total_reward,
        timesteps: r.timesteps,
        error: r.error,
        fault: r.fault,
        violation: r.violation,
        mean_action_latency_ms: r.mean_action_latency_ms,
        max_action_latency_ms: r.max_action_latency_ms,
      })),
      maxTaskAttempts,
    ) satisfies TaskSubmitResponse;
  });

  router.post('/v1/tasks/heartbeat', auth, (ctx) => {
    const req = parseBody(taskHeartbeatRequest, ctx.request);
    ctx.body = { renewed: store.tasks.renewLease(req.executor_id, req.task_uuids) };
  });

  router.post('/v1/tasks/release', auth, (ctx) => {
    const req = parseBody(taskReleaseRequest, ctx.request);
    ctx.body = { released: store.tasks.release(req.executor_id, req.task_uuids) };
  });

  router.get('/v1/tasks/stats', (ctx) => {
    const q = parseQuery(statsQuery, ctx.query);
    const scope = q.cycle_id !== undefined ? intParam('cycle_id', q.cycle_id, 'query') : (store.cycles.current()?.id ?? null);
    ctx.body = statsJson(store.tasks.stats(scope), scope, executorLabels(store));
  });
};
