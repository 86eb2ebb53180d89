/**
 * Real loopback policy servers speaking the miner protocol, with the misbehaviours the executor must
 * survive. Written with plain node:http so they are independent of our own miner kit.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour = 'normal' | 'slow' | 'invalid-json' | 'nan' | 'error-500' | 'huge' | 'hang-mid-body' | 'no-action' | 'extra-keys' | 'reset-fails';

export interface PolicyServer {
  url: string;
  port: number;
  resets: unknown[];
  acts: number;
  /** `GET /health` requests received. */
  healthChecks: number;
  /** Most `/act` requests being answered at once (received, reply not yet sent). */
  peakInFlight: number;
  /** `obs.extra.episode_id` of every `/act`, in arrival order (undefined when absent). */
  actEpisodeIds: (string | undefined)[];
  /** Bodies of the requests received, for protocol checks. */
  lastAct: unknown;
  connections: number;
  close(): Promise<void>;
}

export async function startPolicyServer(
  behaviour: Behaviour = 'normal',
  options: { action?: (obs: any) => unknown; slowMs?: number; /** Declared in /health as max_concurrent_episodes. */ capacity?: number } = {},
): Promise<PolicyServer> {
  const state = {
    resets: [] as unknown[],
    acts: 0,
    lastAct: undefined as unknown,
    connections: 0,
    healthChecks: 0,
    inFlight: 0,
    peakInFlight: 0,
    actEpisodeIds: [] as (string | undefined)[],
  };
  /** Pending replies of a slow miner, cancelled on close so a long delay never outlives the test. */
  const replies = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.method === 'GET' && req.url === '/health') {
        state.healthChecks += 1;
        return json(200, {
          status: 'healthy',
          model_loaded: true,
          uptime_seconds: 1,
          ...(options.capacity !== undefined ? { max_concurrent_episodes: options.capacity } : {}),
        });
      }
      if (req.method === 'POST' && req.url === '/reset') {
        state.resets.push(JSON.parse(body));
        if (behaviour === 'reset-fails') return json(500, { detail: 'policy exploded' });
        return json(200, { status: 'ok', episode_id: 'ep' });
      }
      if (req.method === 'POST' && req.url === '/act') {
        state.acts += 1;
        state.lastAct = JSON.parse(body);
        const obs = (state.lastAct as { obs: { extra?: { episode_id?: string } } }).obs;
        state.actEpisodeIds.push(obs?.extra?.episode_id);
        state.inFlight += 1;
        state.peakInFlight = Math.max(state.peakInFlight, state.inFlight);
        res.once('finish', () => (state.inFlight -= 1));
        res.once('close', () => {
          if (!res.writableFinished) state.inFlight -= 1;
        });
        const action = options.action ? options.action(obs) : { continuous: { ee_twist: [0.1, 0, 0, 0, 0, 0], gripper: [0] } };
        switch (behaviour) {
          case 'slow': {
            const timer = setTimeout(() => {
              replies.delete(timer);
              json(200, { action });
            }, options.slowMs ?? 2000);
            replies.add(timer);
            return;
          }
          case 'invalid-json':
            res.writeHead(200, { 'content-type': 'application/json' });
            return res.end('{"action": {"continuous": ');
          case 'nan':
            res.writeHead(200, { 'content-type': 'application/json' });
            // What Python's json.dumps emits for float('nan').
            return res.end('{"action": {"continuous": {"ee_twist": [NaN, 0, 0, 0, 0, 0], "gripper": [0]}}}');
          case 'error-500':
            return json(500, { detail: 'boom' });
          case 'huge':
            return json(200, { action, padding: 'x'.repeat(5_000_000) });
          case 'hang-mid-body':
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
            res.write('{"action": {"continuous": {"ee_tw');
            return; // never finishes
          case 'no-action':
            return json(200, { result: 'ok' });
          case 'extra-keys':
            return json(200, { action: { continuous: { ee_twist: [0, 0, 0, 0, 0, 0] }, bogus: 1 } });
          default:
            return json(200, { action });
        }
      }
      json(404, { detail: 'Not Found' });
    });
  });
  server.on('connection', () => (state.connections += 1));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get resets() {
      return state.resets;
    },
    get acts() {
      return state.acts;
    },
    get lastAct() {
      return state.lastAct;
    },
    get connections() {
      return state.connections;
    },
    get healthChecks() {
      return state.healthChecks;
    },
    get peakInFlight() {
      return state.peakInFlight;
    },
    get actEpisodeIds() {
      return state.actEpisodeIds;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of replies) clearTimeout(timer);
        replies.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port with nothing listening (bound then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
