import test from 'ava';
import { MinerClient } from '../src/executor/miner-client.ts';
import { startDemoMiners } from '../src/miner/demo.ts';
import { createMinerPolicy, MINER_POLICIES } from '../src/miner/policies/index.ts';
import { emptyObservation } from '../src/sim/protocol.ts';
import { runCli, spawnCli, waitForOutput } from './helpers/cli.ts';

const task = { env_id: 'metaworld/reach-v3', env_name: 'metaworld', task_name: 'reach-v3' };
const observation = { ...emptyObservation(), proprio: { ee_pos: [0, 0.6, 0.155], ee_quat: [0, 0, 0, 1], ee_vel_lin: [0, 0, 0], ee_vel_ang: [0, 0, 0], gripper: [0] } };

test('kinitro serve-policy serves a reference policy over the miner protocol and stops on SIGTERM', async (t) => {
  const { child } = spawnCli(['serve-policy', '--policy', 'random', '--port', '0', '--log-level', 'silent']);
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const url = (await waitForOutput(child, /listening on (http:\/\/127\.0\.0\.1:\d+)/, 20_000))[1]!;
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
