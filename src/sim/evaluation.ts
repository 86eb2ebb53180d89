/**
 * Runs a batch of episodes per environment in-process and summarises them. `kinitro eval` is a thin
 * shell around this. By default every episode runs a fresh secret instance, like a validator's; with
 * a run seed, episode i uses the development instance of (seed, i) and policy seed g(seed, i, env), so
 * the same run seed gives the same numbers.
 */
import { ManipulationEnv, type ImageHook } from './env.ts';
import { episodeInstance, episodePolicySeed, runEpisode, type InstancePlan } from './episode.ts';
import { DEFAULT_RANDOMIZATION, type Randomization } from './instance.ts';
import { loadMujoco, type Mujoco } from './mujoco.ts';
import type { Policy } from './policies.ts';
import type { EnvId } from './registry.ts';
import { generateTask } from './tasks.ts';
import { CameraRenderer } from './render/index.ts';

export interface EnvSummary {
  episodes: number;
  successes: number;
  success_rate: number;
  /** Mean over episodes of the summed per-step reward. */
  mean_reward: number;
  /** Mean episode length in control steps (episodes end at success by default). */
  mean_steps: number;
  /** Episodes that ended in an error (counted as failures). */
  errors: number;
  /** Episodes that ended because the policy acted on a wrong candidate (counted as failures). */
  violations: number;
}

export interface EvaluationSummary {
  policy: string;
  envs: Record<string, EnvSummary>;
  /** Control steps simulated in total. */
  steps: number;
  /** Wall-clock seconds (the only field that differs between identical runs). */
  seconds: number;
}

export interface EvaluationOptions {
  envIds: readonly EnvId[];
  episodes: number;
  /** Reproducible development instances from this seed; fresh secret instances when undefined. */
  seed?: number;
  /** Instance family (default: cued). */
  randomization?: Randomization;
  maxSteps?: number;
  images?: boolean;
  endOnSuccess?: boolean;
  /** Makes the policy for one environment (called once per environment). */
  policyFor(envId: EnvId): Policy;
  /** Called after every episode (progress reporting). */
  onEpisode?(envId: EnvId, index: number, result: { success: boolean; steps: number; error?: string; violation?: string }): void;
}

/** An image hook that draws the renderer's cameras of the environment after every reset and step. */
export function rendererImageHook(renderer: CameraRenderer): ImageHook {
  return (view) => renderer.observe([view])[0]!;
}

export async function evaluatePolicy(options: EvaluationOptions): Promise<EvaluationSummary> {
  const started = performance.now();
  const mujoco = await loadMujoco();
  // One renderer for the whole run: policies that see images get exactly what a miner receives.
  const renderer = options.images === false ? null : new CameraRenderer();
  try {
    return await evaluateWith(mujoco, renderer ? rendererImageHook(renderer) : undefined, options, started);
  } finally {
    renderer?.destroy();
  }
}

async function evaluateWith(mujoco: Mujoco, imageHook: ImageHook | undefined, options: EvaluationOptions, started: number): Promise<EvaluationSummary> {
  const envs: Record<string, EnvSummary> = {};
  const plan: InstancePlan = { randomization: options.randomization ?? DEFAULT_RANDOMIZATION, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
  let totalSteps = 0;
  let policyName = '';
  for (const envId of options.envIds) {
    const policy = options.policyFor(envId);
    policyName = policy.name;
    let successes = 0;
    let errors = 0;
    let violations = 0;
    let rewardSum = 0;
    let stepSum = 0;
    let env: ManipulationEnv | undefined;
    try {
      env = new ManipulationEnv(mujoco, envId, {
        randomization: plan.randomization,
        maxSteps: options.maxSteps,
        images: options.images,
        endOnSuccess: options.endOnSuccess,
        imageHook,
      });
      for (let i = 0; i < options.episodes; i++) {
        const task = generateTask(envId, episodeInstance(plan, i));
        try {
          const result = await runEpisode(env, policy, task, episodePolicySeed(plan, i, envId));
          if (result.success) successes++;
          if (result.violation !== null) violations++;
          rewardSum += result.totalReward;
          stepSum += result.steps;
          options.onEpisode?.(envId, i, {
            success: result.success,
            steps: result.steps,
            ...(result.violation !== null ? { violation: result.violation } : {}),
          });
        } catch (err) {
          errors++;
          stepSum += env.steps;
          options.onEpisode?.(envId, i, { success: false, steps: env.steps, error: (err as Error).message });
        }
      }
    } catch (err) {
      // The environment itself could not be built: every episode is an error.
      errors = options.episodes;
      options.onEpisode?.(envId, -1, { success: false, steps: 0, error: (err as Error).message });
    } finally {
      env?.close();
      await policy.close?.();
    }
    totalSteps += stepSum;
    const n = options.episodes;
    envs[envId] = {
      episodes: n,
      successes,
      success_rate: n > 0 ? successes / n : 0,
      mean_reward: n > 0 ? rewardSum / n : 0,
      mean_steps: n > 0 ? stepSum / n : 0,
      errors,
      violations,
    };
  }
  return { policy: policyName, envs, steps: totalSteps, seconds: (performance.now() - started) / 1000 };
}
