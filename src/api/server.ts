/**
 * The Kinitro REST API (docs/original.md §1) on koa: the original's 11 endpoints with the same shapes, status
 * codes and errors, plus the routes its users asked for (cycles, per-cycle tasks, miner history).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { z } from 'zod';
import type { CycleRow, Store } from '../store/index.ts';
import { silentLogger, type Logger } from '../log.ts';
import { ENV_IDS, splitEnvId } from '../sim/registry.ts';
import { bodyReadError, errorMiddleware, HttpError } from './errors.ts';
import { requireApiKey, type AuthConfig } from './auth.ts';
import { intParam, pagination, parseBody, parseQuery, taskFetchRequest, taskHeartbeatRequest, taskReleaseRequest, taskSubmitRequest } from './schemas.ts';
import { executorLabels } from './executor-labels.ts';
import { cycleDetailJson, cycleJson, minerScoreJson, minerSummary, spotCheckJson, statsJson, taskDetailJson, taskJson, weightsJson } from './shapes.ts';
import { VERSION } from '../version.ts';

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
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const maxAttempts = options.maxTaskAttempts ?? 3;
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
  const auth = requireApiKey(options);

  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok', version: VERSION, database: store.ping() ? 'connected' : 'disconnected' };
  });

  router.get('/v1/status', (ctx) => {
    const current = store.cycles.current();
    const last = store.cycles.lastCompleted();
    ctx.body = {
      current_cycle: current ? cycleJson(current) : null,
      last_completed_cycle: last ? cycleJson(last) : null,
      total_cycles: store.cycles.count(),
      total_miners_evaluated: store.results.countDistinctMiners(),
      environments: [...ENV_IDS],
      is_evaluating: current !== undefined,
      ...options.statusExtension?.(),
    };
  });

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

  const scoresBody = (cycle: CycleRow) => {
    const scores = store.results.scoresForCycle(cycle.id);
    return { cycle: cycleJson(cycle), scores: scores.map(minerScoreJson), miner_summary: minerSummary(scores) };
  };

  router.get('/v1/scores/latest', (ctx) => {
    const last = store.cycles.lastCompleted();
    if (!last) throw new HttpError(404, 'No completed evaluations yet');
    ctx.body = scoresBody(last);
  });

  router.get('/v1/scores/:cycle_id', (ctx) => {
    const id = intParam('cycle_id', ctx.params.cycle_id);
    const cycle = store.cycles.get(id);
    if (!cycle) throw new HttpError(404, `Cycle ${id} not found`);
    ctx.body = scoresBody(cycle);
  });

  router.get('/v1/miners', (ctx) => {
    const last = store.cycles.lastCompleted();
    if (!last) {
      ctx.body = [];
      return;
    }
    const byUid = new Map<number, { hotkey: string; rates: number[]; envs: string[] }>();
    for (const s of store.results.scoresForCycle(last.id)) {
      const m = byUid.get(s.uid) ?? { hotkey: s.hotkey, rates: [], envs: [] };
      m.rates.push(s.successRate);
      m.envs.push(s.envId);
      byUid.set(s.uid, m);
    }
    const checks = new Map(store.spotChecks.forCycle(last.id).map((c) => [c.minerUid, c]));
    ctx.body = [...byUid].map(([uid, m]) => ({
      uid,
      hotkey: m.hotkey,
      last_evaluated_block: last.blockNumber,
      avg_success_rate: m.rates.reduce((a, b) => a + b, 0) / m.rates.length,
      environments_evaluated: m.envs,
      // An extension of the original's shape: this cycle's deployment spot check, if the miner was drawn.
      spot_check: checks.has(uid) ? spotCheckJson(checks.get(uid)!) : null,
    }));
  });

  router.get('/v1/spot-checks', (ctx) => {
    ctx.body = store.spotChecks.latest().map(spotCheckJson);
  });

  router.get('/v1/cycles/:cycle_id/spot-checks', (ctx) => {
    const id = intParam('cycle_id', ctx.params.cycle_id);
    if (!store.cycles.get(id)) throw new HttpError(404, `Cycle ${id} not found`);
    ctx.body = store.spotChecks.forCycle(id).map(spotCheckJson);
  });

  router.get('/v1/miners/:uid/history', (ctx) => {
    const uid = intParam('uid', ctx.params.uid);
    const { limit } = parseQuery(pagination, ctx.query);
    const history = store.results.minerHistory(uid, limit);
    if (history.length === 0 && !store.miners.get(uid)) throw new HttpError(404, `Miner ${uid} not found`);
    ctx.body = {
      uid,
      cycles: history.map((h) => ({
        cycle_id: h.cycleId,
        block_number: h.blockNumber,
        completed_at: h.completedAt,
        scores: h.scores.map(minerScoreJson),
      })),
    };
  });

  router.get('/v1/environments', (ctx) => {
    const last = store.cycles.lastCompleted();
    const scores = last ? store.results.scoresForCycle(last.id) : [];
    ctx.body = ENV_IDS.map((envId) => {
      const rows = scores.filter((s) => s.envId === envId);
      const { envName, taskName } = splitEnvId(envId);
      return {
        env_id: envId,
        env_name: envName,
        task_name: taskName,
        n_evaluations: rows.length,
        avg_success_rate: rows.length === 0 ? null : rows.reduce((a, s) => a + s.successRate, 0) / rows.length,
      };
    });
  });

  router.post('/v1/tasks/fetch', auth, (ctx) => {
    const req = parseBody(taskFetchRequest, ctx.request);
    const { tasks, totalPending } = store.tasks.fetch({ executorId: req.executor_id, batchSize: req.batch_size, envIds: req.env_ids });
    if (tasks.length > 0) logger.debug({ executor: req.executor_id, n: tasks.length }, 'tasks assigned');
    ctx.body = { tasks: tasks.map(taskJson), total_pending: totalPending };
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
      maxAttempts,
    );
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
    const q = parseQuery(z.object({ cycle_id: z.string().optional() }), ctx.query);
    const scope = q.cycle_id !== undefined ? intParam('cycle_id', q.cycle_id, 'query') : (store.cycles.current()?.id ?? null);
    ctx.body = statsJson(store.tasks.stats(scope), scope, executorLabels(store));
  });

  router.get('/v1/cycles', (ctx) => {
    const q = parseQuery(pagination.extend({ status: z.enum(['pending', 'running', 'completed', 'failed']).optional() }), ctx.query);
    const { total, cycles } = store.cycles.list(q);
    ctx.body = { total, limit: q.limit, offset: q.offset, cycles: cycles.map(cycleDetailJson) };
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
    };
  });

  router.get('/v1/cycles/:cycle_id/tasks', (ctx) => {
    const id = intParam('cycle_id', ctx.params.cycle_id);
    if (!store.cycles.get(id)) throw new HttpError(404, `Cycle ${id} not found`);
    const q = parseQuery(pagination.extend({ status: z.enum(['pending', 'assigned', 'completed', 'failed']).optional() }), ctx.query);
    const { total, tasks } = store.tasks.listForCycle(id, q);
    ctx.body = { total, limit: q.limit, offset: q.offset, tasks: tasks.map(taskDetailJson) };
  });

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
