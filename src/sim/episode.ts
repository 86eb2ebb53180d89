/**
 * Runs episodes: one environment, one policy, one task at a time, and the loop over environments and
 * episodes that the in-process evaluations (`kinitro eval`, the miner's local evaluation) share. Used
 * by those, the tests and the benchmark; the executor can use it for in-process policies as well.
 */
import { randomInt } from 'node:crypto';
import { ManipulationEnv, type EnvOptions } from './env.ts';
import { DEFAULT_RANDOMIZATION, devInstance, freshInstance, type Randomization } from './instance.ts';
import type { Mujoco } from './mujoco.ts';
import type { Policy } from './policies.ts';
import { describeEnvironment, type EnvId } from './registry.ts';
import { hashString, mixSeeds } from './rng.ts';
import { generateTask, type TaskConfig } from './tasks.ts';

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

/** The plan of a run with these options: the cued family by default, development instances when seeded. */
export function instancePlan(options: { randomization?: Randomization; seed?: number }): InstancePlan {
  return { randomization: options.randomization ?? DEFAULT_RANDOMIZATION, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
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

/** How one episode of a loop ended: it ran (`run`), or it threw after `steps` control steps (`error`). */
export type EpisodeOutcome = { run: EpisodeRun; error?: undefined } | { run?: undefined; error: Error; steps: number };

export interface EpisodeLoop {
  envIds: readonly EnvId[];
  /** Episodes per environment. */
  episodes: number;
  plan: InstancePlan;
  /** How every environment is built (its randomization comes from the plan). */
  env: Omit<EnvOptions, 'randomization'>;
  /** The policy for one environment (called once per environment, before it is built). */
  policyFor(envId: EnvId): Policy;
  /**
   * Whether a failure is part of the result rather than the end of the run: an episode that throws is
   * handed to `onEpisode` as an error and the next one runs; an environment that fails outside an
   * episode (building it, generating a task) goes to `onEnvironmentError` and the next environment
   * runs. Without it, the first failure ends the loop.
   */
  recordFailures: boolean;
  /** Whether the loop closes each environment's policy after it (it does when `policyFor` makes one per environment). */
  closePolicies: boolean;
  onEpisode(envId: EnvId, index: number, outcome: EpisodeOutcome): void;
  onEnvironmentError?(envId: EnvId, error: Error): void;
}

/**
 * Runs `episodes` episodes of each environment in turn, episode i on the plan's instance i with the
 * plan's policy seed, one environment (one MjModel + MjData) alive at a time.
 */
export async function runEpisodeLoop(mujoco: Mujoco, loop: EpisodeLoop): Promise<void> {
  for (const envId of loop.envIds) {
    const policy = loop.policyFor(envId);
    let env: ManipulationEnv | undefined;
    try {
      env = new ManipulationEnv(mujoco, envId, { randomization: loop.plan.randomization, ...loop.env });
      for (let i = 0; i < loop.episodes; i++) {
        const task = generateTask(envId, episodeInstance(loop.plan, i));
        try {
          loop.onEpisode(envId, i, { run: await runEpisode(env, policy, task, episodePolicySeed(loop.plan, i, envId)) });
        } catch (err) {
          if (!loop.recordFailures) throw err;
          loop.onEpisode(envId, i, { error: err as Error, steps: env.steps });
        }
      }
    } catch (err) {
      if (!loop.recordFailures) throw err;
      loop.onEnvironmentError?.(envId, err as Error);
    } finally {
      env?.close();
      if (loop.closePolicies) await policy.close?.();
    }
  }
}
