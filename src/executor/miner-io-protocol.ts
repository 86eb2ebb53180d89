/** Messages between an executor worker and its miner I/O thread (miner-io.ts). */
import type { MinerResetConfig } from './miner-client.ts';

export interface MinerIoConfig {
  actTimeoutMs: number;
  resetTimeoutMs: number;
  /** Keep-alive connections per miner endpoint (the worker's episode slots). */
  connections: number;
}

interface CallBase {
  type: 'call';
  id: number;
  endpoint: string;
  /** Dial only public addresses (chain endpoints; see public-lookup.ts). */
  publicOnly: boolean;
}

export type ToMinerIo =
  | (CallBase & { op: 'reset'; config: MinerResetConfig })
  | (CallBase & { op: 'act'; body: string; step: number })
  | (CallBase & { op: 'health' })
  | { type: 'close' };

export type MinerIoReply =
  | { type: 'done'; id: number; ok: true; latencyMs: number; stalled: boolean; value: unknown }
  /** `message` is the MinerFault's, in the original's wording. */
  | { type: 'done'; id: number; ok: false; message: string; latencyMs: number | null };

export interface MinerIoLoad {
  type: 'load';
  /** Event-loop delay of the I/O thread over the last period (ms): how late it reads what arrives. */
  p99LagMs: number;
  maxLagMs: number;
  /** Milliseconds this thread's event loop has been busy since it started. */
  activeMs: number;
}

export type FromMinerIo = MinerIoReply | MinerIoLoad | { type: 'closed' };
