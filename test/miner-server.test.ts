import test from 'ava';
import { MinerClient } from '../src/executor/miner-client.ts';
import { startDemoMiners } from '../src/miner/demo.ts';
import { createMinerPolicy, MINER_POLICIES } from '../src/miner/policies/index.ts';
import { emptyObservation, type Action } from '../src/sim/protocol.ts';
import { startPolicyServer } from '../src/miner/policy-server.ts';
import type { Policy, PolicyResetInfo } from '../src/sim/policies.ts';
import { runCli, spawnCli, waitForOutput } from './helpers/cli.ts';

const task = { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' };
const observation = {
  ...emptyObservation(),
  proprio: { ee_pos: [0, 0.6, 0.155], ee_quat: [0, 0, 0, 1], ee_vel_lin: [0, 0, 0], ee_vel_ang: [0, 0, 0], gripper: [0] },
};

test('kinitro serve-policy serves a reference policy over the miner protocol and stops on SIGTERM', async (t) => {
  const { child } = spawnCli(['serve-policy', '--policy', 'random', '--port', '0', '--log-level', 'silent']);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = (await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 60_000))[1]!;
  const health = await (await fetch(`${url}/health`)).json();
  t.like(health, { status: 'healthy', model_loaded: true });

  const client = new MinerClient(url);
  try {
    await client.reset(task);
    const actions = [];
    for (let step = 0; step < 5; step++) actions.push(await client.actWith(observation, step));
    t.true(actions.every((a) => a.eeTwist.length === 6 && a.eeTwist.every((v) => Math.abs(v) <= 1) && a.gripper >= 0 && a.gripper <= 1));
    t.true(new Set(actions.map((a) => a.eeTwist[0])).size > 1, 'random actions vary');
  } finally {
    await client.close();
  }
  const bad = await fetch(`${url}/act`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ obs: { nope: 1 } }) });
  t.is(bad.status, 422);

  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  t.is(code, 0);
});

test('kinitro serve-policy rejects an unknown policy', async (t) => {
  const r = await runCli(['serve-policy', '--policy', 'oracle', '--port', '0']);
  t.is(r.code, 2);
  t.regex(r.stderr, /expected one of random, vision, vision-noisy/);
});

test('demo miners cycle vision, vision-noisy, random on loopback ports and answer the protocol', async (t) => {
  const miners = await startDemoMiners(4);
  try {
    t.deepEqual(
      miners.map((m) => [m.name, m.policy]),
      [
        ['vision', 'vision'],
        ['vision-noisy', 'vision-noisy'],
        ['random', 'random'],
        ['vision-2', 'vision'],
      ],
    );
    t.is(new Set(miners.map((m) => m.url)).size, 4);
    for (const m of miners) {
      t.regex(m.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const client = new MinerClient(m.url, { resetTimeoutMs: 5000 });
      try {
        await client.reset(task);
        const action = await client.actWith(observation, 0);
        t.is(action.eeTwist.length, 6);
      } finally {
        await client.close();
      }
    }
  } finally {
    await Promise.all(miners.map((m) => m.close()));
  }
  await t.throwsAsync(() => fetch(miners[0]!.url + '/health'), undefined, 'closed servers refuse connections');
});

test('every miner policy name builds a policy that needs no privileged state', (t) => {
  for (const name of MINER_POLICIES) {
    const policy = createMinerPolicy(name);
    t.is(policy.name, name);
    t.false(policy.needsPrivileged);
  }
  t.throws(() => createMinerPolicy('oracle' as never), { message: /unknown miner policy/ });
});

/** A policy that answers with the x of the task it was reset for (reach 0.1, push 0.2): who got which call. */
class TaskEcho implements Policy {
  readonly name = 'echo';
  readonly needsPrivileged = false;
  static instances = 0;
  private x = 0;
  constructor() {
    TaskEcho.instances += 1;
  }
  reset(info: PolicyResetInfo): void {
    this.x = info.task.env_id === 'metaworld/push-v3' ? 0.2 : 0.1;
  }
  act(): Action {
    return { continuous: { ee_twist: [this.x, 0, 0] }, discrete: {}, extra: {} };
  }
}

test("the reference server runs concurrent episodes apart by the executor's episode id, and declares how many", async (t) => {
  TaskEcho.instances = 0;
  const server = await startPolicyServer({ policy: new TaskEcho(), createPolicy: () => new TaskEcho(), maxConcurrentEpisodes: 3, port: 0 });
  const client = new MinerClient(server.url);
  try {
    t.deepEqual(await client.health(), { maxConcurrentEpisodes: 3 });
    await client.reset({ ...task, episode_id: 'a' });
    await client.reset({ env_id: 'metaworld/push-v3', env_name: 'metaworld', task_name: 'push-v3', episode_id: 'b' });
    const x = async (id?: string) => (await client.actWith({ ...observation, extra: id === undefined ? {} : { episode_id: id } }, 0)).eeTwist[0];
    t.is(await x('a'), 0.1, 'episode a is reach');
    t.is(await x('b'), 0.2, 'episode b is push');
    t.is(await x('a'), 0.1);
    t.is(await x(), 0.2, 'without an id: the latest reset, as in the original protocol');
    t.is(TaskEcho.instances, 3, 'the first instance, plus one per announced episode');
  } finally {
    await client.close();
    await server.close();
  }
  // A policy that cannot keep episodes apart, without a factory: nothing declared, one at a time.
  const single = await startPolicyServer({ policy: new TaskEcho(), port: 0 });
  const probe = new MinerClient(single.url);
  try {
    t.deepEqual(await probe.health(), { maxConcurrentEpisodes: null });
  } finally {
    await probe.close();
    await single.close();
  }
});
