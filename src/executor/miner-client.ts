/**
 * The HTTP client for one miner's policy server, byte-compatible with the original's requests
 * (docs/original.md §4.3): `POST /reset {"task_config": {env_id, env_name, task_name}}` and
 * `POST /act {"obs": …}`, plus two opt-in extensions that old miners ignore: the executor's episode
 * id (`task_config.episode_id`, `obs.extra.episode_id`) and `GET /health`'s
 * `max_concurrent_episodes`. Differences that matter: one keep-alive connection pool per miner
 * instead of a new connection per step (docs/original.md §13.8), a hard deadline per call, a cap on response size,
 * strict parsing of the returned action, and no seed in `/reset` (docs/original.md §13.9).
 *
 * Timing: a call's latency runs from the moment undici hands the request to the socket to the moment
 * the last byte of the response is read — not from when we asked for the call, which may be earlier
 * (a connection being opened, a busy thread). The executor runs these clients in a thread that does
 * nothing else (miner-io.ts), so the read happens when the bytes arrive.
 */
import type { LookupFunction } from 'node:net';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { actionSchema, type Observation, type ResetTaskConfig } from '../sim/protocol.ts';

export interface MinerClientOptions {
  /** Deadline for `/reset` (default 5 s). */
  resetTimeoutMs?: number;
  /** Deadline for each `/act` (default 0.5 s, the original's action timeout). */
  actTimeoutMs?: number;
  /** Deadline for `GET /health` (default 2 s). */
  healthTimeoutMs?: number;
  /** Largest accepted response body (default 64 KiB; an action is a few hundred bytes). */
  maxResponseBytes?: number;
  /** Keep-alive connections kept open to this miner (default 4). */
  connections?: number;
  /** DNS lookup for connections (e.g. `publicOnlyLookup`, which refuses private addresses when dialling). */
  lookup?: LookupFunction;
}

/** A parsed, validated action as the simulator consumes it. */
export interface MinerAction {
  /** 3 to 6 values (xyz, then angular); a 6-vector's angular part is ignored by MetaWorld tasks. */
  eeTwist: number[];
  gripper: number;
}

/** What `/reset` sends: the task's identity and, for miners that run episodes concurrently, our episode id. */
export interface MinerResetConfig extends ResetTaskConfig {
  episode_id?: string;
}

/** How long the miner took: request written → whole response read (ms). */
export interface CallTiming {
  latencyMs: number;
  /**
   * Our own thread was stalled when the deadline fell due, and the answer was read in the first I/O
   * poll after the stall: it may have arrived in time, so it was taken (the benefit of the doubt).
   */
  stalled: boolean;
}

export interface TimedAction extends CallTiming {
  action: MinerAction;
}

/** What a miner says about itself in `GET /health` (only what the executor uses). */
export interface MinerHealth {
  /** Episodes the miner accepts at once (declared `max_concurrent_episodes`); null when it declares nothing. */
  maxConcurrentEpisodes: number | null;
}

/** Largest capacity a miner may declare; more is read as this (the executor caps it further). */
export const MAX_DECLARED_CAPACITY = 256;

/** A miner fault: ends the episode as a failure with this exact message. */
export class MinerFault extends Error {
  override name = 'MinerFault';
  constructor(
    message: string,
    /** The miner's time spent on the failed call (ms), when it got as far as being sent. */
    readonly latencyMs: number | null = null,
  ) {
    super(message);
  }
}

/** Thrown inside the client to carry the Python-like exception type names of the original. */
class CallError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    readonly timedOut = false,
    readonly latencyMs: number | null = null,
  ) {
    super(message);
  }
}

const DEFAULTS = { resetTimeoutMs: 5000, actTimeoutMs: 500, healthTimeoutMs: 2000, maxResponseBytes: 64 * 1024, connections: 4 };
type ClientSettings = Required<Omit<MinerClientOptions, 'lookup'>> & Pick<MinerClientOptions, 'lookup'>;

/**
 * A deadline timer that runs this much later than it was due means our own thread was stalled
 * (a long task, GC, an oversubscribed CPU) around the deadline; an answer read in the poll that
 * follows is flagged `stalled` (taken with the benefit of the doubt).
 */
const STALL_GRACE_MS = 20;

const HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

interface RawResponse {
  status: number;
  body: Buffer;
  latencyMs: number;
  stalled: boolean;
}

/**
 * One HTTP exchange through undici's dispatcher API, which tells us when the request is actually
 * written (`onRequestStart`) and when the response is complete (`onResponseEnd`). The deadline runs
 * from the write; before it, the same deadline bounds connecting (a miner that does not accept
 * connections is late like one that does not answer).
 */
function exchange(pool: Pool, options: Dispatcher.DispatchOptions, timeoutMs: number, maxBytes: number): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const called = performance.now();
    let written = -1;
    let due = called + timeoutMs;
    let controller: Dispatcher.DispatchController | null = null;
    let settled = false;
    let stalled = false;
    let status = 0;
    let size = 0;
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;

    const settle = (err: CallError | null, response?: RawResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
      if (err) reject(err);
      else resolve(response!);
    };
    const latency = () => (written >= 0 ? performance.now() - written : null);
    const expire = () => {
      const error = new CallError('TimeoutException', `no complete response within ${timeoutMs} ms`, true, latency());
      controller?.abort(error);
      settle(error);
    };
    // The deadline never aborts straight from its timer: libuv runs timers before it polls for I/O,
    // so an answer that arrived while this thread was busy would still be unread. The abort waits
    // for the check phase (setImmediate), after that poll: whatever arrived by the deadline is read
    // first, and what has not arrived by then really is late.
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => {
          if (settled) return;
          if (performance.now() - due > STALL_GRACE_MS) stalled = true;
          immediate = setImmediate(expire);
        },
        Math.max(0, due - performance.now()),
      );
    };
    arm();

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) {
          c.abort(new CallError('TimeoutException', 'request abandoned', true));
          return;
        }
        // The deadline starts now, when the request goes out (undici may retry a request whose
        // kept-alive socket was found closed: each start resets it).
        written = performance.now();
        due = written + timeoutMs;
        arm();
      },
      onResponseStart(c, statusCode) {
        status = statusCode;
        if (settled) c.abort(new CallError('TimeoutException', 'late', true));
      },
      onResponseData(c, chunk) {
        size += chunk.length;
        if (size > maxBytes) {
          const error = new CallError('ResponseTooLarge', `response body exceeds ${maxBytes} bytes`, false, latency());
          c.abort(error);
          settle(error);
          return;
        }
        chunks.push(chunk);
      },
      onResponseEnd() {
        const latencyMs = performance.now() - (written >= 0 ? written : called);
        // Read after its deadline only because the abort waits for one more poll (see `arm`).
        settle(null, { status, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), latencyMs, stalled: stalled || latencyMs > timeoutMs });
      },
      onResponseError(_c, err) {
        settle(err instanceof CallError ? err : classify(err, timeoutMs, latency()));
      },
    };
    try {
      pool.dispatch(options, handler);
    } catch (err) {
      settle(classify(err, timeoutMs, null));
    }
  });
}

function classify(err: unknown, timeoutMs: number, latencyMs: number | null): CallError {
  if (err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
    return new CallError('TimeoutException', `no complete response within ${timeoutMs} ms`, true, latencyMs);
  }
  if (err instanceof undiciErrors.ConnectTimeoutError) return new CallError('ConnectTimeout', (err as Error).message, true, latencyMs);
  const code = (err as { code?: string }).code;
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.message ?? (err as Error).message;
  if (code === 'ECONNREFUSED' || cause?.code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
    return new CallError('ConnectError', detail, false, latencyMs);
  }
  return new CallError((err as Error).name || 'Error', detail, false, latencyMs);
}

export class MinerClient {
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly options: ClientSettings;

  constructor(
    readonly endpoint: string,
    options: MinerClientOptions = {},
  ) {
    const url = new URL(endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`unsupported miner endpoint scheme ${url.protocol}`);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.options = { ...DEFAULTS, ...options };
    this.pool = new Pool(url.origin, {
      connections: this.options.connections,
      keepAliveTimeout: 30_000,
      connectTimeout: Math.min(5000, this.options.resetTimeoutMs),
      pipelining: 1,
      ...(options.lookup ? { connect: { lookup: options.lookup } } : {}),
    });
  }

  /** `POST /reset`; throws MinerFault("Miner reset failed: …"). */
  async reset(taskConfig: MinerResetConfig): Promise<CallTiming> {
    const config: MinerResetConfig = { env_id: taskConfig.env_id, env_name: taskConfig.env_name, task_name: taskConfig.task_name };
    if (taskConfig.episode_id !== undefined) config.episode_id = taskConfig.episode_id;
    try {
      const { latencyMs, stalled } = await this.post('/reset', JSON.stringify({ task_config: config }), this.options.resetTimeoutMs);
      return { latencyMs, stalled };
    } catch (err) {
      const e = err as CallError;
      throw new MinerFault(`Miner reset failed: ${e.kind ?? 'Error'}: ${e.message}`, e.latencyMs ?? null);
    }
  }

  /** `POST /act` for step `t`; returns the validated action or throws MinerFault with the original's wording. */
  async act(observationJson: string, step: number): Promise<MinerAction> {
    return (await this.timedAct(observationJson, step)).action;
  }

  /** `act` with the miner's measured time. */
  async timedAct(observationJson: string, step: number): Promise<TimedAction> {
    let parsed: unknown;
    let timing: CallTiming;
    try {
      const r = await this.post('/act', `{"obs":${observationJson}}`, this.options.actTimeoutMs);
      parsed = r.value;
      timing = { latencyMs: r.latencyMs, stalled: r.stalled };
    } catch (err) {
      const e = err as CallError;
      if (e.timedOut) throw new MinerFault(`Miner action timeout at step ${step}`, e.latencyMs ?? this.options.actTimeoutMs);
      throw new MinerFault(`Miner action failed at step ${step}: ${e.kind ?? 'Error'}: ${e.message}`, e.latencyMs ?? null);
    }
    if (parsed === null || typeof parsed !== 'object' || !('action' in parsed) || (parsed as { action: unknown }).action == null) {
      throw new MinerFault(`Miner returned no action at step ${step}`, timing.latencyMs);
    }
    try {
      return { action: parseAction((parsed as { action: unknown }).action), ...timing };
    } catch (err) {
      throw new MinerFault(`Miner action failed at step ${step}: ValidationError: ${(err as Error).message}`, timing.latencyMs);
    }
  }

  /** Convenience for callers holding an Observation object. */
  actWith(observation: Observation, step: number): Promise<MinerAction> {
    return this.act(JSON.stringify(observation), step);
  }

  /**
   * `GET /health`, read for the declared capacity. Never throws: a miner without the route, or one
   * that answers garbage, declares nothing (one episode at a time, as the original protocol implies).
   */
  async health(): Promise<MinerHealth> {
    try {
      const r = await this.request('GET', '/health', null, this.options.healthTimeoutMs);
      return { maxConcurrentEpisodes: declaredCapacity(r.value) };
    } catch {
      return { maxConcurrentEpisodes: null };
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private post(path: string, body: string, timeoutMs: number): Promise<{ value: unknown; latencyMs: number; stalled: boolean }> {
    return this.request('POST', path, body, timeoutMs);
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body: string | null,
    timeoutMs: number,
  ): Promise<{ value: unknown; latencyMs: number; stalled: boolean }> {
    const res = await exchange(
      this.pool,
      {
        path: `${this.basePath}${path}`,
        method,
        headers: method === 'POST' ? HEADERS : { accept: 'application/json' },
        body,
        // The deadline above is authoritative; undici's own timers are only a backstop.
        headersTimeout: timeoutMs + 1000,
        bodyTimeout: timeoutMs + 1000,
      },
      timeoutMs,
      this.options.maxResponseBytes,
    );
    if (res.status < 200 || res.status >= 300) {
      const text = res.body.toString('utf8', 0, Math.min(res.body.length, 200));
      throw new CallError('HTTPStatusError', `HTTP ${res.status} from ${path}${text ? `: ${text}` : ''}`, false, res.latencyMs);
    }
    try {
      return { value: JSON.parse(res.body.toString('utf8')) as unknown, latencyMs: res.latencyMs, stalled: res.stalled };
    } catch (err) {
      throw new CallError('JSONDecodeError', (err as Error).message, false, res.latencyMs);
    }
  }
}

/** `max_concurrent_episodes` from a `/health` body: a positive integer (capped), else null. */
export function declaredCapacity(body: unknown): number | null {
  if (body === null || typeof body !== 'object') return null;
  const n = (body as { max_concurrent_episodes?: unknown }).max_concurrent_episodes;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) return null;
  return Math.min(n, MAX_DECLARED_CAPACITY);
}

/**
 * Strict action parsing: the original's Action model (unknown keys rejected; zod numbers are finite),
 * plus what the simulator needs — `ee_twist` with at least 3 finite numbers (values past the sixth are
 * ignored, as the original slices `[0:3]` and `[3:6]`) and `gripper` with ≥ 1 finite number when
 * present (absent channels mean "no command" = 0, as in the original).
 */
export function parseAction(raw: unknown): MinerAction {
  const r = actionSchema.safeParse(raw);
  if (!r.success) throw new Error(r.error.issues.map((i) => `${i.path.join('.') || 'action'}: ${i.message}`).join('; '));
  const { continuous } = r.data;
  const twist = continuous.ee_twist ?? [0, 0, 0];
  if (twist.length < 3) throw new Error(`continuous.ee_twist must have at least 3 values, got ${twist.length}`);
  const gripper = continuous.gripper ?? [0];
  if (gripper.length < 1) throw new Error('continuous.gripper must have at least 1 value');
  return { eeTwist: twist.slice(0, 6), gripper: gripper[0]! };
}
