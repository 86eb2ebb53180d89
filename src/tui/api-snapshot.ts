/**
 * REST API bodies (docs/original.md §1 plus our extensions) → a DashboardSnapshot. Both sources go through
 * here: the remote one with what it fetched, the in-process one with the same JSON built from the
 * store, so the two can never drift. Parsing is lenient — a server that lacks a field or an
 * endpoint degrades that part of the screen, it never breaks the dashboard — but every field's type
 * comes from the REST contract (src/api/contract.ts).
 */
import { z } from 'zod';
import * as contract from '../api/contract.ts';
import type {
  ApplianceInfo,
  ChainSubmission,
  CycleEstimateView,
  CycleResultsView,
  CycleSummary,
  DashboardSnapshot,
  FailedTask,
  MinerEnvScore,
  TaskStats,
  WeightsSnapshot,
} from './types.ts';

/** The raw bodies one snapshot is built from. `null` = absent (404 or not fetched). */
export interface ApiBodies {
  origin: string;
  takenAt: string;
  status: unknown;
  appliance: unknown;
  /** `/v1/tasks/stats?cycle_id=<current>` — only meaningful while a cycle runs. */
  currentStats: unknown;
  /** Failed-task pages (`/v1/cycles/{id}/tasks?status=failed`) of the running cycle. */
  currentFailedTasks: unknown;
  weights: unknown;
  cycles: unknown;
  environments: unknown;
  /** The latest completed cycle: `/v1/scores/{id}`, `/v1/cycles/{id}`, its failed-task page. */
  latestScores: unknown;
  latestDetail: unknown;
  latestFailedTasks: unknown;
  /** `/v1/cycles/{id}/spot-checks` of the latest completed cycle (a kinitro extension; may be absent). */
  latestSpotChecks?: unknown;
  warnings?: string[];
}

/** Missing or null → null: a server that lacks a field degrades that value only. */
const orNull = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? null);
const str = orNull(z.string());

// The readers below take each field's type from the contract (src/api/contract.ts) and loosen only
// what older or newer servers may lack; unknown fields are ignored.
const c = contract.cycleDetail.shape;
const cycleSchema = z.object({
  id: c.id,
  block_number: c.block_number,
  block_hash: orNull(c.block_hash),
  started_at: c.started_at,
  completed_at: orNull(c.completed_at),
  // Free text, so a status a newer server adds still displays.
  status: z.string(),
  n_miners: orNull(c.n_miners),
  n_environments: orNull(c.n_environments),
  duration_seconds: orNull(c.duration_seconds),
  error_message: orNull(c.error_message),
  env_ids: orNull(c.env_ids),
  episodes_per_env: orNull(c.episodes_per_env),
});

const estimateSchema = contract.cycleEstimate.pick({
  cycle_id: true,
  estimated_seconds: true,
  remaining_seconds: true,
  timeout_seconds: true,
  fits: true,
  bottleneck: true,
});

const st = contract.status.shape;
const statusSchema = z.object({
  current_cycle: cycleSchema.nullish(),
  // An extension; an unexpected shape only drops the estimate (catch), never the status.
  cycle_estimate: estimateSchema.nullish().catch(null),
  last_completed_cycle: cycleSchema.nullish(),
  total_cycles: st.total_cycles.nullish(),
  environments: st.environments.nullish(),
});

const ts = contract.taskStats.shape;
const statsSchema = z.object({
  total_tasks: ts.total_tasks,
  pending_tasks: ts.pending_tasks,
  assigned_tasks: ts.assigned_tasks,
  completed_tasks: ts.completed_tasks,
  failed_tasks: ts.failed_tasks,
  // A list of opaque labels (the original's shape, ids there); a count from older appliances.
  active_executors: z.union([ts.active_executors, z.number()]).nullish(),
  current_cycle_id: orNull(ts.current_cycle_id),
});

const sc = contract.minerScore.shape;
const scoreSchema = z.object({
  uid: sc.uid,
  hotkey: sc.hotkey,
  env_id: sc.env_id,
  success_rate: sc.success_rate,
  mean_reward: sc.mean_reward.nullish(),
  episodes_completed: sc.episodes_completed.nullish(),
  episodes_failed: sc.episodes_failed.nullish(),
});

const scoresSchema = z.object({ cycle: cycleSchema, scores: z.array(scoreSchema) });
const spotChecksSchema = z.array(contract.spotCheck.pick({ uid: true, outcome: true }).extend({ reason: orNull(contract.spotCheck.shape.reason) }));

const wr = contract.weightsResponse.shape;
const weightsSchema = z.object({
  cycle_id: wr.cycle_id,
  block_number: wr.block_number,
  timestamp: orNull(wr.timestamp),
  weights: wr.weights,
  weights_u16: wr.weights_u16.nullish(),
});

const cyclesListSchema = z.object({ total: contract.cyclesPage.shape.total.nullish(), cycles: z.array(cycleSchema) });

const environmentsSchema = z.array(contract.environments.element.pick({ env_id: true }));

const detailSchema = z.object({
  points: contract.cycleView.shape.points.nullish(),
  explanation: z.unknown().optional(),
});

const td = contract.taskDetail.shape;
const taskSchema = z.object({
  task_uuid: td.task_uuid,
  cycle_id: td.cycle_id,
  miner_uid: td.miner_uid,
  env_id: td.env_id,
  episode_index: orNull(td.episode_index),
  completed_at: orNull(td.completed_at),
  last_error: orNull(td.last_error),
  // Only the error is read; the rest of a result (contract.publicTaskResult) passes through.
  result: z.object({ error: str }).passthrough().nullish(),
});
const taskPageSchema = z.object({ total: contract.tasksPage.shape.total.nullish(), tasks: z.array(taskSchema) });

const ls = contract.lastSubmission.shape;
const submissionSchema = z.object({
  block: orNull(ls.block),
  at: orNull(ls.at),
  uids: ls.uids.nullish(),
  values: ls.values.nullish(),
  outcome: orNull(ls.outcome),
  error: orNull(ls.error),
});

// The appliance extension is parsed section by section: a section in an unexpected shape (a newer
// server, say) only blanks that section, not the whole header.
const ap = contract.applianceStatus.shape;
const ch = ap.chain.shape;
// `mode` is free text here, so a chain kind a newer server adds still displays.
const chainSchema = z.object({
  mode: str,
  endpoint: orNull(ch.endpoint),
  netuid: orNull(ch.netuid),
  block: orNull(ch.block),
  block_hash: orNull(ch.block_hash),
});
const va = ap.validator.shape;
const validatorSchema = z.object({ enabled: va.enabled.nullish(), hotkey: orNull(va.hotkey), last_submission: z.unknown().optional() });
const ex = ap.executors.shape;
const executorsSchema = z.object({
  in_process_workers: orNull(ex.in_process_workers),
  active_episodes: orNull(ex.active_episodes),
  steps_per_second: orNull(ex.steps_per_second),
  remote_executors: orNull(ex.remote_executors),
});
const sd = ap.scheduler.shape;
const schedulerSchema = z.object({ cron: orNull(sd.cron), next_run: orNull(sd.next_run), running: orNull(sd.running) });

function toCycle(c: z.infer<typeof cycleSchema>): CycleSummary {
  return {
    id: c.id,
    blockNumber: c.block_number,
    blockHash: c.block_hash,
    startedAt: c.started_at,
    completedAt: c.completed_at,
    status: c.status,
    nMiners: c.n_miners,
    nEnvironments: c.n_environments,
    durationSeconds: c.duration_seconds,
    errorMessage: c.error_message,
    envIds: c.env_ids,
    episodesPerEnv: c.episodes_per_env,
  };
}

function toFailedTask(t: z.infer<typeof taskSchema>): FailedTask {
  return {
    taskUuid: t.task_uuid,
    cycleId: t.cycle_id,
    minerUid: t.miner_uid,
    envId: t.env_id,
    episodeIndex: t.episode_index,
    error: t.result?.error ?? t.last_error ?? null,
    completedAt: t.completed_at,
  };
}

function parseAppliance(raw: unknown, warn: (what: string) => void): ApplianceInfo | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    warn('/v1/appliance');
    return null;
  }
  const body = raw as Record<string, unknown>;
  const section = <S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> | null => {
    if (value === null || value === undefined) return null;
    const r = schema.safeParse(value);
    if (!r.success) {
      warn(`/v1/appliance ${what}`);
      return null;
    }
    return r.data;
  };
  const chain = section(chainSchema, body.chain, 'chain');
  const validator = section(validatorSchema, body.validator, 'validator');
  const sub = validator ? section(submissionSchema, validator.last_submission, 'validator.last_submission') : null;
  const lastSubmission: ChainSubmission | null = sub
    ? { block: sub.block, at: sub.at, uids: sub.uids ?? [], values: sub.values ?? [], outcome: sub.outcome, error: sub.error }
    : null;
  const executors = section(executorsSchema, body.executors, 'executors');
  const scheduler = section(schedulerSchema, body.scheduler, 'scheduler');
  return {
    version: typeof body.version === 'string' ? body.version : null,
    chain: chain ? { mode: chain.mode, endpoint: chain.endpoint, netuid: chain.netuid, block: chain.block, blockHash: chain.block_hash } : null,
    validator: validator ? { enabled: validator.enabled ?? false, hotkey: validator.hotkey, lastSubmission } : null,
    executors: executors
      ? {
          inProcessWorkers: executors.in_process_workers,
          activeEpisodes: executors.active_episodes,
          stepsPerSecond: executors.steps_per_second,
          remoteExecutors: executors.remote_executors,
        }
      : null,
    scheduler: scheduler ? { cron: scheduler.cron, nextRun: scheduler.next_run, running: scheduler.running } : null,
  };
}

/** Failed tasks from one or more pages, newest (highest position) first, without duplicates. */
function failuresFrom(pages: unknown, warn: (what: string) => void, what: string): FailedTask[] {
  const list = Array.isArray(pages) ? pages : pages == null ? [] : [pages];
  const seen = new Set<string>();
  const out: FailedTask[] = [];
  for (const page of list) {
    const r = taskPageSchema.safeParse(page);
    if (!r.success) {
      warn(what);
      continue;
    }
    for (const t of r.data.tasks) {
      if (seen.has(t.task_uuid)) continue;
      seen.add(t.task_uuid);
      out.push(toFailedTask(t));
    }
  }
  // Pages come in id order; the newest failures are the last ones.
  return out.reverse();
}

export function snapshotFromApi(b: ApiBodies): DashboardSnapshot {
  const warnings = [...(b.warnings ?? [])];
  const warn = (what: string) => warnings.push(`${what}: unexpected response shape`);
  const parse = <S extends z.ZodType>(schema: S, body: unknown, what: string): z.infer<S> | null => {
    if (body === null || body === undefined) return null;
    const r = schema.safeParse(body);
    if (!r.success) {
      warn(what);
      return null;
    }
    return r.data;
  };

  const status = parse(statusSchema, b.status, '/v1/status');
  const currentCycle = status?.current_cycle ? toCycle(status.current_cycle) : null;
  const lastCompletedCycle = status?.last_completed_cycle ? toCycle(status.last_completed_cycle) : null;

  const est = status?.cycle_estimate;
  const cycleEstimate: CycleEstimateView | null =
    est && currentCycle && est.cycle_id === currentCycle.id
      ? {
          cycleId: est.cycle_id,
          estimatedSeconds: est.estimated_seconds,
          remainingSeconds: est.remaining_seconds,
          timeoutSeconds: est.timeout_seconds,
          fits: est.fits,
          bottleneck: est.bottleneck,
        }
      : null;

  const stats = parse(statsSchema, b.currentStats, '/v1/tasks/stats');
  const currentStats: TaskStats | null =
    currentCycle && stats && (stats.current_cycle_id === null || stats.current_cycle_id === currentCycle.id)
      ? {
          total: stats.total_tasks,
          pending: stats.pending_tasks,
          assigned: stats.assigned_tasks,
          completed: stats.completed_tasks,
          failed: stats.failed_tasks,
          activeExecutors: Array.isArray(stats.active_executors) ? stats.active_executors.length : (stats.active_executors ?? 0),
          cycleId: currentCycle.id,
        }
      : null;

  const w = parse(weightsSchema, b.weights, '/v1/weights/latest');
  const weights: WeightsSnapshot | null = w
    ? { cycleId: w.cycle_id, blockNumber: w.block_number, timestamp: w.timestamp, weights: w.weights, u16: w.weights_u16 ?? { uids: [], values: [] } }
    : null;

  const scores = parse(scoresSchema, b.latestScores, '/v1/scores');
  const detail = parse(detailSchema, b.latestDetail, '/v1/cycles/{id}');
  let latest: CycleResultsView | null = null;
  if (scores) {
    latest = {
      cycle: toCycle(scores.cycle),
      scores: scores.scores.map((s): MinerEnvScore => ({
        uid: s.uid,
        hotkey: s.hotkey,
        envId: s.env_id,
        successRate: s.success_rate,
        meanReward: s.mean_reward ?? 0,
        episodesCompleted: s.episodes_completed ?? 0,
        episodesFailed: s.episodes_failed ?? 0,
      })),
      points: detail?.points ?? null,
      explanation: detail?.explanation ?? null,
      failures: failuresFrom(b.latestFailedTasks, warn, 'latest cycle tasks'),
      spotChecks: b.latestSpotChecks == null ? [] : (parse(spotChecksSchema, b.latestSpotChecks, '/v1/cycles/{id}/spot-checks') ?? []),
    };
  }

  const list = parse(cyclesListSchema, b.cycles, '/v1/cycles');
  const envList = parse(environmentsSchema, b.environments, '/v1/environments');
  const appliance = parseAppliance(b.appliance, warn);

  return {
    takenAt: b.takenAt,
    origin: b.origin,
    appliance,
    currentCycle,
    currentStats,
    cycleEstimate,
    currentFailures: currentCycle ? failuresFrom(b.currentFailedTasks, warn, 'current cycle tasks') : [],
    lastCompletedCycle,
    latest,
    weights,
    cycles: list ? list.cycles.map(toCycle) : [],
    totalCycles: status?.total_cycles ?? list?.total ?? 0,
    environments: envList ? envList.map((e) => e.env_id) : (status?.environments ?? []),
    warnings,
  };
}
