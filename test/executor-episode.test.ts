/**
 * The episode runner on its own (no worker threads): flow, sticky success, deadlines and the
 * miner/executor failure taxonomy, against real loopback policy servers and the kinematic backend.
 */
import test from 'ava';
import type { EpisodeEnvironment } from '../src/executor/environment.ts';
import { runEpisode, type EpisodeDeps } from '../src/executor/episode.ts';
import { checkEndpoint } from '../src/executor/endpoint-policy.ts';
import { MinerClient } from '../src/executor/miner-client.ts';
import { publicOnlyLookup } from '../src/executor/public-lookup.ts';
import { RenderBatcher } from '../src/executor/render-batcher.ts';
import { DEFAULT_EPISODE_SETTINGS, type EpisodeSettings, type ExecutorTask } from '../src/executor/types.ts';
import { createBackend } from './helpers/kinematic-backend.ts';
import { startPolicyServer, type PolicyServer } from './helpers/policy-server.ts';
import { labelInstance } from './helpers/instances.ts';

const forward = () => ({ continuous: { ee_twist: [0.5, 0, 0, 0, 0, 0], gripper: [0] } });

async function setup(server: PolicyServer, settings: Partial<EpisodeSettings> = {}, patchEnv?: (env: EpisodeEnvironment) => EpisodeEnvironment) {
  const backend = await createBackend();
  const batcher = new RenderBatcher(backend.renderer);
  const env = await backend.createEnvironment('metaworld/reach-v3', labelInstance(0));
  const client = new MinerClient(server.url, { actTimeoutMs: settings.actTimeoutMs ?? 2000 });
  const deps: EpisodeDeps = {
    env: patchEnv ? patchEnv(env) : env,
    miner: client,
    render: (scene) => batcher.render(scene),
    checkEndpoint: (endpoint) => checkEndpoint(endpoint, { allowPrivate: false }),
    settings: { ...DEFAULT_EPISODE_SETTINGS, actTimeoutMs: 2000, ...settings },
  };
  const task: ExecutorTask = { taskUuid: 'u1', minerUid: 1, minerEndpoint: server.url, envId: 'metaworld/reach-v3', seed: 0, instance: labelInstance(0), untrustedEndpoint: false };
  return { deps, task, client, batcher };
}

test('ends at the first success by default; runs on with sticky success when asked to', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  try {
    const a = await setup(server);
    const ended = await runEpisode(a.task, a.deps);
    t.like(ended, { success: true, score: 1, error: null, fault: null, timesteps: 7 });
    t.is(ended.actionCount, 7);
    // Without endOnSuccess the hand overshoots the goal and leaves it, but success stays.
    const b = await setup(server, { endOnSuccess: false, maxSteps: 30 });
    const full = await runEpisode(b.task, b.deps);
    t.like(full, { success: true, score: 1, timesteps: 30, stepsRun: 30 });
    t.true(full.totalReward < ended.totalReward + 30);
    await a.client.close();
    await b.client.close();
  } finally {
    await server.close();
  }
});

test('/reset names the MetaWorld task as the original does (button-press-topdown-v3, peg-insert-side-v3)', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  try {
    const { deps, task, client } = await setup(server, { maxSteps: 1 });
    for (const envId of ['metaworld/button-press-v3', 'metaworld/peg-insert-v3', 'metaworld/reach-v3']) await runEpisode({ ...task, envId }, deps);
    t.deepEqual(
      server.resets.map((r) => (r as { task_config: unknown }).task_config),
      [
        { env_id: 'metaworld/button-press-v3', env_name: 'metaworld', task_name: 'button-press-topdown-v3' },
        { env_id: 'metaworld/peg-insert-v3', env_name: 'metaworld', task_name: 'peg-insert-side-v3' },
        { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' },
      ],
    );
    await client.close();
  } finally {
    await server.close();
  }
});

test('an ee_twist with more than 6 values is accepted and its extras ignored, as the original does', async (t) => {
  const server = await startPolicyServer('normal', { action: () => ({ continuous: { ee_twist: [0.5, 0, 0, 0, 0, 0, 9, 9, 9], gripper: [0] } }) });
  try {
    const { deps, task, client } = await setup(server);
    t.like(await runEpisode(task, deps), { success: true, error: null, fault: null, timesteps: 7 });
    await client.close();
  } finally {
    await server.close();
  }
});

test('the overall deadline fails the episode with the original wording', async (t) => {
  const server = await startPolicyServer('slow', { action: () => ({}), slowMs: 40 });
  try {
    const { deps, task, client } = await setup(server, { episodeTimeoutMs: 300, maxSteps: 100 });
    const started = Date.now();
    const outcome = await runEpisode(task, deps);
    t.like(outcome, { success: false, score: 0, error: 'Evaluation timeout after 0.3s', fault: 'miner', timesteps: 0, totalReward: 0 });
    t.true(outcome.stepsRun > 0 && outcome.stepsRun < 20);
    t.true(Date.now() - started < 2000);
    await client.close();
  } finally {
    await server.close();
  }
});

test('simulator and renderer errors are executor faults; refused endpoints are miner faults', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  try {
    const broken = await setup(server, {}, (env) =>
      Object.assign(Object.create(Object.getPrototypeOf(env) as object), env, {
        reset: () => {
          throw new RangeError('bad scene');
        },
      }),
    );
    t.like(await runEpisode(broken.task, broken.deps), { fault: 'executor', error: 'Simulator error during reset: RangeError: bad scene' });

    const blind = await setup(server);
    blind.deps.render = () => Promise.reject(new Error('kernel lost'));
    t.like(await runEpisode(blind.task, blind.deps), { fault: 'executor', error: 'Renderer error: Error: kernel lost' });

    const refused = await setup(server);
    const outcome = await runEpisode({ ...refused.task, untrustedEndpoint: true }, refused.deps);
    t.is(outcome.fault, 'miner');
    t.regex(outcome.error!, /^Miner endpoint refused: .*non-public address 127\.0\.0\.1/);
    t.is(server.resets.length, 2, 'reset reached the miner only in the first two episodes');
    for (const s of [broken, blind, refused]) await s.client.close();
  } finally {
    await server.close();
  }
});

test('without images the observation keeps all six keys with empty cameras and nothing is rendered', async (t) => {
  let seen: any;
  const server = await startPolicyServer('normal', {
    action: (obs) => {
      seen = obs;
      return forward();
    },
  });
  try {
    const { deps, task, client, batcher } = await setup(server, { useImages: false, maxSteps: 3 });
    await runEpisode(task, deps);
    t.deepEqual(seen.rgb, {});
    t.deepEqual(seen.depth, {});
    t.deepEqual(seen.cam_intrinsics, {});
    t.deepEqual(Object.keys(seen.proprio).length, 5);
    t.is(batcher.stats.scenes, 0);
    await client.close();
  } finally {
    await server.close();
  }
});

test('a chain endpoint that passes the name check but dials a private address is refused at connect time (DNS rebinding)', async (t) => {
  const server = await startPolicyServer('normal', { action: forward });
  try {
    const { deps, task } = await setup(server);
    // The check saw a public answer; the connection's own lookup then gets loopback.
    const client = new MinerClient(`http://localhost:${server.port}`, { lookup: publicOnlyLookup });
    const outcome = await runEpisode(
      { ...task, minerEndpoint: `http://localhost:${server.port}`, untrustedEndpoint: true },
      { ...deps, miner: client, checkEndpoint: async () => {} },
    );
    t.is(outcome.fault, 'miner');
    t.regex(outcome.error!, /^Miner reset failed: EndpointRefused: miner endpoint host localhost resolves to non-public address (127\.0\.0\.1|::1)$/);
    t.is(server.resets.length, 0);
    await client.close();
  } finally {
    await server.close();
  }
});
