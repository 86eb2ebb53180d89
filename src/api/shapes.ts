/**
 * Store rows → the original's JSON shapes (docs/original.md §1.2, §1.6–1.9, §1.12). Each presenter
 * `satisfies` its schema's type in contract.ts, the source of truth for the wire format.
 */
import type { CycleRow, MinerScoreRow, TaskPoolStats, SpotCheckRecord, TaskRow, WeightsRow } from '../store/index.ts';
import type {
  CycleDetailJson,
  CycleJson,
  MinerScoreJson,
  ScoresJson,
  SpotCheckJson,
  TaskDetailJson,
  TaskJson,
  TaskStatsJson,
  WeightsResponse,
} from './contract.ts';

export function cycleJson(c: CycleRow) {
  return {
    id: c.id,
    block_number: c.blockNumber,
    started_at: c.startedAt,
    completed_at: c.completedAt,
    status: c.status,
    n_miners: c.nMiners,
    n_environments: c.nEnvironments,
    duration_seconds: c.durationSeconds,
  } satisfies CycleJson;
}

/** Our extended cycle view (GET /v1/cycles): the original's fields plus what operators asked for. */
export function cycleDetailJson(c: CycleRow) {
  return {
    ...cycleJson(c),
    block_hash: c.blockHash,
    error_message: c.errorMessage,
    env_ids: c.envIds,
    episodes_per_env: c.episodesPerEnv,
  } satisfies CycleDetailJson;
}

export function minerScoreJson(s: MinerScoreRow) {
  return {
    uid: s.uid,
    hotkey: s.hotkey,
    env_id: s.envId,
    success_rate: s.successRate,
    mean_reward: s.meanReward,
    episodes_completed: s.episodesCompleted,
    episodes_failed: s.episodesFailed,
  } satisfies MinerScoreJson;
}

export function minerSummary(scores: readonly MinerScoreRow[]): ScoresJson['miner_summary'] {
  const summary: ScoresJson['miner_summary'] = {};
  for (const s of scores) (summary[String(s.uid)] ??= {})[s.envId] = s.successRate;
  return summary;
}

export function weightsJson(w: WeightsRow, cycle: CycleRow | undefined) {
  return {
    cycle_id: w.cycleId,
    block_number: w.blockNumber,
    timestamp: w.createdAt,
    weights: w.weights,
    weights_u16: w.weightsU16,
    metadata: {
      n_miners_evaluated: cycle?.nMiners ?? null,
      n_environments: cycle?.nEnvironments ?? null,
      evaluation_duration_seconds: cycle?.durationSeconds ?? null,
    },
  } satisfies WeightsResponse;
}

/**
 * The Task object handed to executors (authenticated `POST /v1/tasks/fetch` only): the original's
 * fields plus `instance`, the secret key the scene is generated from. `seed` is the original's field,
 * kept for wire compatibility; it seeds nothing.
 */
export function taskJson(t: TaskRow) {
  return {
    task_uuid: t.taskUuid,
    cycle_id: t.cycleId,
    miner_uid: t.minerUid,
    miner_hotkey: t.minerHotkey,
    miner_endpoint: t.minerEndpoint,
    miner_repo: t.minerRepo,
    miner_revision: t.minerRevision,
    env_id: t.envId,
    seed: t.seed,
    instance: t.instance,
    status: t.status,
    created_at: t.createdAt,
  } satisfies TaskJson;
}

/**
 * An error text as the public may see it: the failure's kind, never the details that can carry a
 * miner's (possibly encrypted-at-rest) endpoint, an address or a host name. "Miner action failed at
 * step 3: TypeError: fetch failed (connect ECONNREFUSED 10.0.0.5:8000)" → "Miner action failed at step
 * 3: TypeError". URLs and addresses left in what remains are masked too.
 */
export function publicError(text: string | null | undefined): string | null {
  if (text === null || text === undefined) return null;
  const kept = text.split(': ').slice(0, 2).join(': ');
  return kept
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '<url>')
    .replace(/\[[0-9a-f:.]+\](:\d+)?/gi, '<address>')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '<address>')
    .slice(0, 200);
}

/**
 * Our public per-task view (GET /v1/cycles/{id}/tasks): who ran what and how it ended. No seed or
 * instance material, no miner endpoint, no executor identity (docs/api.md, "What the public API never
 * shows").
 */
export function taskDetailJson(t: TaskRow) {
  const r = t.result;
  const result =
    r === null
      ? null
      : 'success' in r
        ? {
            success: r.success,
            score: r.score,
            total_reward: r.total_reward,
            timesteps: r.timesteps,
            error: publicError(r.error),
            ...(r.violation !== undefined ? { violation: r.violation } : {}),
            ...(r.mean_action_latency_ms !== undefined ? { mean_action_latency_ms: r.mean_action_latency_ms } : {}),
            ...(r.max_action_latency_ms !== undefined ? { max_action_latency_ms: r.max_action_latency_ms } : {}),
          }
        : { error: publicError(r.error) };
  return {
    task_uuid: t.taskUuid,
    cycle_id: t.cycleId,
    miner_uid: t.minerUid,
    miner_hotkey: t.minerHotkey,
    env_id: t.envId,
    episode_index: t.episodeIndex,
    status: t.status,
    created_at: t.createdAt,
    assigned_at: t.assignedAt,
    completed_at: t.completedAt,
    result,
    fault: t.fault,
    attempts: t.attempts,
    last_error: publicError(t.lastError),
  } satisfies TaskDetailJson;
}

/** `label` turns an executor id into its public label (see executor-labels.ts). */
export function statsJson(s: TaskPoolStats, scope: number | null, label: (ids: readonly string[]) => string[]) {
  return {
    total_tasks: s.totalTasks,
    pending_tasks: s.pendingTasks,
    assigned_tasks: s.assignedTasks,
    completed_tasks: s.completedTasks,
    failed_tasks: s.failedTasks,
    active_executors: label(s.activeExecutorIds),
    current_cycle_id: scope,
  } satisfies TaskStatsJson;
}

/** A deployment spot check (docs/verification.md). */
export function spotCheckJson(c: SpotCheckRecord) {
  return {
    cycle_id: c.cycleId,
    uid: c.minerUid,
    hotkey: c.hotkey,
    repo: c.repo,
    revision: c.revision,
    resolved_revision: c.resolvedRevision,
    outcome: c.outcome,
    reason: c.reason,
    steps_compared: c.stepsCompared,
    max_difference: c.maxDifference === null || Number.isFinite(c.maxDifference) ? c.maxDifference : null,
    checked_at: c.checkedAt,
  } satisfies SpotCheckJson;
}
