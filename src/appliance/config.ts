/** What the appliance is started with: one validated configuration, and the defaults of the embedded setup. */
import os from 'node:os';
import type { LogLevel } from '../log.ts';
import { ENV_IDS, type EnvId } from '../sim/registry.ts';
import type { Randomization } from '../sim/instance.ts';
import type { MismatchConsequence } from '../verification/spot-check.ts';

export interface ApplianceConfig {
  db: string;
  host: string;
  port: number;
  apiKey: string | null;
  authDisabled: boolean;
  logLevel: LogLevel;
  /** `local` for the embedded chain, or a Subtensor WebSocket URL. */
  chain: string;
  netuid: number;
  /** The operator's hotkey (validator and backend); never evaluated as a miner. */
  hotkeyUri: string | null;
  demoMiners: number;
  envIds: readonly EnvId[];
  /** The family of task instances (cued: vision-necessary, the default; metaworld: for comparison). */
  randomization: Randomization;
  episodesPerEnv: number;
  maxSteps: number;
  cycleCron: string;
  cycleTimeoutSeconds: number;
  workers: number;
  maxEpisodesPerMiner: number;
  useImages: boolean;
  validate: boolean;
  /** The validator commits timelocked weights where the subnet uses commit-reveal (opt-in). */
  timelockedCommits?: boolean;
  /** Let any miner endpoint be non-public (local testing); the appliance's own demo miners always may. */
  allowPrivateEndpoints: boolean;
  backendPrivateKey: string | null;
  minCoverage: number;
  /** Deployment spot checks (docs/verification.md); absent or fraction 0: off. */
  spotCheck?: {
    fraction: number;
    consequence: MismatchConsequence;
    hubUrl: string;
    /** Optional Hub read token (from the environment or a 0600 file, never argv). */
    hubToken: string | null;
  };
}

/** Defaults of the embedded single-machine setup (`npm start` with no flags). */
export function defaultWorkers(): number {
  return Math.max(1, Math.min(2, os.availableParallelism()));
}

export const ALL_ENVS: readonly EnvId[] = ENV_IDS;
