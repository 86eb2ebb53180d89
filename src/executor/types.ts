/**
 * The executor's internal vocabulary: what a task looks like once claimed, what an episode reports,
 * and the settings every episode runs under. Wire shapes (docs/original.md §1.10–1.11) are mapped at the task
 * sources; nothing here is sent over HTTP as-is.
 */

/** A claimed task, whatever source it came from. */
export interface ExecutorTask {
  taskUuid: string;
  minerUid: number;
  minerEndpoint: string;
  envId: string;
  /** The original's integer seed: an opaque label here (logs, tests); it seeds nothing. */
  seed: number;
  /** The instance key the scene is generated from (src/sim/instance.ts); secret material. */
  instance: string;
  /**
   * Whether the endpoint came from the chain (a stranger's commitment) and must pass the endpoint
   * policy. False for endpoints an operator typed (`kinitro eval --endpoint`).
   */
  untrustedEndpoint: boolean;
  /** Record this many opening steps for the spot check (absent or 0: record nothing). */
  recordSteps?: number;
}

/** The opening of an episode as the miner saw and answered it (see ExecutorTask.recordSteps). */
export interface RecordedEpisode {
  resetConfig: Record<string, unknown> | null;
  steps: { observation: string; action: { eeTwist: number[]; gripper: number } }[];
}

/**
 * Who is to blame for a failed episode. `miner` faults are scored (the episode counts as a failure);
 * `executor` faults (a crashed worker, a simulator error, a shutdown) put the task back for another
 * attempt and are never scored as the miner's failure.
 */
export type Fault = 'miner' | 'executor';

/** Where an episode's wall time went, summed over its steps (milliseconds). */
export interface EpisodeTimings {
  /** Miner `/reset` round trip. */
  resetMs: number;
  /** Environment reset and physics steps. */
  simMs: number;
  /** This episode's share of the batched camera renders (including image encoding). */
  renderMs: number;
  /** Building and serializing the observation JSON. */
  encodeMs: number;
  /** The miner's time on `/act`: request written → response read, as the miner I/O thread measured it. */
  actMs: number;
  /** Our wall time from handing an observation to the I/O path to having the action (≥ actMs). */
  waitMs: number;
  /** Answers taken with the benefit of the doubt because our thread was stalled at their deadline. */
  stalls: number;
}

/** The outcome of one episode (docs/original.md §4.3 result, mapped to a TaskResult by the task sources). */
export interface EpisodeOutcome {
  taskUuid: string;
  success: boolean;
  /** Strictly binary: 1.0 on success, else 0.0. */
  score: number;
  totalReward: number;
  timesteps: number;
  error: string | null;
  /** Null when the episode ran to its end without an error. */
  fault: Fault | null;
  /** The episode ended early because the policy acted on a wrong candidate (a failure, not an error). */
  violation: string | null;
  /** `/act` latency over the episode (ms); null when no action was requested. */
  meanActionLatencyMs: number | null;
  maxActionLatencyMs: number | null;
  /** `/act` requests made, failed ones included. */
  actionCount: number;
  /** Steps actually simulated (kept even when `timesteps` is reported as 0 for an error result). */
  stepsRun: number;
  timings: EpisodeTimings;
  /** Present when the task asked for a recording (ExecutorTask.recordSteps). */
  recorded?: RecordedEpisode;
}

/** Settings every episode runs under (docs/original.md §11.3 defaults). */
export interface EpisodeSettings {
  /** Control steps per episode (default 500); the environment's own limit also applies. */
  maxSteps: number;
  /** Deadline per `/act` (default 500 ms). */
  actTimeoutMs: number;
  /** Deadline for `/reset` (default 5000 ms). */
  resetTimeoutMs: number;
  /**
   * Overall episode deadline (default 300 s) on the miner's own time (reset and act round trips):
   * `Evaluation timeout after 300s`. Wall time beyond twice this is an executor fault.
   */
  episodeTimeoutMs: number;
  /** Wall-time limit of an episode (default twice `episodeTimeoutMs`); beyond it, an executor fault. */
  episodeWallTimeoutMs?: number;
  /** Send camera images (default true); without them `rgb` is `{}` (docs/original.md §5.1). */
  useImages: boolean;
  /** End the episode at the first success (default true; success is sticky either way). */
  endOnSuccess: boolean;
  /** Let endpoints from the chain resolve to loopback/private addresses (default false). */
  allowPrivateEndpoints: boolean;
}

export const DEFAULT_EPISODE_SETTINGS: EpisodeSettings = {
  maxSteps: 500,
  actTimeoutMs: 500,
  resetTimeoutMs: 5000,
  episodeTimeoutMs: 300_000,
  useImages: true,
  endOnSuccess: true,
  allowPrivateEndpoints: false,
};

export function emptyTimings(): EpisodeTimings {
  return { resetMs: 0, simMs: 0, renderMs: 0, encodeMs: 0, actMs: 0, waitMs: 0, stalls: 0 };
}

/** An executor-fault outcome for a task that never produced a result of its own. */
export function executorFault(taskUuid: string, error: string): EpisodeOutcome {
  return {
    taskUuid,
    success: false,
    score: 0,
    totalReward: 0,
    timesteps: 0,
    error,
    fault: 'executor',
    violation: null,
    meanActionLatencyMs: null,
    maxActionLatencyMs: null,
    actionCount: 0,
    stepsRun: 0,
    timings: emptyTimings(),
  };
}
