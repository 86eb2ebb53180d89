/** The chain layer's public surface (what the appliance, scheduler and CLI import). */
export type { ChainClient } from './client.ts';
export * from './types.ts';
export * from './errors.ts';
export { LocalChain, DEFAULT_LOCAL_HYPERPARAMS, LOCAL_BLOCK_MS, type LocalChainOptions } from './local-chain.ts';
export { SubtensorChain, SUBTENSOR_ENDPOINTS, type SubtensorChainOptions } from './subtensor.ts';
export { openChain, parseChainTarget, DEFAULT_DB_FILE, type OpenChainOptions, type ChainTarget } from './open.ts';
export { discoverMiners, type DiscoveredMiner, type SkippedNeuron, type DiscoveryResult, type DiscoveryOptions } from './discovery.ts';
export { loadHotkey, hotkeyFromUri, type HotkeySource } from './keys.ts';
export { systemClock, ManualClock, type ChainClock } from './clock.ts';
