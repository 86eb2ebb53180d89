/**
 * The act deadline measures the miner, not us: when our own thread is stalled past a deadline while
 * the miner's answer is already waiting in the socket, the answer is taken (one I/O poll of grace);
 * a miner that really is late still times out.
 */
import test from 'ava';
import { MinerClient, MinerFault } from '../src/executor/miner-client.ts';
import { emptyObservation } from '../src/sim/protocol.ts';
import { startPolicyServer } from './helpers/policy-server.ts';

const obs = JSON.stringify(emptyObservation());

function busyWait(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* a stalled event loop: a long render batch, a model compile, a descheduled thread */
  }
}

async function untilReceived(server: { acts: number }, n: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (server.acts < n) {
    if (Date.now() > deadline) throw new Error('the request never reached the server');
    await new Promise((r) => setImmediate(r));
  }
}

test.serial('an answer that arrived while our thread was stalled past the deadline is accepted', async (t) => {
  const server = await startPolicyServer('normal');
  const client = new MinerClient(server.url, { actTimeoutMs: 200 });
  try {
    await client.act(obs, 0); // connect outside the measured call
    const pending = client.act(obs, 1);
    await untilReceived(server, 2);
    busyWait(400); // the server answers within a millisecond; we only look after 400 ms
    const action = await pending;
    t.deepEqual(action.eeTwist, [0.1, 0, 0, 0, 0, 0]);
  } finally {
    await client.close();
    await server.close();
  }
});

test.serial('a miner that is really late still times out, stall or not', async (t) => {
  const server = await startPolicyServer('slow', { slowMs: 6000 });
  const client = new MinerClient(server.url, { actTimeoutMs: 200 });
  try {
    const pending = client.act(obs, 4);
    await untilReceived(server, 1);
    busyWait(400);
    const started = Date.now();
    const err = await t.throwsAsync(pending, { instanceOf: MinerFault });
    t.is(err!.message, 'Miner action timeout at step 4');
    // The reply is still ~5.6 s away when the stall ends: a bound of 3 s tells "timed out at once" from
    // "waited for it" with seconds of margin for a loaded box.
    t.true(Date.now() - started < 3000, 'no waiting for the reply still ~5.6 s away once the stall ends');
  } finally {
    await client.close();
    await server.close();
  }
});
