/** What every route module is given: the store, the logger, the auth middleware and the app's options. */
import type Router from '@koa/router';
import type { Middleware } from 'koa';
import type { Logger } from '../../log.ts';
import type { Store } from '../../store/index.ts';

export interface RouteContext {
  store: Store;
  logger: Logger;
  /** Bearer API-key check; only the executor routes take it. */
  auth: Middleware;
  /** Attempts before an executor-faulted task fails for good (see TaskPool.releaseForRetry). */
  maxTaskAttempts: number;
  /** Extension fields of `GET /v1/status`, added after the original's. */
  statusExtension?: () => Record<string, unknown>;
}

export type RouteModule = (router: Router, ctx: RouteContext) => void;
