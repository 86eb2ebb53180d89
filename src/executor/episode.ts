/**
 * One episode (spec §4.3): check the endpoint, `/reset` the miner, reset the scene, then
 * observe → `/act` → step until the step limit, the environment's end, or (by default) the first
 * success. Success is sticky; the score is strictly binary.
 *
 * Failure taxonomy: anything the miner did (refused endpoint, failed reset, late/garbage/missing
 * action, the overall deadline) ends the episode as a scored failure with the original's wording;
 * anything the executor did (simulator or renderer error) ends it as an executor fault, which the
 * task source turns into a retry instead of a score.
 */
import { describeEnvironment, isEnvId, splitEnvId } from '../sim/registry.ts';
import type { EpisodeEnvironment, CameraViews } from './environment.ts';
import { MinerFault, type MinerAction } from './miner-client.ts';
import { EndpointRefused } from './endpoint-policy.ts';
import { emptyTimings, type EpisodeOutcome, type EpisodeSettings, type ExecutorTask, type Fault } from './types.ts';

/** What the runner needs from a miner (MinerClient implements it). */
export interface MinerPort {
  reset(taskConfig: { env_id: string; env_name: string; task_name: string }): Promise<void>;
  act(observationJson: string, step: number): Promise<MinerAction>;
}

export interface EpisodeDeps {
  env: EpisodeEnvironment;
  miner: MinerPort;
  /** Draws the cameras for the current scene (the worker's micro-batcher); unused without images. */
  render: (scene: unknown) => Promise<{ views: CameraViews; ms: number }>;
  /** The endpoint policy; throws EndpointRefused for endpoints the executor must not call. */
  checkEndpoint: (endpoint: string) => Promise<void>;
  settings: EpisodeSettings;
  /** Called after each simulated step (progress counters). */
  onStep?: () => void;
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

export async function runEpisode(task: ExecutorTask, deps: EpisodeDeps): Promise<EpisodeOutcome> {
  const { env, miner, settings } = deps;
  const timings = emptyTimings();
  const started = performance.now();
  const latencies = { sum: 0, max: 0, n: 0 };
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
      // The original reports error results with zero reward and zero timesteps (spec §4.3).
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
    let t0 = performance.now();
    const resetConfig = { env_id: task.envId, env_name: envName, task_name: resetTaskName };
    await miner.reset(resetConfig);
    deps.recorder?.reset(resetConfig);
    timings.resetMs = performance.now() - t0;

    t0 = performance.now();
    simulate(() => env.reset(task.instance), 'reset');
    timings.simMs += performance.now() - t0;

    const limit = Math.min(settings.maxSteps, env.maxSteps);
    const timeoutSeconds = Math.round(settings.episodeTimeoutMs) / 1000;
    for (let t = 0; t < limit; t++) {
      if (performance.now() - started > settings.episodeTimeoutMs) return finish(`Evaluation timeout after ${timeoutSeconds}s`, 'miner');

      let cameras = EMPTY_CAMERAS;
      if (settings.useImages) {
        const rendered = await deps.render(env.renderScene()).catch((err: unknown) => {
          throw new ExecutorError(`Renderer error: ${describe(err)}`);
        });
        cameras = rendered.views;
        timings.renderMs += rendered.ms;
      }

      t0 = performance.now();
      const proprio = simulate(() => env.proprio(), 'observation');
      const json = JSON.stringify({
        rgb: cameras.rgb,
        depth: {},
        proprio,
        cam_intrinsics: cameras.cam_intrinsics,
        cam_extrinsics: cameras.cam_extrinsics,
        extra: {},
      });
      timings.encodeMs += performance.now() - t0;

      t0 = performance.now();
      let action: MinerAction;
      try {
        action = await miner.act(json, t);
      } finally {
        // Failed calls count too: a timed-out request took the whole deadline.
        const latency = performance.now() - t0;
        timings.actMs += latency;
        latencies.sum += latency;
        latencies.n += 1;
        if (latency > latencies.max) latencies.max = latency;
      }

      deps.recorder?.step(json, action);
      t0 = performance.now();
      const outcome = simulate(() => env.step(action), 'step');
      timings.simMs += performance.now() - t0;
      totalReward += outcome.reward;
      steps = t + 1;
      if (outcome.success) success = true;
      if (outcome.violation) violation = outcome.violation;
      deps.onStep?.();
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
