/**
 * The miner I/O thread (miner-io.ts) through its worker-side link: calls, timing, the capacity probe,
 * and what happens when the thread itself is lost (our fault, never the miner's).
 */
import test from 'ava';
import { MinerLink, MinerIoLost } from '../src/executor/miner-link.ts';
import { MinerFault } from '../src/executor/miner-client.ts';
import { runEpisode } from '../src/executor/episode.ts';
import { RenderBatcher } from '../src/executor/render-batcher.ts';
import { DEFAULT_EPISODE_SETTINGS } from '../src/executor/types.ts';
import { emptyObservation } from '../src/sim/protocol.ts';
import { createBackend } from './helpers/kinematic-backend.ts';
import { labelInstance } from './helpers/instances.ts';
import { startPolicyServer } from './helpers/policy-server.ts';
import { waitFor } from './helpers/store.ts';

// Deadlines far above a loaded box's worst scheduling delay: this file tests the thread's plumbing, not timing.
const config = { actTimeoutMs: 20_000, resetTimeoutMs: 20_000, connections: 4 };
const obs = JSON.stringify({ ...emptyObservation(), extra: { episode_id: 'e1' } });

test('calls go through the thread: reset with the episode id, timed actions, the declared capacity', async (t) => {
  const server = await startPolicyServer('normal', { capacity: 6 });
  const link = new MinerLink(config);
  try {
    const port = link.port(server.url, false);
    const reset = await port.reset({ env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3', episode_id: 'e1' });
    t.true(reset.latencyMs > 0);
    t.deepEqual(server.resets, [{ task_config: { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3', episode_id: 'e1' } }]);
    const answer = await port.timedAct(obs, 0);
    t.deepEqual(answer.action, { eeTwist: [0.1, 0, 0, 0, 0, 0], gripper: 0 });
    t.true(answer.latencyMs > 0);
    t.is(answer.stalled, false);
    t.deepEqual(server.actEpisodeIds, ['e1']);
    t.deepEqual(await port.health(), { maxConcurrentEpisodes: 6 });
    const err = await t.throwsAsync(link.port('http://127.0.0.1:1', false).timedAct(obs, 3), { instanceOf: MinerFault });
    t.regex(err!.message, /^Miner action failed at step 3: ConnectError/);
  } finally {
    await link.close();
    await server.close();
  }
});

test('a lost I/O thread fails its calls in flight as our fault (an executor fault), and the next call gets a new thread', async (t) => {
  const server = await startPolicyServer('slow', { slowMs: 3000 });
  const fast = await startPolicyServer('normal');
  const link = new MinerLink(config);
  try {
    const pending = link.port(server.url, false).timedAct(obs, 0);
    await waitFor(() => server.acts === 1, { what: 'the request reached the miner' });
    await link.terminate();
    const err = await t.throwsAsync(pending);
    t.true(err instanceof MinerIoLost, String(err));
    t.false(err instanceof MinerFault, "not the miner's fault");
    const again = await link.port(fast.url, false).timedAct(obs, 1);
    t.is(again.action.gripper, 0);

    // Through the episode runner: an executor fault, retried rather than scored.
    const backend = await createBackend();
    const env = await backend.createEnvironment('metaworld/reach-v3', labelInstance(0));
    const batcher = new RenderBatcher(backend.renderer);
    const episode = runEpisode(
      { taskUuid: 'u', minerUid: 1, minerEndpoint: server.url, envId: 'metaworld/reach-v3', seed: 0, instance: labelInstance(0), untrustedEndpoint: false },
      {
        env,
        miner: link.port(server.url, false),
        render: (s) => batcher.render(s),
        checkEndpoint: async () => {},
        settings: { ...DEFAULT_EPISODE_SETTINGS, actTimeoutMs: 5000 },
      },
    );
    await waitFor(() => server.acts === 2, { what: "the episode's first act in flight" });
    await link.terminate();
    const outcome = await episode;
    t.is(outcome.fault, 'executor');
    t.regex(outcome.error!, /^Executor error: MinerIoLost: miner I\/O thread exited/);
  } finally {
    await link.close();
    await server.close();
    await fast.close();
  }
});
