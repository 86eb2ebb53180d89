/** The appliance's status (`GET /v1/appliance`, the TUI's header): chain head, validator, executors, scheduler. */
import type { ApplianceStatusJson, LastSubmission } from '../api/contract.ts';
import type { ChainClient } from '../chain/client.ts';
import { withTimeout } from '../chain/timeout.ts';
import type { Scheduler } from '../cycle/scheduler.ts';
import { LOCAL_EXECUTOR_PREFIX } from '../executor/index.ts';
import type { InProcessValidator } from '../validator/in-process.ts';
import { VERSION } from '../version.ts';
import type { CoreServices } from './services.ts';

/** The body of `GET /v1/appliance` (src/api/contract.ts). */
export type ApplianceStatus = ApplianceStatusJson;

/** The services the status reads; those not (yet) started are null. */
export interface StatusSources extends CoreServices {
  scheduler: Scheduler | null;
  validator: InProcessValidator | null;
}

/** The validator's last submission in the shape the status endpoint and the TUI show. */
async function lastValidatorSubmission(v: InProcessValidator, chain: ChainClient, netuid: number, hotkey: string): Promise<LastSubmission> {
  const status = v.lastSubmission();
  let chainId: string;
  try {
    chainId = await withTimeout(chain.chainId(), 5000, 'chain id');
  } catch {
    return { outcome: status.lastOutcome?.kind ?? null, block: status.chainBlock, at: status.lastTickAt, uids: [], values: [], error: null };
  }
  const last = v.validator.log.recent({ chainId, netuid, hotkey }, 1)[0];
  if (!last) return { outcome: status.lastOutcome?.kind ?? 'none', block: null, at: status.lastTickAt, uids: [], values: [], error: null };
  return {
    block: last.appliedBlock ?? last.commitBlock ?? last.sentAtBlock,
    at: last.updatedAt,
    uids: last.uids,
    values: last.values,
    source_block: last.sourceBlock,
    outcome: last.status === 'applied' ? 'ok' : last.status,
    error: last.error,
    last_check: status.lastOutcome?.kind ?? null,
  };
}

export async function applianceStatus(s: StatusSources): Promise<ApplianceStatus> {
  const { config, store, chain, metrics, operator, validator } = s;
  let head: { number: number; hash: string } | null = null;
  try {
    head = await withTimeout(chain.head(), 5000, 'chain head');
  } catch {
    head = null;
  }
  const stats = s.pool?.stats();
  const sched = s.scheduler?.status();
  const submissions = validator && operator ? await lastValidatorSubmission(validator, chain, config.netuid, operator.address) : null;
  return {
    version: VERSION,
    chain: { mode: chain.kind, endpoint: chain.description, netuid: config.netuid, block: head?.number ?? null, block_hash: head?.hash ?? null },
    validator: { enabled: config.validate, hotkey: operator?.address ?? null, last_submission: submissions },
    executors: {
      in_process_workers: stats?.readyWorkers ?? 0,
      active_episodes: stats?.running ?? 0,
      steps_per_second: Math.round(metrics.stepsPerSecond() * 10) / 10,
      remote_executors: store.tasks.remoteExecutorCount(LOCAL_EXECUTOR_PREFIX),
    },
    scheduler: { cron: config.cycleCron, next_run: sched?.nextRun ?? null, running: sched?.running ?? false },
  };
}
