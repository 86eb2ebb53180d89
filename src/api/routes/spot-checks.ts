/** Deployment spot checks (docs/verification.md), an extension. */
import type { SpotCheckJson } from '../contract.ts';
import { HttpError } from '../errors.ts';
import { intParam } from '../schemas.ts';
import { spotCheckJson } from '../shapes.ts';
import type { RouteModule } from './context.ts';

export const spotChecksRoutes: RouteModule = (router, { store }) => {
  router.get('/v1/spot-checks', (ctx) => {
    ctx.body = store.spotChecks.latest().map(spotCheckJson) satisfies SpotCheckJson[];
  });

  router.get('/v1/cycles/:cycle_id/spot-checks', (ctx) => {
    const id = intParam('cycle_id', ctx.params.cycle_id);
    if (!store.cycles.get(id)) throw new HttpError(404, `Cycle ${id} not found`);
    ctx.body = store.spotChecks.forCycle(id).map(spotCheckJson) satisfies SpotCheckJson[];
  });
};
