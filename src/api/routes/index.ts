/** The route modules, by resource, in the order the app mounts them. */
import { cyclesRoutes } from './cycles.ts';
import { minersRoutes } from './miners.ts';
import { scoresRoutes } from './scores.ts';
import { spotChecksRoutes } from './spot-checks.ts';
import { statusRoutes } from './status.ts';
import { tasksRoutes } from './tasks.ts';
import { weightsRoutes } from './weights.ts';
import type { RouteModule } from './context.ts';

export type { RouteContext, RouteModule } from './context.ts';

export const ROUTES: readonly RouteModule[] = [statusRoutes, weightsRoutes, scoresRoutes, minersRoutes, spotChecksRoutes, tasksRoutes, cyclesRoutes];
