/**
 * Runs episodes: one environment, one policy, one task at a time. Used by `kinitro eval`, the tests
 * and the benchmark; the executor can use it for in-process policies as well.
 */
import { randomInt } from 'node:crypto';
import type { ManipulationEnv } from './env.ts';
import { devInstance, freshInstance, type Randomization } from './instance.ts';
import type { Policy } from './policies.ts';
import { describeEnvironment } from './registry.ts';
import { hashString, mixSeeds } from './rng.ts';
import type { TaskConfig } from './tasks.ts';

/** One in-process episode as it ran (scoring's per-episode input is `EpisodeResult` in src/scoring). */
export interface EpisodeRun {
  envId: string;
  /** The instance key the episode ran (operator-side only; never sent to a miner). */
  instance: string;
  steps: number;
  success: boolean;
  /** Step at which success was first reached, or null. */
  successStep: number | null;
  /** Why the episode failed early (a wrong candidate), or null. */
  violation: string | null;
  /** Sum of the per-step rewards. */
  totalReward: number;
}

/**
 * How a run picks its instances: fresh secret ones from the OS CSPRNG (the default, like a
 * validator's), or reproducible development instances derived from `seed` (episode i of every
 * environment then uses the same key, which the generator turns into different scenes per env).
 */
export interface InstancePlan {
  randomization: Randomization;
  seed?: number;
}

export function episodeInstance(plan: InstancePlan, index: number): string {
  return plan.seed === undefined ? freshInstance(plan.randomization) : devInstance(plan.seed, index, plan.randomization);
}

/** The seed of a policy's own randomness in that episode (differs per environment; random without a run seed). */
export function episodePolicySeed(plan: InstancePlan, index: number, envId: string): number {
  return plan.seed === undefined ? randomInt(0, 2 ** 31) : mixSeeds(plan.seed, index, hashString(envId), 0x706f6c);
}

export async function runEpisode(env: ManipulationEnv, policy: Policy, task: TaskConfig, policySeed: number): Promise<EpisodeRun> {
  const { envName, taskName } = describeEnvironment(env.envId);
  await policy.reset({ task: { env_id: env.envId, env_name: envName, task_name: taskName }, episodeSeed: policySeed });
  let observation = env.reset(task);
  let totalReward = 0;
  let successStep: number | null = null;
  for (;;) {
    const action = await policy.act(observation, policy.needsPrivileged ? env.privileged() : undefined);
    const result = env.step(action);
    totalReward += result.reward;
    if (result.success && successStep === null) successStep = result.steps;
    observation = result.observation;
    if (result.done)
      return { envId: env.envId, instance: task.instance, steps: result.steps, success: result.success, successStep, violation: result.violation, totalReward };
  }
}
