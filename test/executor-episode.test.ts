/**
 * The episode runner on its own (no worker threads): flow, sticky success, deadlines and the
 * miner/executor failure taxonomy, against real loopback policy servers and the kinematic backend.
 */
import test from 'ava';
import type { EpisodeEnvironment } from '../src/executor/environment.ts';
import { observationJson, runEpisode, type EpisodeDeps } from '../src/executor/episode.ts';
import { CameraRenderer } from '../src/sim/render/index.ts';
import { loadRenderFixture } from './fixtures/render-scene.ts';
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
  const task: ExecutorTask = {
    taskUuid: 'u1',
    minerUid: 1,
    minerEndpoint: server.url,
    envId: 'metaworld/reach-v3',
    seed: 0,
    instance: labelInstance(0),
    untrustedEndpoint: false,
  };
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
    const configs = server.resets.map((r) => (r as { task_config: Record<string, unknown> }).task_config);
    // Each /reset also carries a fresh episode id (checked on its own elsewhere); the names are the point here.
    t.true(configs.every((c) => typeof c.episode_id === 'string'));
    t.deepEqual(
      configs.map(({ episode_id: _, ...rest }) => rest),
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
    // Only the miner's own time counts against this deadline (the wall-time limit is out of the way).
    const { deps, task, client } = await setup(server, { episodeTimeoutMs: 300, episodeWallTimeoutMs: 60_000, maxSteps: 100 });
    const outcome = await runEpisode(task, deps);
    t.like(outcome, { success: false, score: 0, error: 'Evaluation timeout after 0.3s', fault: 'miner', timesteps: 0, totalReward: 0 });
    // About 7 steps of 40 ms fit in 300 ms; a loaded box may spend it all on /reset (step 0), never on 100 steps.
    t.true(outcome.stepsRun < 20, `cut at step ${outcome.stepsRun} of 100`);
    await client.close();
  } finally {
    await server.close();
  }
});

test("an episode made long by our own slowness is an executor fault (retried), never the miner's timeout", async (t) => {
  const server = await startPolicyServer('normal', { action: () => ({ continuous: { ee_twist: [0, 0, 0] } }) });
  try {
    // Every step of the simulator takes 150 ms (a stalled executor); the miner answers at once.
    const slowStep = (env: EpisodeEnvironment): EpisodeEnvironment =>
      new Proxy(env, {
        get(target, prop) {
          if (prop !== 'step') {
            const value = Reflect.get(target, prop) as unknown;
            return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
          }
          return (action: Parameters<EpisodeEnvironment['step']>[0]) => {
            const end = performance.now() + 150;
            while (performance.now() < end) {
              /* our stall */
            }
            return target.step(action);
          };
        },
      });
    // The miner's own budget is far away; the wall-time limit is what an executor this slow runs into.
    const { deps, task, client } = await setup(server, { episodeTimeoutMs: 60_000, episodeWallTimeoutMs: 200, maxSteps: 100 }, slowStep);
    const outcome = await runEpisode(task, deps);
    t.is(outcome.fault, 'executor', outcome.error ?? '');
    t.regex(outcome.error!, /^Executor too slow: episode ran \d+ s with \d+ s of miner time$/);
    t.true(outcome.stepsRun < 10, 'cut early, not run to its 100 steps');
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

test('the hand-written observation JSON is exactly what JSON.stringify writes, episode id included', async (t) => {
  const scene = await loadRenderFixture();
  const renderer = new CameraRenderer({ backend: 'ts' });
  try {
    const proprio = { ee_pos: [0.1, 0.6, 0.2], gripper: [0.5] };
    for (let frame = 0; frame < 3; frame++) {
      // The second and third frames reuse the calibration's text; the third after the camera changed.
      if (frame === 2) scene.model.cam_fovy[scene.camId('corner')] = 50;
      scene.data.mocap_pos[0] += 0.02;
      scene.forward();
      const views = renderer.observeWire([scene])[0]!;
      const expected = JSON.stringify({
        rgb: views.rgb,
        depth: {},
        proprio,
        cam_intrinsics: views.cam_intrinsics,
        cam_extrinsics: views.cam_extrinsics,
        extra: { episode_id: 'ep-1' },
      });
      t.is(observationJson(views, proprio, 'ep-1'), expected, `frame ${frame}`);
      const { json: _json, ...plain } = views;
      t.is(observationJson(plain, proprio, 'ep-1'), expected, 'without the pre-written parts too');
    }
  } finally {
    renderer.destroy();
    scene.close();
  }
});
