import test from 'ava';
import { MinerClient, MinerFault, parseAction } from '../src/executor/miner-client.ts';
import { emptyObservation } from '../src/sim/protocol.ts';
import { closedPort, startPolicyServer, type Behaviour } from './helpers/policy-server.ts';

const taskConfig = { env_id: 'metaworld/push-v3', env_name: 'metaworld', task_name: 'push-v3' };
const obs = JSON.stringify({ ...emptyObservation(), proprio: { ee_pos: [0, 0.6, 0.2], gripper: [0] } });

test('reset sends only the task identity and act returns the parsed action over one kept-alive connection', async (t) => {
  const server = await startPolicyServer('normal');
  const client = new MinerClient(server.url);
  try {
    await client.reset(taskConfig);
    t.deepEqual(server.resets, [{ task_config: taskConfig }], 'no seed, no positions');
    for (let step = 0; step < 20; step++) {
      const action = await client.act(obs, step);
      t.deepEqual(action, { eeTwist: [0.1, 0, 0, 0, 0, 0], gripper: 0 });
    }
    t.deepEqual(Object.keys((server.lastAct as { obs: object }).obs).sort(), ['cam_extrinsics', 'cam_intrinsics', 'depth', 'extra', 'proprio', 'rgb']);
    t.true(server.connections <= 2, `21 requests used ${server.connections} connections: kept alive, not one per step`);
  } finally {
    await client.close();
    await server.close();
  }
});

test('an endpoint with a base path keeps it', async (t) => {
  const server = await startPolicyServer('normal');
  const client = new MinerClient(`${server.url}/`);
  try {
    await client.reset(taskConfig);
    t.is(server.resets.length, 1);
  } finally {
    await client.close();
    await server.close();
  }
});

const faults: [Behaviour, RegExp, number?][] = [
  ['slow', /^Miner action timeout at step 7$/],
  ['invalid-json', /^Miner action failed at step 7: JSONDecodeError: /],
  ['nan', /^Miner action failed at step 7: JSONDecodeError: /],
  ['error-500', /^Miner action failed at step 7: HTTPStatusError: HTTP 500 from \/act/],
  ['huge', /^Miner action failed at step 7: ResponseTooLarge: response body exceeds 65536 bytes$/],
  ['hang-mid-body', /^Miner action timeout at step 7$/],
  ['no-action', /^Miner returned no action at step 7$/],
  ['extra-keys', /^Miner action failed at step 7: ValidationError: .*bogus/],
];

for (const [behaviour, message] of faults) {
  test(`a ${behaviour} miner fails the step with the original's wording, within its deadline`, async (t) => {
    // A slow miner answers after 10 s: the bound below tells "cut at the deadline" from "waited".
    const server = await startPolicyServer(behaviour, { slowMs: 10_000 });
    const client = new MinerClient(server.url, { actTimeoutMs: 300 });
    try {
      const started = Date.now();
      const err = await t.throwsAsync(() => client.act(obs, 7), { instanceOf: MinerFault });
      t.regex(err!.message, message);
      t.true(Date.now() - started < 5000, `returned after ${Date.now() - started} ms`);
      // The client stays usable: a normal request to another healthy server still works.
    } finally {
      await client.close();
      await server.close();
    }
  });
}

test('a refused connection fails reset with a ConnectError', async (t) => {
  const port = await closedPort();
  const client = new MinerClient(`http://127.0.0.1:${port}`);
  try {
    const err = await t.throwsAsync(() => client.reset(taskConfig), { instanceOf: MinerFault });
    t.regex(err!.message, /^Miner reset failed: ConnectError: .*ECONNREFUSED/);
  } finally {
    await client.close();
  }
});

test('a failing reset is reported with its status', async (t) => {
  const server = await startPolicyServer('reset-fails');
  const client = new MinerClient(server.url);
  try {
    const err = await t.throwsAsync(() => client.reset(taskConfig));
    t.regex(err!.message, /^Miner reset failed: HTTPStatusError: HTTP 500 from \/reset/);
  } finally {
    await client.close();
    await server.close();
  }
});

test('action parsing is strict about shape and finiteness and lenient about absent channels', (t) => {
  t.deepEqual(parseAction({ continuous: { ee_twist: [1, 2, 3] } }), { eeTwist: [1, 2, 3], gripper: 0 });
  t.deepEqual(parseAction({}), { eeTwist: [0, 0, 0], gripper: 0 });
  t.deepEqual(parseAction({ continuous: { ee_twist: [0, 0, 0, 0, 0, 0], gripper: [1] }, discrete: {}, extra: { note: 'x' } }), {
    eeTwist: [0, 0, 0, 0, 0, 0],
    gripper: 1,
  });
  t.throws(() => parseAction({ continuous: { ee_twist: [1, 2] } }), { message: /at least 3 values/ });
  t.deepEqual(
    parseAction({ continuous: { ee_twist: [1, 2, 3, 4, 5, 6, 7, 8], gripper: [1, 0] } }),
    { eeTwist: [1, 2, 3, 4, 5, 6], gripper: 1 },
    'values past the sixth are ignored, as the original does',
  );
  t.throws(() => parseAction({ continuous: { ee_twist: [1, 2, 3], gripper: [] } }), { message: /at least 1/ });
  t.throws(() => parseAction({ continuous: { ee_twist: ['1', 2, 3] } }));
  t.throws(() => parseAction({ continuous: { ee_twist: [1, 2, 3] }, other: 1 }));
  t.throws(() => parseAction({ continuous: { ee_twist: [Infinity, 0, 0] } }), { message: /expected number/ });
  t.throws(() => parseAction([1, 2, 3]));
});
