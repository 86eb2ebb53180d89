/**
 * The miner I/O thread: every HTTP exchange with miners, and nothing else. Each executor worker
 * starts one (miner-link.ts) and sends it the serialized observations; the simulation, the
 * rendering and the encoding stay in the worker. Because this thread's event loop is idle between
 * exchanges, it writes each request as soon as it is asked to and reads each response when it
 * arrives, so the latency it measures (request written → response read, see miner-client.ts) is the
 * miner's, however busy the worker is. Started through miner-io-bootstrap.mjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MinerClient, MinerFault } from './miner-client.ts';
import { publicOnlyLookup } from './public-lookup.ts';
import type { FromMinerIo, MinerIoConfig, ToMinerIo } from './miner-io-protocol.ts';

if (!parentPort) throw new Error('miner-io.ts must run inside a worker thread');
const port = parentPort;
const config = workerData as MinerIoConfig;
const post = (message: FromMinerIo) => port.postMessage(message);

const CLIENT_IDLE_MS = 60_000;
const LOAD_INTERVAL_MS = 1000;

interface Entry {
  client: MinerClient | null;
  /** Why no client could be built (a malformed endpoint), reported like an unreachable miner. */
  broken: string | null;
  lastUsed: number;
  inFlight: number;
}
const clients = new Map<string, Entry>();

function clientFor(endpoint: string, publicOnly: boolean): Entry {
  const key = `${publicOnly ? 'public' : 'any'} ${endpoint}`;
  let entry = clients.get(key);
  if (!entry) {
    try {
      const client = new MinerClient(endpoint, {
        actTimeoutMs: config.actTimeoutMs,
        resetTimeoutMs: config.resetTimeoutMs,
        // One connection per concurrent episode: an episode never queues behind another one's request.
        connections: config.connections,
        ...(publicOnly ? { lookup: publicOnlyLookup } : {}),
      });
      entry = { client, broken: null, lastUsed: Date.now(), inFlight: 0 };
    } catch (err) {
      entry = { client: null, broken: (err as Error).message, lastUsed: Date.now(), inFlight: 0 };
    }
    clients.set(key, entry);
  }
  entry.lastUsed = Date.now();
  return entry;
}

const sweep = setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of clients) {
    if (entry.inFlight === 0 && now - entry.lastUsed > CLIENT_IDLE_MS) {
      clients.delete(key);
      void entry.client?.close();
    }
  }
}, CLIENT_IDLE_MS / 2);
sweep.unref();

// How late this thread runs: the executor admits fewer episodes when it cannot keep up.
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const loadTimer = setInterval(() => {
  post({ type: 'load', p99LagMs: lag.percentile(99) / 1e6, maxLagMs: lag.max / 1e6, activeMs: performance.eventLoopUtilization().active });
  lag.reset();
}, LOAD_INTERVAL_MS);
loadTimer.unref();

async function call(message: Extract<ToMinerIo, { type: 'call' }>): Promise<void> {
  const entry = clientFor(message.endpoint, message.publicOnly);
  const client = entry.client;
  if (!client) {
    const text =
      message.op === 'reset'
        ? `Miner reset failed: InvalidURL: ${entry.broken}`
        : message.op === 'act'
          ? `Miner action failed at step ${message.step}: InvalidURL: ${entry.broken}`
          : 'unreachable';
    post({ type: 'done', id: message.id, ok: false, message: text, latencyMs: null });
    return;
  }
  entry.inFlight += 1;
  try {
    if (message.op === 'act') {
      const r = await client.timedAct(message.body, message.step);
      post({ type: 'done', id: message.id, ok: true, latencyMs: r.latencyMs, stalled: r.stalled, value: r.action });
    } else if (message.op === 'reset') {
      const r = await client.reset(message.config);
      post({ type: 'done', id: message.id, ok: true, latencyMs: r.latencyMs, stalled: r.stalled, value: null });
    } else {
      const started = performance.now();
      const health = await client.health();
      post({ type: 'done', id: message.id, ok: true, latencyMs: performance.now() - started, stalled: false, value: health });
    }
  } catch (err) {
    if (err instanceof MinerFault) post({ type: 'done', id: message.id, ok: false, message: err.message, latencyMs: err.latencyMs });
    else post({ type: 'done', id: message.id, ok: false, message: `Miner call failed: ${(err as Error).message}`, latencyMs: null });
  } finally {
    entry.inFlight -= 1;
    entry.lastUsed = Date.now();
  }
}

port.on('message', (message: ToMinerIo) => {
  if (message.type === 'call') void call(message);
  else if (message.type === 'close') {
    clearInterval(sweep);
    clearInterval(loadTimer);
    lag.disable();
    void Promise.allSettled([...clients.values()].map((e) => e.client?.close())).then(() => {
      post({ type: 'closed' });
      port.close();
    });
  }
});
