/**
 * Local evaluation of a miner policy in-process, with camera images: the simulator's episode loop
 * (`runEpisodeLoop` in src/sim/episode.ts, shared with `kinitro eval`) on environments whose
 * observations carry the two corner images, exactly as a validator would send them. Used by the miner benchmark and tests; `kinitro eval` is the CLI.
 */
import type { ImageHook } from '../sim/env.ts';
import { instancePlan, runEpisodeLoop } from '../sim/episode.ts';
import type { Randomization } from '../sim/instance.ts';
import { rendererImageHook } from '../sim/evaluation.ts';
import { loadMujoco } from '../sim/mujoco.ts';
import type { Policy } from '../sim/policies.ts';
import type { EnvId } from '../sim/registry.ts';
import { CameraRenderer } from '../sim/render/index.ts';

/** An image hook drawing the miner cameras with the TypeScript ray caster. */
export function cameraImageHook(renderer = new CameraRenderer({ backend: 'ts' })): ImageHook {
  return rendererImageHook(renderer);
}

export interface MinerEpisode {
  envId: EnvId;
  index: number;
  success: boolean;
  violation: string | null;
  steps: number;
  successStep: number | null;
}

export interface MinerEvaluation {
  episodes: MinerEpisode[];
  /** Success rate per environment. */
  rates: Record<string, number>;
  meanRate: number;
  /** Wall-clock milliseconds per `act` call: mean and 99th percentile. */
  actMs: { mean: number; p99: number; max: number };
}

export interface MinerEvaluationOptions {
  policy: Policy;
  envIds: readonly EnvId[];
  episodes: number;
  /** Reproducible development instances from this seed; fresh secret instances when undefined. */
  seed?: number;
  randomization?: Randomization;
  maxSteps?: number;
  onEpisode?(episode: MinerEpisode): void;
}

/** Times every act call of `policy`. */
function timed(policy: Policy, samples: number[]): Policy {
  return {
    name: policy.name,
    needsPrivileged: policy.needsPrivileged,
    reset: (info) => policy.reset(info),
    act: async (observation, privileged) => {
      const t0 = performance.now();
      const action = await policy.act(observation, privileged);
      samples.push(performance.now() - t0);
      return action;
    },
  };
}

export async function evaluateMinerPolicy(options: MinerEvaluationOptions): Promise<MinerEvaluation> {
  const mujoco = await loadMujoco();
  const renderer = new CameraRenderer({ backend: 'ts' });
  const hook = cameraImageHook(renderer);
  const samples: number[] = [];
  const policy = timed(options.policy, samples);
  const episodes: MinerEpisode[] = [];
  try {
    await runEpisodeLoop(mujoco, {
      envIds: options.envIds,
      episodes: options.episodes,
      plan: instancePlan(options),
      env: { maxSteps: options.maxSteps ?? 500, images: true, imageHook: hook },
      policyFor: () => policy,
      // A benchmark of the miner's own policy: any failure is a bug to surface, and the policy is the caller's.
      recordFailures: false,
      closePolicies: false,
      onEpisode: (envId, index, { run }) => {
        const result = run!;
        const episode = { envId, index, success: result.success, violation: result.violation, steps: result.steps, successStep: result.successStep };
        episodes.push(episode);
        options.onEpisode?.(episode);
      },
    });
  } finally {
    renderer.destroy();
  }
  const rates: Record<string, number> = {};
  for (const envId of options.envIds) {
    const mine = episodes.filter((e) => e.envId === envId);
    rates[envId] = mine.length ? mine.filter((e) => e.success).length / mine.length : 0;
  }
  const values = Object.values(rates);
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    episodes,
    rates,
    meanRate: values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0,
    actMs: {
      mean: samples.length ? samples.reduce((a, b) => a + b, 0) / samples.length : 0,
      p99: sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))]! : 0,
      max: sorted.length ? sorted[sorted.length - 1]! : 0,
    },
  };
}
