/**
 * The validator inside the appliance: the weights come straight from the store (the same
 * WeightsResponse the API serves at `/v1/weights/latest`), the submission log lives in the same
 * database, and outcomes are counted in the appliance's metrics.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import type { ChainClient } from '../chain/client.ts';
import type { ChainClock } from '../chain/clock.ts';
import type { HotkeySigner } from '../chain/types.ts';
import { weightsJson } from '../api/shapes.ts';
import { Validator, type TickOutcome, type ValidatorStatus } from './validator.ts';
import type { WeightsResponse } from './weights-source.ts';

export interface InProcessValidatorOptions {
  store: Store;
  chain: ChainClient;
  netuid: number;
  hotkey: HotkeySigner;
  logger?: Logger;
  /** Anything with a prom-client counter labelled by outcome (ApplianceMetrics). */
  metrics?: { weightSubmissions: { inc(labels: { outcome: string }): void } };
  clock?: ChainClock;
  pollIntervalMs?: number;
  /** Commit timelocked weights where the subnet uses commit-reveal (opt-in; see ValidatorOptions). */
  timelockedCommits?: boolean;
}

export interface InProcessValidator {
  validator: Validator;
  /** What the validator did last (for the status endpoint and the TUI). */
  lastSubmission(): ValidatorStatus;
  stop(): Promise<void>;
}

/** Outcomes that are an attempt to change the chain (the rest are waiting states). */
const COUNTED = new Set<TickOutcome['kind']>(['applied', 'committed', 'rejected', 'skipped', 'unsupported', 'transient-error']);

export function latestWeightsFromStore(store: Store): WeightsResponse | null {
  const row = store.results.latestWeights();
  return row ? weightsJson(row, store.cycles.get(row.cycleId)) : null;
}

export async function startInProcessValidator(options: InProcessValidatorOptions): Promise<InProcessValidator> {
  const validator = new Validator({
    chain: options.chain,
    netuid: options.netuid,
    hotkey: options.hotkey,
    db: options.store.db,
    weights: async () => latestWeightsFromStore(options.store),
    logger: options.logger,
    clock: options.clock,
    pollIntervalMs: options.pollIntervalMs,
    timelockedCommits: options.timelockedCommits,
    onOutcome: (outcome) => {
      if (COUNTED.has(outcome.kind)) options.metrics?.weightSubmissions.inc({ outcome: outcome.kind });
    },
  });
  validator.start();
  return {
    validator,
    lastSubmission: () => validator.status(),
    stop: () => validator.stop(),
  };
}
