/**
 * The REST contract: one zod schema per JSON body the API serves (docs/original.md §1 plus our
 * extensions, docs/api.md). This module is the source of truth for the wire format. The presenters in
 * shapes.ts `satisfies` the inferred types, the validator parses `/v1/weights/latest` with
 * `weightsResponse`, and the TUI derives its lenient readers from these schemas.
 *
 * The schemas describe exactly what our server sends: no defaults, no transforms, so a parse of a
 * presenter's output returns it unchanged (test/api-contract.test.ts). Objects strip unknown keys, as
 * clients of a newer server must.
 */
import { z } from 'zod';

export const cycleStatus = z.enum(['pending', 'running', 'completed', 'failed']);
export const taskStatus = z.enum(['pending', 'assigned', 'completed', 'failed']);
export const spotCheckOutcome = z.enum(['verified', 'mismatch', 'unverifiable']);

/** `GET /health`. */
export const health = z.object({ status: z.literal('ok'), version: z.string(), database: z.enum(['connected', 'disconnected']) });

/** The original's Cycle (docs/original.md §1.2), as `/v1/status` and `/v1/scores` carry it. */
export const cycle = z.object({
  id: z.number().int(),
  block_number: z.number().int(),
  started_at: z.string(),
  completed_at: z.string().nullable(),
  status: cycleStatus,
  n_miners: z.number().int().nullable(),
  n_environments: z.number().int().nullable(),
  duration_seconds: z.number().nullable(),
});

/** Our extended cycle view (`GET /v1/cycles`): the original's fields plus what operators asked for. */
export const cycleDetail = cycle.extend({
  block_hash: z.string().nullable(),
  error_message: z.string().nullable(),
  env_ids: z.array(z.string()).nullable(),
  episodes_per_env: z.number().int().nullable(),
});

/** The capacity model's estimate of the running cycle (`cycle_estimate`, docs/executors.md). */
export const cycleEstimate = z.object({
  cycle_id: z.number().int(),
  phase: z.enum(['start', 'running']),
  computed_at: z.string(),
  estimated_seconds: z.number(),
  remaining_seconds: z.number(),
  timeout_seconds: z.number(),
  fits: z.boolean(),
  bottleneck: z.string(),
  slowest_miner_uid: z.number().int().nullable(),
  slowest_miner_seconds: z.number().nullable(),
  executor_cpu_seconds: z.number(),
  remaining_episodes: z.number().int(),
});

/** `GET /v1/status`; `cycle_estimate` is the appliance's extension (absent from a bare API). */
export const status = z.object({
  current_cycle: cycle.nullable(),
  last_completed_cycle: cycle.nullable(),
  total_cycles: z.number().int(),
  total_miners_evaluated: z.number().int(),
  environments: z.array(z.string()),
  is_evaluating: z.boolean(),
  cycle_estimate: cycleEstimate.nullable().optional(),
});

export const u16Vector = z.object({
  uids: z.array(z.number().int().min(0).max(65535)),
  values: z.array(z.number().int().min(0).max(65535)),
});

/** The original's WeightsResponse (docs/original.md §1.6): `GET /v1/weights/latest` and `/v1/weights/{block}`. */
export const weightsResponse = z.object({
  cycle_id: z.number().int(),
  block_number: z.number().int().nonnegative(),
  timestamp: z.string(),
  weights: z.record(z.string(), z.number().finite()),
  weights_u16: u16Vector,
  metadata: z.object({
    n_miners_evaluated: z.number().int().nullable(),
    n_environments: z.number().int().nullable(),
    evaluation_duration_seconds: z.number().nullable(),
  }),
});

export const minerScore = z.object({
  uid: z.number().int(),
  hotkey: z.string(),
  env_id: z.string(),
  success_rate: z.number(),
  mean_reward: z.number(),
  episodes_completed: z.number().int(),
  episodes_failed: z.number().int(),
});

/** `GET /v1/scores/latest` and `/v1/scores/{cycle_id}`; `miner_summary` is uid → env → success rate. */
export const scores = z.object({
  cycle,
  scores: z.array(minerScore),
  miner_summary: z.record(z.string(), z.record(z.string(), z.number())),
});

/** A deployment spot check (docs/verification.md): `/v1/spot-checks`, `/v1/cycles/{id}/spot-checks`. */
export const spotCheck = z.object({
  cycle_id: z.number().int(),
  uid: z.number().int(),
  hotkey: z.string(),
  repo: z.string().nullable(),
  revision: z.string().nullable(),
  resolved_revision: z.string().nullable(),
  outcome: spotCheckOutcome,
  reason: z.string().nullable(),
  steps_compared: z.number().int(),
  max_difference: z.number().nullable(),
  checked_at: z.string(),
});
export const spotChecks = z.array(spotCheck);

/** `GET /v1/miners` items: the original's shape plus this cycle's `spot_check`. */
export const miner = z.object({
  uid: z.number().int(),
  hotkey: z.string(),
  last_evaluated_block: z.number().int(),
  avg_success_rate: z.number(),
  environments_evaluated: z.array(z.string()),
  spot_check: spotCheck.nullable(),
});
export const miners = z.array(miner);

/** `GET /v1/miners/{uid}/history`. */
export const minerHistory = z.object({
  uid: z.number().int(),
  cycles: z.array(z.object({ cycle_id: z.number().int(), block_number: z.number().int(), completed_at: z.string().nullable(), scores: z.array(minerScore) })),
});

/** `GET /v1/environments`. */
export const environments = z.array(
  z.object({ env_id: z.string(), env_name: z.string(), task_name: z.string(), n_evaluations: z.number().int(), avg_success_rate: z.number().nullable() }),
);

/** The Task handed to executors (authenticated `POST /v1/tasks/fetch` only), with its secret `instance`. */
export const task = z.object({
  task_uuid: z.string(),
  cycle_id: z.number().int(),
  miner_uid: z.number().int(),
  miner_hotkey: z.string(),
  miner_endpoint: z.string(),
  miner_repo: z.string().nullable(),
  miner_revision: z.string().nullable(),
  env_id: z.string(),
  seed: z.number().int(),
  instance: z.string(),
  status: taskStatus,
  created_at: z.string(),
});

export const taskFetchResponse = z.object({ tasks: z.array(task), total_pending: z.number().int() });
export const taskSubmitResponse = z.object({ accepted: z.number().int(), rejected: z.number().int(), errors: z.array(z.string()) });
export const taskHeartbeatResponse = z.object({ renewed: z.number().int() });
export const taskReleaseResponse = z.object({ released: z.number().int() });

/** `GET /v1/tasks/stats` (and `stats` of `/v1/cycles/{id}`): `active_executors` are opaque labels. */
export const taskStats = z.object({
  total_tasks: z.number().int(),
  pending_tasks: z.number().int(),
  assigned_tasks: z.number().int(),
  completed_tasks: z.number().int(),
  failed_tasks: z.number().int(),
  active_executors: z.array(z.string()),
  current_cycle_id: z.number().int().nullable(),
});

/** A task's result on public routes: the kind of an error only (shapes.ts `publicError`). */
export const publicTaskResult = z.union([
  z.object({
    success: z.boolean(),
    score: z.number(),
    total_reward: z.number(),
    timesteps: z.number().int(),
    error: z.string().nullable(),
    violation: z.string().optional(),
    mean_action_latency_ms: z.number().optional(),
    max_action_latency_ms: z.number().optional(),
  }),
  z.object({ error: z.string().nullable() }),
]);

/** Our public per-task view (`GET /v1/cycles/{id}/tasks`): no seed, instance, endpoint or executor. */
export const taskDetail = task
  .pick({ task_uuid: true, cycle_id: true, miner_uid: true, miner_hotkey: true, env_id: true, status: true, created_at: true })
  .extend({
    episode_index: z.number().int(),
    assigned_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    result: publicTaskResult.nullable(),
    fault: z.enum(['miner', 'executor', 'cancelled']).nullable(),
    attempts: z.number().int(),
    last_error: z.string().nullable(),
  });

const page = z.object({ total: z.number().int(), limit: z.number().int(), offset: z.number().int() });
/** `GET /v1/cycles`, newest first. */
export const cyclesPage = page.extend({ cycles: z.array(cycleDetail) });
/** `GET /v1/cycles/{id}/tasks`, in id order. */
export const tasksPage = page.extend({ tasks: z.array(taskDetail) });

/** `GET /v1/cycles/{id}`: the cycle, its task stats and the scoring step's points and explanation. */
export const cycleView = cycleDetail.extend({
  stats: taskStats,
  points: z.record(z.string(), z.number()).nullable(),
  /** The scoring explanation (src/scoring/explain.ts); opaque to the contract. */
  explanation: z.unknown(),
});

/**
 * The validator's last submission (`validator.last_submission` of `/v1/appliance`). Before the chain
 * answers, or before any submission, only `outcome`, `block` and `at` say anything; `source_block`
 * (the weights' block) and `last_check` (the latest tick's outcome) come with a logged submission.
 */
export const lastSubmission = z.object({
  block: z.number().int().nullable(),
  at: z.string().nullable(),
  uids: z.array(z.number().int()),
  values: z.array(z.number().int()),
  outcome: z.string().nullable(),
  error: z.string().nullable(),
  source_block: z.number().int().optional(),
  last_check: z.string().nullable().optional(),
});

/** `GET /v1/appliance`: the appliance's own status (an extension; absent from a bare API). */
export const applianceStatus = z.object({
  version: z.string(),
  chain: z.object({
    mode: z.enum(['local', 'subtensor']),
    endpoint: z.string(),
    netuid: z.number().int(),
    block: z.number().int().nullable(),
    block_hash: z.string().nullable(),
  }),
  validator: z.object({ enabled: z.boolean(), hotkey: z.string().nullable(), last_submission: lastSubmission.nullable() }),
  executors: z.object({
    in_process_workers: z.number().int(),
    active_episodes: z.number().int(),
    steps_per_second: z.number(),
    remote_executors: z.number().int(),
  }),
  scheduler: z.object({ cron: z.string(), next_run: z.string().nullable(), running: z.boolean() }),
});

export type Health = z.infer<typeof health>;
export type CycleJson = z.infer<typeof cycle>;
export type CycleDetailJson = z.infer<typeof cycleDetail>;
export type CycleEstimateJson = z.infer<typeof cycleEstimate>;
export type StatusJson = z.infer<typeof status>;
export type WeightsResponse = z.infer<typeof weightsResponse>;
export type MinerScoreJson = z.infer<typeof minerScore>;
export type ScoresJson = z.infer<typeof scores>;
export type SpotCheckJson = z.infer<typeof spotCheck>;
export type MinerJson = z.infer<typeof miner>;
export type MinerHistoryJson = z.infer<typeof minerHistory>;
export type EnvironmentsJson = z.infer<typeof environments>;
export type TaskJson = z.infer<typeof task>;
export type TaskFetchResponse = z.infer<typeof taskFetchResponse>;
export type TaskSubmitResponse = z.infer<typeof taskSubmitResponse>;
export type TaskStatsJson = z.infer<typeof taskStats>;
export type TaskDetailJson = z.infer<typeof taskDetail>;
export type CyclesPage = z.infer<typeof cyclesPage>;
export type TasksPage = z.infer<typeof tasksPage>;
export type CycleViewJson = z.infer<typeof cycleView>;
export type LastSubmission = z.infer<typeof lastSubmission>;
export type ApplianceStatusJson = z.infer<typeof applianceStatus>;
