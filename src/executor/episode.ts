/**
 * One episode (docs/original.md §4.3): check the endpoint, `/reset` the miner, reset the scene, then
 * observe → `/act` → step until the step limit, the environment's end, or (by default) the first
 * success. Success is sticky; the score is strictly binary.
 *
 * Every episode has an id of its own (a fresh random UUID per attempt, unrelated to the task or its
 * instance): it goes to `/reset` as `task_config.episode_id` and into every observation as
 * `extra.episode_id`, so a miner that runs several episodes at once can tell them apart. Old miners
 * ignore both (the original's `task_config` and `extra` are free-form).
 *
 * Failure taxonomy: anything the miner did (refused endpoint, failed reset, late/garbage/missing
 * action, its own time over the episode deadline) ends the episode as a scored failure with the
 * original's wording; anything the executor did (simulator or renderer error, an episode made too
 * long by our own slowness) ends it as an executor fault, which the task source turns into a retry
 * instead of a score.
 */
import { randomUUID } from 'node:crypto';
import { describeEnvironment, isEnvId, splitEnvId } from '../sim/registry.ts';
import type { EpisodeEnvironment, CameraViews } from './environment.ts';
import { MinerFault, type CallTiming, type MinerAction, type MinerResetConfig, type TimedAction } from './miner-client.ts';
import { EndpointRefused } from './endpoint-policy.ts';
import { emptyTimings, type EpisodeOutcome, type EpisodeSettings, type ExecutorTask, type Fault } from './types.ts';

/**
 * What the runner needs from a miner: MinerClient implements it in-thread, and the executor's
 * workers implement it over their miner I/O thread (miner-io.ts). Both report the miner's own time.
 */
export interface MinerPort {
  reset(taskConfig: MinerResetConfig): Promise<CallTiming>;
  timedAct(observationJson: string, step: number): Promise<TimedAction>;
}

export interface EpisodeDeps {
  env: EpisodeEnvironment;
  miner: MinerPort;
  /** Draws the cameras for the current scene (the worker's micro-batcher); unused without images. */
  render: (scene: unknown) => Promise<{ views: CameraViews; ms: number }>;
  /** The endpoint policy; throws EndpointRefused for endpoints the executor must not call. */
  checkEndpoint: (endpoint: string) => Promise<void>;
  settings: EpisodeSettings;
  /** Called after each simulated step (progress counters), with the miner's time for its action. */
  onStep?: (minerMs: number) => void;
  /** Called with the time the scene reset took (a start-up cost, not a per-step one). */
  onReset?: (ms: number) => void;
  /** Running totals across episodes (the worker's counters), added to as the episode's own timings are. */
  totals?: { simMs: number; renderMs: number; encodeMs: number };
  /** The episode id sent to the miner (default: a fresh random UUID). */
  episodeId?: string;
  /** Sees what the miner was sent and answered (the spot-check sample, src/verification). */
  recorder?: EpisodeRecorder;
}

/** Observes one episode's exchanges with the miner; it must not throw. */
export interface EpisodeRecorder {
  reset(taskConfig: Record<string, unknown>): void;
  step(observationJson: string, action: MinerAction): void;
}

class ExecutorError extends Error {}

const EMPTY_CAMERAS: CameraViews = { rgb: {}, cam_intrinsics: {}, cam_extrinsics: {} };

/**
 * The wall time an episode may take by default, as a multiple of the episode deadline, before the
 * executor gives up on it as its own fault: the miner is charged only for its own time (see below),
 * so a slow executor cannot fail a miner, but an episode must still end.
 */
const WALL_LIMIT_FACTOR = 2;

/**
 * The observation's wire JSON, written out by hand in the original's key order: the images are
 * base64 (no escaping needed) and dominate the size, and a template is cheaper than serializing
 * an object tree around them.
 */
export function observationJson(cameras: CameraViews, proprio: Record<string, number[]>, episodeId: string): string {
  return (
    `{"rgb":${cameras.json?.rgb ?? JSON.stringify(cameras.rgb)},"depth":{},"proprio":${JSON.stringify(proprio)},` +
    `"cam_intrinsics":${cameras.json?.intrinsics ?? JSON.stringify(cameras.cam_intrinsics)},` +
    `"cam_extrinsics":${cameras.json?.extrinsics ?? JSON.stringify(cameras.cam_extrinsics)},"extra":{"episode_id":${JSON.stringify(episodeId)}}}`
  );
}

export async function runEpisode(task: ExecutorTask, deps: EpisodeDeps): Promise<EpisodeOutcome> {
  const { env, miner, settings } = deps;
  const timings = emptyTimings();
  const started = performance.now();
  const latencies = { sum: 0, max: 0, n: 0 };
  const episodeId = deps.episodeId ?? randomUUID();
  /** The miner's own time so far (reset and act round trips as measured at the socket). */
  let minerMs = 0;
  let totalReward = 0;
  let steps = 0;
  let success = false;
  let violation: string | null = null;

  const finish = (error: string | null, fault: Fault | null): EpisodeOutcome => {
    const ok = error === null && success;
    return {
      taskUuid: task.taskUuid,
      success: ok,
      score: ok ? 1.0 : 0.0,
      // The original reports error results with zero reward and zero timesteps (docs/original.md §4.3).
      totalReward: error === null ? totalReward : 0,
      timesteps: error === null ? steps : 0,
      error,
      fault,
      violation: error === null ? violation : null,
      meanActionLatencyMs: latencies.n > 0 ? latencies.sum / latencies.n : null,
      maxActionLatencyMs: latencies.n > 0 ? latencies.max : null,
      actionCount: latencies.n,
      stepsRun: steps,
      timings,
    };
  };

  try {
    if (task.untrustedEndpoint) await deps.checkEndpoint(task.minerEndpoint);

    const { envName, taskName } = splitEnvId(task.envId);
    // The original names the MetaWorld task (`button-press-topdown-v3`), not the env id's tail.
    const resetTaskName = isEnvId(task.envId) ? describeEnvironment(task.envId).metaworldTask : taskName;
    try {
      const resetConfig = { env_id: task.envId, env_name: envName, task_name: resetTaskName, episode_id: episodeId };
      const reset = await miner.reset(resetConfig);
      // The spot check replays exactly what this miner was sent, its episode id included.
      deps.recorder?.reset(resetConfig);
      timings.resetMs = reset.latencyMs;
      minerMs += reset.latencyMs;
      if (reset.stalled) timings.stalls += 1;
    } catch (err) {
      if (err instanceof MinerFault && err.latencyMs !== null) timings.resetMs = err.latencyMs;
      throw err;
    }

    let t0 = performance.now();
    simulate(() => env.reset(task.instance), 'reset');
    timings.simMs += performance.now() - t0;
    deps.onReset?.(performance.now() - t0);
    const totals = deps.totals ?? { simMs: 0, renderMs: 0, encodeMs: 0 };

    const limit = Math.min(settings.maxSteps, env.maxSteps);
    const timeoutSeconds = Math.round(settings.episodeTimeoutMs) / 1000;
    for (let t = 0; t < limit; t++) {
      // The miner answers for its own time only; an episode that ran long because we were slow is
      // ours to retry (and is still cut, so it cannot hold a slot forever).
      if (minerMs > settings.episodeTimeoutMs) return finish(`Evaluation timeout after ${timeoutSeconds}s`, 'miner');
      const wallMs = performance.now() - started;
      if (wallMs > (settings.episodeWallTimeoutMs ?? WALL_LIMIT_FACTOR * settings.episodeTimeoutMs)) {
        return finish(`Executor too slow: episode ran ${Math.round(wallMs / 1000)} s with ${Math.round(minerMs / 1000)} s of miner time`, 'executor');
      }

      let cameras = EMPTY_CAMERAS;
      if (settings.useImages) {
        const rendered = await deps.render(env.renderScene()).catch((err: unknown) => {
          throw new ExecutorError(`Renderer error: ${describe(err)}`);
        });
        cameras = rendered.views;
        timings.renderMs += rendered.ms;
        totals.renderMs += rendered.ms;
      }

      t0 = performance.now();
      const proprio = simulate(() => env.proprio(), 'observation');
      const json = observationJson(cameras, proprio, episodeId);
      const encodeMs = performance.now() - t0;
      timings.encodeMs += encodeMs;
      totals.encodeMs += encodeMs;

      t0 = performance.now();
      let action: MinerAction;
      let latency: number;
      try {
        const answer = await miner.timedAct(json, t);
        action = answer.action;
        latency = answer.latencyMs;
        if (answer.stalled) timings.stalls += 1;
      } catch (err) {
        // Failed calls count too: a timed-out request took the whole deadline.
        latency = err instanceof MinerFault && err.latencyMs !== null ? err.latencyMs : performance.now() - t0;
        throw err;
      } finally {
        timings.waitMs += performance.now() - t0;
        timings.actMs += latency!;
        minerMs += latency!;
        latencies.sum += latency!;
        latencies.n += 1;
        if (latency! > latencies.max) latencies.max = latency!;
      }

      deps.recorder?.step(json, action);
      t0 = performance.now();
      const outcome = simulate(() => env.step(action), 'step');
      const simMs = performance.now() - t0;
      timings.simMs += simMs;
      totals.simMs += simMs;
      totalReward += outcome.reward;
      steps = t + 1;
      if (outcome.success) success = true;
      if (outcome.violation) violation = outcome.violation;
      deps.onStep?.(latency);
      if (outcome.done || (settings.endOnSuccess && success)) break;
    }
    return finish(null, null);
  } catch (err) {
    if (err instanceof MinerFault) return finish(err.message, 'miner');
    if (err instanceof EndpointRefused) return finish(`Miner endpoint refused: ${err.message}`, 'miner');
    if (err instanceof ExecutorError) return finish(err.message, 'executor');
    return finish(`Executor error: ${describe(err)}`, 'executor');
  }
}

function simulate<T>(fn: () => T, phase: string): T {
  try {
    return fn();
  } catch (err) {
    throw new ExecutorError(`Simulator error during ${phase}: ${describe(err)}`);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
