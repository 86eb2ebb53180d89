/**
 * Runs a batch of episodes per environment in-process and summarises them. `kinitro eval` is a thin
 * shell around this. By default every episode runs a fresh secret instance, like a validator's; with
 * a run seed, episode i uses the development instance of (seed, i) and policy seed g(seed, i, env), so
 * the same run seed gives the same numbers.
 */
import type { ImageHook } from './env.ts';
import { instancePlan, runEpisodeLoop } from './episode.ts';
import type { Randomization } from './instance.ts';
import { loadMujoco, type Mujoco } from './mujoco.ts';
import type { Policy } from './policies.ts';
import type { EnvId } from './registry.ts';
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
  // One tally per environment in run order; the loop reports on the latest one.
  const tallies: { envId: EnvId; successes: number; errors: number; violations: number; rewardSum: number; stepSum: number }[] = [];
  const current = () => tallies[tallies.length - 1]!;
  let policyName = '';
  await runEpisodeLoop(mujoco, {
    envIds: options.envIds,
    episodes: options.episodes,
    plan: instancePlan(options),
    env: { maxSteps: options.maxSteps, images: options.images, endOnSuccess: options.endOnSuccess, imageHook },
    policyFor: (envId) => {
      const policy = options.policyFor(envId);
      policyName = policy.name;
      tallies.push({ envId, successes: 0, errors: 0, violations: 0, rewardSum: 0, stepSum: 0 });
      return policy;
    },
    // Failures are results here: an episode that throws counts as a failed one, and so does every
    // episode of an environment that could not be built.
    recordFailures: true,
    closePolicies: true,
    onEpisode: (envId, index, outcome) => {
      const t = current();
      if (outcome.run) {
        const result = outcome.run;
        if (result.success) t.successes++;
        if (result.violation !== null) t.violations++;
        t.rewardSum += result.totalReward;
        t.stepSum += result.steps;
        options.onEpisode?.(envId, index, {
          success: result.success,
          steps: result.steps,
          ...(result.violation !== null ? { violation: result.violation } : {}),
        });
      } else {
        t.errors++;
        t.stepSum += outcome.steps;
        options.onEpisode?.(envId, index, { success: false, steps: outcome.steps, error: outcome.error.message });
      }
    },
    onEnvironmentError: (envId, err) => {
      current().errors = options.episodes;
      options.onEpisode?.(envId, -1, { success: false, steps: 0, error: err.message });
    },
  });
  const envs: Record<string, EnvSummary> = {};
  let totalSteps = 0;
  const n = options.episodes;
  for (const { envId, successes, errors, violations, rewardSum, stepSum } of tallies) {
    totalSteps += stepSum;
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
