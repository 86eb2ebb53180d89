/** Cycles, one cycle's detail and its tasks: the routes operators asked for (docs/api.md, "Added routes"). */
import { cycleStatus, taskStatus, type CycleViewJson, type CyclesPage, type TasksPage } from '../contract.ts';
import { HttpError } from '../errors.ts';
import { executorLabels } from '../executor-labels.ts';
import { intParam, pagination, parseQuery } from '../schemas.ts';
import { cycleDetailJson, statsJson, taskDetailJson } from '../shapes.ts';
import type { RouteModule } from './context.ts';

const cyclesQuery = pagination.extend({ status: cycleStatus.optional() });
const cycleTasksQuery = pagination.extend({ status: taskStatus.optional() });

export const cyclesRoutes: RouteModule = (router, { store }) => {
  router.get('/v1/cycles', (ctx) => {
    const q = parseQuery(cyclesQuery, ctx.query);
    const { total, cycles } = store.cycles.list(q);
    ctx.body = { total, limit: q.limit, offset: q.offset, cycles: cycles.map(cycleDetailJson) } satisfies CyclesPage;
  });

  router.get('/v1/cycles/:cycle_id', (ctx) => {
    const id = intParam('cycle_id', ctx.params.cycle_id);
    const cycle = store.cycles.get(id);
    if (!cycle) throw new HttpError(404, `Cycle ${id} not found`);
    const explanation = store.results.explanation(id);
    ctx.body = {
      ...cycleDetailJson(cycle),
      stats: statsJson(store.tasks.stats(id), id, executorLabels(store)),
      points: explanation?.points ?? null,
      explanation: explanation?.explanation ?? null,
    } satisfies CycleViewJson;
  });

  router.get('/v1/cycles/:cycle_id/tasks', (ctx) => {
    const id = intParam('cycle_id', ctx.params.cycle_id);
    if (!store.cycles.get(id)) throw new HttpError(404, `Cycle ${id} not found`);
    const q = parseQuery(cycleTasksQuery, ctx.query);
    const { total, tasks } = store.tasks.listForCycle(id, q);
    ctx.body = { total, limit: q.limit, offset: q.offset, tasks: tasks.map(taskDetailJson) } satisfies TasksPage;
  });
};
