/**
 * A miner policy server with the original template's protocol (docs/original.md §6): `GET /health`,
 * `POST /reset {"task_config": {...}}` → `{"status": "ok", "episode_id"}`, and
 * `POST /act {"obs": Observation}` → `{"action": Action}`. Used by `kinitro serve-policy`, the demo
 * miners of `kinitro start`, and tests.
 *
 * Concurrent episodes (opt-in): `/health` declares `max_concurrent_episodes`, and the executor then
 * sends its episode id in `/reset` (`task_config.episode_id`) and in every observation
 * (`obs.extra.episode_id`). A policy that keeps episodes apart itself (`concurrentEpisodes`) gets
 * every call; otherwise each episode id gets its own instance from `createPolicy`. Without a way to
 * keep episodes apart the server declares nothing, and executors send it one episode at a time.
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
    .object({
      env_id: z.string().optional(),
      env_name: z.string().optional(),
      task_name: z.string().optional(),
      seed: z.number().optional(),
      task_id: z.number().optional(),
      episode_id: z.string().optional(),
    })
    .loose()
    .default({}),
});

export interface PolicyServerOptions {
  /** The policy (the only instance, or the first, see `createPolicy`). */
  policy: Policy;
  /**
   * Builds one more instance, for policies that do not keep concurrent episodes apart themselves:
   * each episode id then gets an instance of its own.
   */
  createPolicy?: () => Policy;
  /**
   * Episodes declared in `GET /health` as `max_concurrent_episodes` (default 8 when episodes can be
   * kept apart, else nothing is declared and the server runs one episode at a time).
   */
  maxConcurrentEpisodes?: number;
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

/** Episodes remembered per server beyond the declared capacity (finished ones are never announced). */
const EPISODE_MEMORY_FACTOR = 4;

export async function startPolicyServer(options: PolicyServerOptions): Promise<RunningPolicyServer> {
  const { policy } = options;
  const logger = options.logger ?? silentLogger;
  const started = Date.now();
  let episode = 0;
  const separable = policy.concurrentEpisodes === true || options.createPolicy !== undefined;
  const capacity = separable ? Math.max(1, options.maxConcurrentEpisodes ?? 8) : null;
  /** Per-episode instances by episode id, least recently used first (only with `createPolicy`). */
  const instances = new Map<string, Policy>();
  /** The instance of the latest reset: calls without an episode id go to it (one episode at a time). */
  let latest = policy;
  const instanceFor = (episodeId: unknown): Policy => {
    if (policy.concurrentEpisodes || !options.createPolicy || typeof episodeId !== 'string') return latest;
    const found = instances.get(episodeId);
    if (!found) return latest;
    instances.delete(episodeId);
    instances.set(episodeId, found);
    return found;
  };
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
    ctx.body = {
      status: 'healthy',
      model_loaded: true,
      uptime_seconds: (Date.now() - started) / 1000,
      ...(capacity !== null ? { max_concurrent_episodes: capacity } : {}),
    };
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
    const episodeId = typeof tc.episode_id === 'string' && tc.episode_id.length > 0 && tc.episode_id.length <= 128 ? tc.episode_id : undefined;
    let target = policy;
    if (!policy.concurrentEpisodes && options.createPolicy && episodeId !== undefined) {
      target = instances.get(episodeId) ?? options.createPolicy();
      instances.delete(episodeId);
      instances.set(episodeId, target);
      while (instances.size > EPISODE_MEMORY_FACTOR * (capacity ?? 1)) {
        const [oldest, old] = instances.entries().next().value!;
        instances.delete(oldest);
        if (old !== policy) void old.close?.();
      }
    }
    latest = target;
    await target.reset({
      task: { env_id: tc.env_id ?? '', env_name: tc.env_name ?? '', task_name: tc.task_name ?? '' },
      episodeSeed: (Number.parseInt(randomBytes(4).toString('hex'), 16) ^ episode) >>> 0,
      ...(episodeId !== undefined ? { episodeId } : {}),
    });
    ctx.body = { status: 'ok', episode_id: episodeId ?? randomBytes(8).toString('hex') };
  });
  router.post('/act', async (ctx) => {
    const body = ctx.request.body as { obs?: unknown } | undefined;
    const parsed = observationSchema.safeParse(body?.obs);
    if (!parsed.success) {
      ctx.status = 422;
      ctx.body = { detail: parsed.error.issues.map((i) => ({ loc: ['body', 'obs', ...i.path.map(String)], msg: i.message, type: i.code })) };
      return;
    }
    const observation = parsed.data as Observation;
    let action = await instanceFor(observation.extra.episode_id).act(observation);
    if (options.transformAction) action = options.transformAction(action);
    ctx.body = { action };
  });
  app.use(router.routes()).use(router.allowedMethods());
  // Node's HTTP server sends with TCP_NODELAY (the default since Node 18): no Nagle delay on replies.
  const server = http.createServer({ noDelay: true }, app.callback());
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
      }).then(async () => {
        await Promise.allSettled([...instances.values()].filter((p) => p !== policy).map((p) => p.close?.()));
        instances.clear();
      }),
  };
}
