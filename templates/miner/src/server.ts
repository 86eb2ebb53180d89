/**
 * The policy server a Kinitro validator talks to (same protocol as the original Python template):
 *
 *   GET  /health  → {"status": "healthy", "model_loaded": bool, "uptime_seconds": float, "max_concurrent_episodes": int}
 *   POST /reset   {"task_config": {"env_id", "env_name", "task_name", "episode_id", …}} → {"status": "ok", "episode_id": str | null}
 *   POST /act     {"obs": Observation} → {"action": Action}     (422 on an invalid observation)
 *
 * `max_concurrent_episodes` and `episode_id` are the opt-in extension for running several episodes at
 * once (see policy.ts); validators that predate it ignore them, and so does the original protocol.
 *
 * Errors answer {"detail": message} (500) so the validator logs something useful. Start it with
 * `npm start`; it listens on $HOST:$PORT (default 0.0.0.0:8001). You rarely need to change this file:
 * put your model in policy.ts.
 */
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { RobotPolicy } from './policy.ts';
import { ValidationError, parseObservation, toAction, type TaskConfig } from './types.ts';

const PORT = Number(process.env.PORT ?? 8001);
const HOST = process.env.HOST ?? '0.0.0.0';
/** Act requests slower than this are always logged. */
const SLOW_ACT_MS = 100;

/** One JSON line per event on stdout (timestamp, level, logger, message, extra fields). */
function log(level: 'info' | 'warning' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ timestamp: new Date().toISOString(), level, logger: 'kinitro.policy', message, ...fields })}\n`);
}

export function createApp(policy: RobotPolicy): Koa {
  const started = performance.now();
  let acts = 0;
  const app = new Koa();

  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; message?: string; type?: string };
      if (e.status && e.status < 500) {
        ctx.status = e.status;
        ctx.body = { detail: e.type === 'entity.parse.failed' ? 'invalid JSON body' : e.message };
        return;
      }
      ctx.status = 500;
      ctx.body = { detail: e.message ?? String(err) };
      log('error', 'request failed', { path: ctx.path, error: e.message ?? String(err) });
    }
  });
  // Two 84×84 images are ~57 KB of base64; leave room for bigger cameras.
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '8mb' }));

  const router = new Router();
  router.get('/health', (ctx) => {
    ctx.body = {
      status: 'healthy',
      model_loaded: policy.modelLoaded,
      uptime_seconds: (performance.now() - started) / 1000,
      max_concurrent_episodes: policy.maxConcurrentEpisodes,
    };
  });

  router.post('/reset', async (ctx) => {
    const body = ctx.request.body as { task_config?: unknown } | undefined;
    const raw = body?.task_config ?? {};
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      ctx.status = 422;
      ctx.body = { detail: [{ loc: ['body', 'task_config'], msg: 'Input should be a valid dictionary', type: 'dict_type' }] };
      return;
    }
    const taskConfig = raw as TaskConfig;
    const episodeId = await policy.reset(taskConfig);
    log('info', 'reset', { env_id: taskConfig.env_id ?? null, episode_id: episodeId });
    ctx.body = { status: 'ok', episode_id: episodeId ?? null };
  });

  router.post('/act', async (ctx) => {
    const t0 = performance.now();
    const body = ctx.request.body as { obs?: unknown } | undefined;
    let observation;
    try {
      observation = parseObservation(body?.obs);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      ctx.status = 422;
      ctx.body = { detail: err.issues };
      return;
    }
    const action = toAction(await policy.act(observation));
    ctx.body = { action };
    acts += 1;
    const ms = performance.now() - t0;
    if (acts % 100 === 0 || ms > SLOW_ACT_MS) log(ms > SLOW_ACT_MS ? 'warning' : 'info', 'act', { requests: acts, ms: Math.round(ms * 10) / 10 });
  });

  app.use(router.routes()).use(router.allowedMethods());
  return app;
}

async function main(): Promise<void> {
  const policy = new RobotPolicy();
  await policy.load();
  // noDelay: answers leave at once instead of waiting on Nagle's algorithm for the client's ACK
  // (which can add ~40 ms per call). Node's default, spelled out because it matters that much.
  const server = http.createServer({ noDelay: true }, createApp(policy).callback());
  // Validators keep connections open across an episode's steps.
  server.keepAliveTimeout = 60_000;
  server.listen(PORT, HOST, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : PORT;
    log('info', 'policy server listening', { host: HOST, port, url: `http://${HOST === '0.0.0.0' ? '127.0.0.1' : HOST}:${port}` });
  });
  const stop = (signal: string) => {
    log('info', 'shutting down', { signal });
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

// Run when started directly (npm start), not when imported (e.g. by your own tests).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
