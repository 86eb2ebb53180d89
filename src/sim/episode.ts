/**
 * Runs episodes: one environment, one policy, one task at a time. Used by `kinitro eval`, the tests
 * and the benchmark; the executor can use it for in-process policies as well.
 */
import type { ManipulationEnv } from './env.ts';
import type { Policy } from './policies.ts';
import { describeEnvironment } from './registry.ts';
import { hashString, mixSeeds } from './rng.ts';
import type { TaskConfig } from './tasks.ts';

export interface EpisodeResult {
  envId: string;
  taskSeed: number;
  steps: number;
  success: boolean;
  /** Step at which success was first reached, or null. */
  successStep: number | null;
  /** Sum of the per-step rewards. */
  totalReward: number;
}

/** The task seed of episode `index` in a run seeded with `runSeed` (same for every environment). */
export function episodeTaskSeed(runSeed: number, index: number): number {
  return mixSeeds(runSeed, index);
}

/** The seed of a policy's own randomness in that episode (differs per environment). */
export function episodePolicySeed(runSeed: number, index: number, envId: string): number {
  return mixSeeds(runSeed, index, hashString(envId), 0x706f6c);
}

export async function runEpisode(env: ManipulationEnv, policy: Policy, task: TaskConfig, policySeed: number): Promise<EpisodeResult> {
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
    if (result.done) return { envId: env.envId, taskSeed: task.seed, steps: result.steps, success: result.success, successStep, totalReward };
  }
}
