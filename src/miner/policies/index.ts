/**
 * The miner kit's reference policies, usable in-process (`kinitro eval --policy vision`) and behind a
 * policy server (`kinitro serve-policy`, the appliance's demo miners). All of them use only what a
 * miner receives: the observation and the env id from `/reset`.
 *
 *   random        uniform random actions (the original template's behaviour)
 *   vision        scripted generalist from pixels: locates the objects in the two corner images and
 *                 runs the task's skill (src/miner/vision)
 *   vision-noisy  vision with Gaussian noise on the move (σ = 1 in wire units) and 5 % gripper flips:
 *                 a weaker demo miner (it mostly fails the grasping tasks)
 *   blind         the adversary suite: proprioception only, each environment's strongest blind
 *                 strategy (touch probes, rasters, guessing; src/miner/blind); `blind:<strategy>` one
 *                 strategy. It exists to show what a policy that does not see can win.
 */
import { RandomPolicy, type Policy } from '../../sim/policies.ts';
import { NoisyPolicy } from './noisy.ts';
import { VisionPolicy, type VisionPolicyOptions } from '../vision/policy.ts';
import { BlindPolicy } from '../blind/policy.ts';
import { BLIND_STRATEGIES } from '../blind/index.ts';

export const MINER_POLICIES = ['random', 'vision', 'vision-noisy', 'blind', ...BLIND_STRATEGIES.map((s) => `blind:${s.name}` as const)] as const;
export type MinerPolicyName = (typeof MINER_POLICIES)[number];

export function isMinerPolicyName(value: string): value is MinerPolicyName {
  return (MINER_POLICIES as readonly string[]).includes(value);
}

export interface MinerPolicyOptions {
  vision?: VisionPolicyOptions;
  /** Standard deviation of the noise vision-noisy adds to each move value (default 1.0). */
  noiseStd?: number;
  /** Probability per step that vision-noisy inverts its gripper command (default 0.05). */
  gripperFlip?: number;
}

export function createMinerPolicy(name: MinerPolicyName, options: MinerPolicyOptions = {}): Policy {
  switch (name) {
    case 'random':
      return new RandomPolicy();
    case 'vision':
      return new VisionPolicy(options.vision);
    case 'vision-noisy':
      return new NoisyPolicy(new VisionPolicy(options.vision), {
        name: 'vision-noisy',
        std: options.noiseStd ?? 1.0,
        gripperFlip: options.gripperFlip ?? 0.05,
      });
    case 'blind':
      return new BlindPolicy();
    default:
      if (name.startsWith('blind:')) return new BlindPolicy(name.slice('blind:'.length));
      throw new Error(`unknown miner policy ${JSON.stringify(name)}; known: ${MINER_POLICIES.join(', ')}`);
  }
}
