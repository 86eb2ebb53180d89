/** Store rows → the original's JSON shapes (spec §1.2, §1.6–1.9, §1.12). */
import type { CycleRow, MinerScoreRow, PoolStats, TaskRow, WeightsRow } from '../store/index.ts';

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
  };
}

/** Our extended cycle view (GET /v1/cycles): the original's fields plus what operators asked for. */
export function cycleDetailJson(c: CycleRow) {
  return { ...cycleJson(c), block_hash: c.blockHash, error_message: c.errorMessage, env_ids: c.envIds, episodes_per_env: c.episodesPerEnv };
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
  };
}

export function minerSummary(scores: readonly MinerScoreRow[]): Record<string, Record<string, number>> {
  const summary: Record<string, Record<string, number>> = {};
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
  };
}

/** The Task object handed to executors. */
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
    status: t.status,
    created_at: t.createdAt,
  };
}

/** Our per-task view (GET /v1/cycles/{id}/tasks): the task plus its outcome. */
export function taskDetailJson(t: TaskRow) {
  return {
    ...taskJson(t),
    episode_index: t.episodeIndex,
    assigned_to: t.assignedTo,
    assigned_at: t.assignedAt,
    completed_at: t.completedAt,
    result: t.result,
    fault: t.fault,
    attempts: t.attempts,
    last_error: t.lastError,
  };
}

/** `label` turns an executor id into its public label (see executor-labels.ts). */
export function statsJson(s: PoolStats, scope: number | null, label: (ids: readonly string[]) => string[]) {
  return {
    total_tasks: s.totalTasks,
    pending_tasks: s.pendingTasks,
    assigned_tasks: s.assignedTasks,
    completed_tasks: s.completedTasks,
    failed_tasks: s.failedTasks,
    active_executors: label(s.activeExecutorIds),
    current_cycle_id: scope,
  };
}
