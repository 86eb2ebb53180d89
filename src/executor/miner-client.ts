/**
 * The HTTP client for one miner's policy server, byte-compatible with the original's requests
 * (spec §4.3): `POST /reset {"task_config": {env_id, env_name, task_name}}` and
 * `POST /act {"obs": …}`. Differences that matter: one keep-alive connection pool per miner instead
 * of a new connection per step (§13.8), a hard deadline per call, a cap on response size, strict
 * parsing of the returned action, and no seed in `/reset` (§13.9).
 */
import type { LookupFunction } from 'node:net';
import { Pool, errors as undiciErrors } from 'undici';
import { actionSchema, type Observation, type ResetTaskConfig } from '../sim/protocol.ts';

export interface MinerClientOptions {
  /** Deadline for `/reset` (default 5 s). */
  resetTimeoutMs?: number;
  /** Deadline for each `/act` (default 0.5 s, the original's action timeout). */
  actTimeoutMs?: number;
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

/** A miner fault: ends the episode as a failure with this exact message. */
export class MinerFault extends Error {
  override name = 'MinerFault';
}

/** Thrown inside the client to carry the Python-like exception type names of the original. */
class CallError extends Error {
  constructor(
    readonly kind: string,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

const DEFAULTS = { resetTimeoutMs: 5000, actTimeoutMs: 500, maxResponseBytes: 64 * 1024, connections: 4 };
type ClientSettings = Required<Omit<MinerClientOptions, 'lookup'>> & Pick<MinerClientOptions, 'lookup'>;

/**
 * A deadline timer that runs this much later than it was due means our own thread was stalled
 * (a long render batch, a model compile, GC, an oversubscribed CPU) when the deadline passed. The
 * miner's response may then already sit in the socket buffer, unread only because we were busy; so
 * the abort waits for one more I/O poll, giving the benefit of the doubt to the miner rather than
 * failing its episode for our stall.
 */
const STALL_GRACE_MS = 20;

/** Aborts `controller` at `timeoutMs`, deferring past one I/O poll when the timer itself fires late. */
function deadlineTimer(controller: AbortController, timeoutMs: number): () => void {
  const due = performance.now() + timeoutMs;
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    if (performance.now() - due > STALL_GRACE_MS) immediate = setImmediate(() => controller.abort());
    else controller.abort();
  }, timeoutMs);
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
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
  async reset(taskConfig: ResetTaskConfig): Promise<void> {
    const body = JSON.stringify({ task_config: { env_id: taskConfig.env_id, env_name: taskConfig.env_name, task_name: taskConfig.task_name } });
    try {
      await this.post('/reset', body, this.options.resetTimeoutMs);
    } catch (err) {
      const e = err as CallError;
      throw new MinerFault(`Miner reset failed: ${e.kind ?? 'Error'}: ${e.message}`);
    }
  }

  /** `POST /act` for step `t`; returns the validated action or throws MinerFault with the original's wording. */
  async act(observationJson: string, step: number): Promise<MinerAction> {
    let parsed: unknown;
    try {
      parsed = await this.post('/act', `{"obs":${observationJson}}`, this.options.actTimeoutMs);
    } catch (err) {
      const e = err as CallError;
      if (e.timedOut) throw new MinerFault(`Miner action timeout at step ${step}`);
      throw new MinerFault(`Miner action failed at step ${step}: ${e.kind ?? 'Error'}: ${e.message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || !('action' in parsed) || (parsed as { action: unknown }).action == null) {
      throw new MinerFault(`Miner returned no action at step ${step}`);
    }
    try {
      return parseAction((parsed as { action: unknown }).action);
    } catch (err) {
      throw new MinerFault(`Miner action failed at step ${step}: ValidationError: ${(err as Error).message}`);
    }
  }

  /** Convenience for callers holding an Observation object. */
  actWith(observation: Observation, step: number): Promise<MinerAction> {
    return this.act(JSON.stringify(observation), step);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private async post(path: string, body: string, timeoutMs: number): Promise<unknown> {
    const controller = new AbortController();
    const cancelDeadline = deadlineTimer(controller, timeoutMs);
    try {
      const res = await this.pool.request({
        path: `${this.basePath}${path}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body,
        signal: controller.signal,
        // The deadline above is authoritative; undici's own timers are only a backstop.
        headersTimeout: timeoutMs + 1000,
        bodyTimeout: timeoutMs + 1000,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.options.maxResponseBytes) {
          res.body.destroy();
          throw new CallError('ResponseTooLarge', `response body exceeds ${this.options.maxResponseBytes} bytes`);
        }
        chunks.push(chunk as Buffer);
      }
      if (res.statusCode < 200 || res.statusCode >= 300) {
        const text = Buffer.concat(chunks).toString('utf8').slice(0, 200);
        throw new CallError('HTTPStatusError', `HTTP ${res.statusCode} from ${path}${text ? `: ${text}` : ''}`);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new CallError('JSONDecodeError', (err as Error).message);
      }
    } catch (err) {
      if (err instanceof CallError) throw err;
      if (controller.signal.aborted || err instanceof undiciErrors.HeadersTimeoutError || err instanceof undiciErrors.BodyTimeoutError) {
        throw new CallError('TimeoutException', `no complete response within ${timeoutMs} ms`, true);
      }
      if (err instanceof undiciErrors.ConnectTimeoutError) throw new CallError('ConnectTimeout', (err as Error).message, true);
      const code = (err as { code?: string }).code;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const detail = cause?.message ?? (err as Error).message;
      if (code === 'ECONNREFUSED' || cause?.code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') {
        throw new CallError('ConnectError', detail);
      }
      throw new CallError((err as Error).name || 'Error', detail);
    } finally {
      cancelDeadline();
    }
  }
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
