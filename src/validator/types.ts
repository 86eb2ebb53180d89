/** The validator's options and what it reports: one outcome per tick, and its status. */
import type { Database } from 'better-sqlite3';
import type { ChainClient } from '../chain/client.ts';
import type { ChainClock } from '../chain/clock.ts';
import type { HotkeySigner } from '../chain/types.ts';
import type { Logger } from '../log.ts';
import type { WeightsSource } from './weights-source.ts';

export interface ValidatorOptions {
  chain: ChainClient;
  netuid: number;
  hotkey: HotkeySigner;
  /** Latest published weights (HTTP `GET /v1/weights/latest`, or the appliance's store). */
  weights: WeightsSource;
  /** The store's database: the submission log lives there. */
  db: Database;
  logger?: Logger;
  clock?: ChainClock;
  /** Pause between ticks when there is nothing to wait for (default 60 s, as the original). */
  pollIntervalMs?: number;
  /** Deadline for a read from the chain or the backend (default 60 s). */
  readTimeoutMs?: number;
  /** Deadline for a transaction until inclusion (default 180 s). */
  txTimeoutMs?: number;
  /** Reconnect when the head has not advanced for this long (default 300 s). */
  stallTimeoutMs?: number;
  /** Block time used to turn block counts into waits (default 12 s). */
  blockMs?: number;
  /** A sent transaction not seen on chain after this many blocks is considered lost (default 64, the era). */
  lostAfterBlocks?: number;
  /** Warn when no new weights have been set for this many blocks (default 3000 ≈ 10 h). */
  staleWarnBlocks?: number;
  /** Override the version key (default: the subnet's WeightsVersionKey). */
  versionKey?: number;
  /**
   * Commit weights timelocked to a drand round (`commit_timelocked_weights`) when the subnet uses
   * commit-reveal and the runtime takes timelocked commits. Off by default: the encryption matches the
   * reference's published facts and layout but could not be proven against a decryptable reference
   * vector (docs/chain.md); without it, hash commit-reveal is used where the runtime still has it.
   */
  timelockedCommits?: boolean;
  /** The beacon's public key for timelocked commits (default drand quicknet; tests use a beacon of their own). */
  beaconPublicKey?: Uint8Array;
  /** Called after every tick (the TUI / status endpoint can show it). */
  onOutcome?: (outcome: TickOutcome) => void;
}

export type TickOutcome =
  | { kind: 'no-weights' }
  | { kind: 'up-to-date'; sourceBlock: number; blocksSinceUpdate?: number }
  | { kind: 'not-registered'; hotkey: string }
  | { kind: 'rate-limited'; sourceBlock: number; block: number; nextBlock: number }
  | { kind: 'applied'; sourceBlock: number; block: number | null; via: 'set_weights' | 'reveal' | 'timelocked' }
  | { kind: 'committed'; sourceBlock: number; block: number; revealFrom: number | null }
  | { kind: 'reveal-wait'; sourceBlock: number; block: number; revealFrom: number | null }
  | { kind: 'awaiting-outcome'; sourceBlock: number; block: number }
  | { kind: 'skipped'; sourceBlock: number; reason: string }
  | { kind: 'rejected'; sourceBlock: number | null; error: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'transient-error'; error: string };

export interface ValidatorStatus {
  running: boolean;
  lastOutcome: TickOutcome | null;
  lastTickAt: string | null;
  chainBlock: number | null;
  uid: number | null;
  lastAppliedSourceBlock: number | null;
}
