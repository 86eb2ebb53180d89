/**
 * The Kinitro REST API (docs/original.md §1) on koa: the original's 11 endpoints with the same shapes, status
 * codes and errors, plus the routes its users asked for (cycles, per-cycle tasks, miner history).
 * This module composes the app (error handling, body parsing, auth, mounting); the routes live by
 * resource in routes/, the response shapes in contract.ts.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Store } from '../store/index.ts';
import { silentLogger, type Logger } from '../log.ts';
import { bodyReadError, errorMiddleware } from './errors.ts';
import { requireApiKey, type AuthConfig } from './auth.ts';
import { ROUTES, type RouteContext } from './routes/index.ts';

export interface ApiOptions extends AuthConfig {
  store: Store;
  logger?: Logger;
  /** Largest accepted JSON body. Submits of 100 results are ~30 kB; default 1 MB. */
  bodyLimit?: string;
  /** Attempts before an executor-faulted task fails for good (see TaskPool.releaseForRetry). */
  maxTaskAttempts?: number;
  /** Extra routes (e.g. /metrics) mounted by the appliance. */
  extend?: (router: Router) => void;
  /** Extension fields of `GET /v1/status` (e.g. the running cycle's `cycle_estimate`), added after the original's. */
  statusExtension?: () => Record<string, unknown>;
}

export function createApiApp(options: ApiOptions): Koa {
  const logger = options.logger ?? silentLogger;
  const app = new Koa();
  app.proxy = false;
  app.use(errorMiddleware(logger));
  app.use(
    bodyParser({
      enableTypes: ['json'],
      jsonLimit: options.bodyLimit ?? '1mb',
      encoding: 'utf-8',
      // Any JSON value parses; a non-object is then a 422 like pydantic's, not a parse error.
      jsonStrict: false,
      // FastAPI reads a body without a Content-Type as JSON; so do we.
      detectJSON: (ctx) => !ctx.get('content-type'),
      // Anything that goes wrong reading the body (bad Content-Encoding, a body that does not
      // decompress, bad JSON, too large) is a 4xx with a detail, never a 500.
      onError: (err) => {
        throw bodyReadError(err);
      },
    }),
  );

  const router = new Router();
  const routes: RouteContext = {
    store: options.store,
    logger,
    auth: requireApiKey(options),
    maxTaskAttempts: options.maxTaskAttempts ?? 3,
    statusExtension: options.statusExtension,
  };
  for (const register of ROUTES) register(router, routes);
  options.extend?.(router);
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: false }));
  app.on('error', (err: unknown) => logger.debug({ err }, 'koa error'));
  return app;
}

export interface RunningApi {
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

/** Listens and resolves once the port is bound. `close()` stops accepting and drains connections. */
export async function startApi(options: ApiOptions & { host?: string; port?: number }): Promise<RunningApi> {
  if (!options.authDisabled && !options.apiKey) {
    throw new Error(
      "refusing to start: authentication is on but no API key is set (use --api-key-file FILE, KINITRO_API_KEY or the original's KINITRO_API_API_KEY, or --no-auth explicitly)",
    );
  }
  const app = createApiApp(options);
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Give in-flight requests a moment, then cut what is left so shutdown never hangs.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
