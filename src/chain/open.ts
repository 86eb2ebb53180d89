/**
 * Opening a chain from a `--chain` value: `local` (the LocalChain stored in the given database),
 * `finney` / `test` (well-known endpoints), or a ws:// / wss:// URL.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from '../log.ts';
import type { ChainClient } from './client.ts';
import type { ChainClock } from './clock.ts';
import { LocalChain, type LocalChainOptions } from './local-chain.ts';
import { SUBTENSOR_ENDPOINTS, SubtensorChain, type SubtensorChainOptions } from './subtensor.ts';

export const DEFAULT_DB_FILE = 'data/kinitro.sqlite';

export type ChainTarget = { kind: 'local' } | { kind: 'subtensor'; url: string };

export class ChainSpecError extends Error {
  override name = 'ChainSpecError';
}

export function parseChainTarget(spec: string): ChainTarget {
  const value = spec.trim();
  if (value === 'local') return { kind: 'local' };
  const known = SUBTENSOR_ENDPOINTS[value];
  if (known && value !== 'local') return { kind: 'subtensor', url: known };
  if (/^wss?:\/\/[^\s]+$/.test(value)) return { kind: 'subtensor', url: value };
  throw new ChainSpecError(`--chain must be "local", "finney", "test" or a ws:// / wss:// URL, got ${JSON.stringify(spec)}`);
}

export interface OpenChainOptions {
  spec: string;
  /** Required for `local`: the database holding the LocalChain. */
  db?: Database;
  /** Shown in the LocalChain's description (normally the database file). */
  dbLabel?: string;
  logger?: Logger;
  clock?: ChainClock;
  local?: Omit<LocalChainOptions, 'clock' | 'logger' | 'label'>;
  subtensor?: Omit<SubtensorChainOptions, 'url' | 'logger'>;
}

export async function openChain(options: OpenChainOptions): Promise<ChainClient> {
  const target = parseChainTarget(options.spec);
  if (target.kind === 'local') {
    if (!options.db) throw new ChainSpecError('the local chain needs a database');
    return LocalChain.open(options.db, { ...options.local, clock: options.clock, logger: options.logger, label: options.dbLabel });
  }
  return SubtensorChain.connect({ ...options.subtensor, url: target.url, logger: options.logger });
}
