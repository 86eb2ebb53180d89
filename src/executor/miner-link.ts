/**
 * The executor worker's side of its miner I/O thread (miner-io.ts): one MinerPort per endpoint,
 * whose calls are messages to that thread. If the thread dies, the calls in flight fail as
 * executor errors (never as the miner's fault) and the next call starts a new thread.
 */
import { Worker } from 'node:worker_threads';
import { MinerFault, type CallTiming, type MinerAction, type MinerHealth, type MinerResetConfig, type TimedAction } from './miner-client.ts';
import type { MinerPort } from './episode.ts';
import type { FromMinerIo, MinerIoConfig, ToMinerIo } from './miner-io-protocol.ts';

const BOOTSTRAP_URL = new URL('./miner-io-bootstrap.mjs', import.meta.url);

/** The I/O thread was lost with this call in flight: our failure, not the miner's. */
export class MinerIoLost extends Error {
  override name = 'MinerIoLost';
}

interface Pending {
  resolve(value: { latencyMs: number; stalled: boolean; value: unknown }): void;
  reject(err: Error): void;
}

export interface MinerLinkLoad {
  /** The I/O thread's recent event-loop delay (ms, p99 and max over the last second). */
  p99LagMs: number;
  maxLagMs: number;
  /** The I/O thread's busy time since it started (ms). */
  activeMs: number;
}

type CallMessage = Extract<ToMinerIo, { type: 'call' }>;
type CallSpec = CallMessage extends infer M ? (M extends CallMessage ? Omit<M, 'type' | 'id'> : never) : never;

export class MinerLink {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  readonly load: MinerLinkLoad = { p99LagMs: 0, maxLagMs: 0, activeMs: 0 };
  /** Busy time of earlier (lost) I/O threads, so `load.activeMs` only grows. */
  private retiredActiveMs = 0;
  private currentActiveMs = 0;

  constructor(private readonly config: MinerIoConfig) {}

  /** A MinerPort for one endpoint (cheap: ports share the thread and its connection pools). */
  port(endpoint: string, publicOnly: boolean): MinerPort & { health(): Promise<MinerHealth> } {
    return {
      reset: async (config: MinerResetConfig): Promise<CallTiming> => {
        const r = await this.call({ op: 'reset', endpoint, publicOnly, config });
        return { latencyMs: r.latencyMs, stalled: r.stalled };
      },
      timedAct: async (body: string, step: number): Promise<TimedAction> => {
        const r = await this.call({ op: 'act', endpoint, publicOnly, body, step });
        return { action: r.value as MinerAction, latencyMs: r.latencyMs, stalled: r.stalled };
      },
      health: async (): Promise<MinerHealth> => {
        try {
          return (await this.call({ op: 'health', endpoint, publicOnly })).value as MinerHealth;
        } catch {
          return { maxConcurrentEpisodes: null };
        }
      },
    };
  }

  /** Calls in flight (for tests and stats). */
  get inFlight(): number {
    return this.pending.size;
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(BOOTSTRAP_URL, { workerData: this.config, name: 'kinitro-miner-io' });
    worker.on('message', (message: FromMinerIo) => {
      if (message.type === 'done') {
        const p = this.pending.get(message.id);
        if (!p) return;
        this.pending.delete(message.id);
        if (message.ok) p.resolve({ latencyMs: message.latencyMs, stalled: message.stalled, value: message.value });
        else p.reject(new MinerFault(message.message, message.latencyMs));
      } else if (message.type === 'load') {
        this.load.p99LagMs = message.p99LagMs;
        this.load.maxLagMs = message.maxLagMs;
        this.currentActiveMs = message.activeMs;
        this.load.activeMs = this.retiredActiveMs + message.activeMs;
      }
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.retiredActiveMs += this.currentActiveMs;
      this.currentActiveMs = 0;
      const calls = [...this.pending.values()];
      this.pending.clear();
      for (const p of calls) p.reject(new MinerIoLost(`miner I/O thread ${reason}`));
    };
    worker.on('error', (err) => lost(`failed: ${err.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private call(spec: CallSpec): Promise<{ latencyMs: number; stalled: boolean; value: unknown }> {
    if (this.closed) return Promise.reject(new MinerIoLost('miner I/O thread closed'));
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ type: 'call', id, ...spec } as ToMinerIo);
    });
  }

  /** Kills the thread at once (its calls in flight fail as MinerIoLost); the next call starts a new one. */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'close' } satisfies ToMinerIo);
    const timer = setTimeout(() => void worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
