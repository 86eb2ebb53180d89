/** Published weights (docs/original.md §1.3, §1.6). */
import { HttpError } from '../errors.ts';
import { intParam } from '../schemas.ts';
import { weightsJson } from '../shapes.ts';
import type { RouteModule } from './context.ts';

export const weightsRoutes: RouteModule = (router, { store }) => {
  // `/latest` is registered before `/:param`, so the literal wins (docs/original.md §1.3).
  router.get('/v1/weights/latest', (ctx) => {
    const w = store.results.latestWeights();
    if (!w) throw new HttpError(404, 'No weights available yet');
    ctx.body = weightsJson(w, store.cycles.get(w.cycleId));
  });

  router.get('/v1/weights/:block_number', (ctx) => {
    const block = intParam('block_number', ctx.params.block_number);
    const w = store.results.weightsAtBlock(block);
    if (!w) throw new HttpError(404, `No weights found for block ${block}`);
    ctx.body = weightsJson(w, store.cycles.get(w.cycleId));
  });
};
