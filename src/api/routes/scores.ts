/** Per-cycle scores (docs/original.md §1.7). */
import type { CycleRow, Store } from '../../store/index.ts';
import type { ScoresJson } from '../contract.ts';
import { HttpError } from '../errors.ts';
import { intParam } from '../schemas.ts';
import { cycleJson, minerScoreJson, minerSummary } from '../shapes.ts';
import type { RouteModule } from './context.ts';

function scoresBody(store: Store, cycle: CycleRow): ScoresJson {
  const scores = store.results.scoresForCycle(cycle.id);
  return { cycle: cycleJson(cycle), scores: scores.map(minerScoreJson), miner_summary: minerSummary(scores) };
}

export const scoresRoutes: RouteModule = (router, { store }) => {
  // `/latest` is registered before `/:param`, so the literal wins (docs/original.md §1.3).
  router.get('/v1/scores/latest', (ctx) => {
    const last = store.cycles.lastCompleted();
    if (!last) throw new HttpError(404, 'No completed evaluations yet');
    ctx.body = scoresBody(store, last);
  });

  router.get('/v1/scores/:cycle_id', (ctx) => {
    const id = intParam('cycle_id', ctx.params.cycle_id);
    const cycle = store.cycles.get(id);
    if (!cycle) throw new HttpError(404, `Cycle ${id} not found`);
    ctx.body = scoresBody(store, cycle);
  });
};
