/**
 * A miner policy server with the original template's protocol (spec §6): `GET /health`,
 * `POST /reset {"task_config": {...}}` → `{"status": "ok", "episode_id"}`, and
 * `POST /act {"obs": Observation}` → `{"action": Action}`. Used by `kinitro serve-policy`, the demo
 * miners of `kinitro start`, and tests.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { z } from 'zod';
import { observationSchema, type Action, type Observation } from '../sim/protocol.ts';
import type { Policy } from '../sim/policies.ts';
import { silentLogger, type Logger } from '../log.ts';

const resetRequest = z.object({
  task_config: z
    .object({ env_id: z.string().optional(), env_name: z.string().optional(), task_name: z.string().optional(), seed: z.number().optional(), task_id: z.number().optional() })
    .loose()
    .default({}),
});

export interface PolicyServerOptions {
  policy: Policy;
  host?: string;
  port?: number;
  logger?: Logger;
  /** Extra hook run on each action (e.g. to add noise to a demo miner). */
  transformAction?: (action: Action) => Action;
}

export interface RunningPolicyServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startPolicyServer(options: PolicyServerOptions): Promise<RunningPolicyServer> {
  const { policy } = options;
  const logger = options.logger ?? silentLogger;
  const started = Date.now();
  let episode = 0;
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; message: string; type?: string };
      ctx.status = e.status && e.status < 500 ? e.status : 500;
      ctx.body = { detail: e.type === 'entity.parse.failed' ? 'invalid JSON body' : e.message };
      if (ctx.status >= 500) logger.error({ err }, 'policy error');
    }
  });
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '2mb' }));
  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = { status: 'healthy', model_loaded: true, uptime_seconds: (Date.now() - started) / 1000 };
  });
  router.post('/reset', async (ctx) => {
    const parsed = resetRequest.safeParse(ctx.request.body ?? {});
    if (!parsed.success) {
      ctx.status = 422;
      ctx.body = { detail: parsed.error.message };
      return;
    }
    const tc = parsed.data.task_config;
    episode += 1;
    await policy.reset({
      task: { env_id: tc.env_id ?? '', env_name: tc.env_name ?? '', task_name: tc.task_name ?? '' },
      episodeSeed: (Number.parseInt(randomBytes(4).toString('hex'), 16) ^ episode) >>> 0,
    });
    ctx.body = { status: 'ok', episode_id: randomBytes(8).toString('hex') };
  });
  router.post('/act', async (ctx) => {
    const body = ctx.request.body as { obs?: unknown } | undefined;
    const parsed = observationSchema.safeParse(body?.obs);
    if (!parsed.success) {
      ctx.status = 422;
      ctx.body = { detail: parsed.error.issues.map((i) => ({ loc: ['body', 'obs', ...i.path.map(String)], msg: i.message, type: i.code })) };
      return;
    }
    let action = await policy.act(parsed.data as Observation);
    if (options.transformAction) action = options.transformAction(action);
    ctx.body = { action };
  });
  app.use(router.routes()).use(router.allowedMethods());
  const server = http.createServer(app.callback());
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8001, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
