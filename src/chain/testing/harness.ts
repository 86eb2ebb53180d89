/**
 * Test harnesses: a subnet with registered dev hotkeys behind either implementation of ChainClient —
 * the LocalChain itself, or SubtensorChain talking to a MemoryProvider that serves the same LocalChain
 * state through synthetic metadata — so one behavioural suite can run against both.
 */
import type { KeyringPair } from '@polkadot/keyring/types';
import { openDatabase } from '../../store/db.ts';
import type { ChainClient } from '../client.ts';
import { ManualClock } from '../clock.ts';
import { hotkeyFromUri } from '../keys.ts';
import { LocalChain } from '../local-chain.ts';
import { SubtensorChain, type SubtensorChainOptions } from '../subtensor.ts';
import type { SubnetHyperparams } from '../types.ts';
import { MemoryProvider } from './memory-provider.ts';
import type { SyntheticMetadataOptions } from './synthetic-metadata.ts';

export interface DevKeys {
  alice: KeyringPair;
  bob: KeyringPair;
  charlie: KeyringPair;
  dave: KeyringPair;
}

export async function devKeys(): Promise<DevKeys> {
  const [alice, bob, charlie, dave] = await Promise.all(['//Alice', '//Bob', '//Charlie', '//Dave'].map((u) => hotkeyFromUri(u)));
  return { alice: alice!, bob: bob!, charlie: charlie!, dave: dave! };
}

export interface ChainHarness {
  name: string;
  chain: ChainClient;
  /** The state behind the chain (for either implementation). */
  local: LocalChain;
  clock: ManualClock;
  netuid: number;
  keys: DevKeys;
  setHyperparams(patch: Partial<SubnetHyperparams>): Promise<void>;
  advanceBlocks(n: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  netuid?: number;
  hyperparams?: Partial<SubnetHyperparams>;
  /** Hotkeys registered in this order (uids 0, 1, …). Default alice, bob. */
  register?: (keyof DevKeys)[];
  clock?: ManualClock;
  dbFile?: string;
}

/** LocalChain with a subnet and registered dev hotkeys; the clock auto-advances on waits. */
export async function localHarness(options: HarnessOptions = {}): Promise<ChainHarness> {
  const clock = options.clock ?? new ManualClock();
  const db = openDatabase(options.dbFile ?? ':memory:');
  const local = await LocalChain.open(db, { clock, genesisSeed: 'kinitro-test' });
  const netuid = options.netuid ?? 1;
  local.ensureSubnet(netuid, { tempo: 9, weightsRateLimit: 5, ...options.hyperparams });
  const keys = await devKeys();
  for (const name of options.register ?? ['alice', 'bob']) await local.registerHotkey(netuid, keys[name].address);
  return {
    name: 'LocalChain',
    chain: local,
    local,
    clock,
    netuid,
    keys,
    async setHyperparams(patch) {
      local.setHyperparams(netuid, patch);
    },
    async advanceBlocks(n) {
      clock.advance(n * local.blockMs);
    },
    async close() {
      await local.close();
      db.close();
    },
  };
}

/** SubtensorChain over a MemoryProvider backed by a LocalChain harness. */
export async function memorySubtensorHarness(
  options: HarnessOptions & {
    metadata?: SyntheticMetadataOptions;
    /** Serve the synthetic metadata (default) or the one captured from runtime spec 218. */
    metadataSource?: 'synthetic' | 'spec218';
    subtensor?: Omit<SubtensorChainOptions, 'providerFactory' | 'url'>;
  } = {},
): Promise<ChainHarness & { provider: MemoryProvider; subtensor: SubtensorChain }> {
  const base = await localHarness(options);
  const provider = new MemoryProvider({ chain: base.local, ...options.metadata, metadataSource: options.metadataSource });
  const subtensor = await SubtensorChain.connect({ providerFactory: () => provider, ...options.subtensor });
  return {
    ...base,
    name: `SubtensorChain (memory provider, ${options.metadataSource ?? 'synthetic'} metadata)`,
    chain: subtensor,
    provider,
    subtensor,
    async close() {
      await subtensor.close();
      await base.close();
    },
  };
}
