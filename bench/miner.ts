/**
 * `npm run bench -- miner [policy] [episodes] [envs] [seed]`: success rate per environment and the
 * policy's act latency, in-process with camera images (defaults: vision, 10 episodes, all, seed 0).
 */
import { evaluateMinerPolicy } from '../src/miner/evaluate.ts';
import { createMinerPolicy, isMinerPolicyName } from '../src/miner/policies/index.ts';
import { resolveEnvSelection } from '../src/sim/registry.ts';

export default async function (args: string[]): Promise<void> {
  const [name = 'vision', episodesArg = '10', envs = 'all', seedArg = '0'] = args;
  if (!isMinerPolicyName(name)) throw new Error(`unknown policy ${name}`);
  const started = performance.now();
  const result = await evaluateMinerPolicy({
    policy: createMinerPolicy(name),
    envIds: resolveEnvSelection(envs),
    episodes: Number(episodesArg),
    seed: Number(seedArg),
    onEpisode: (e) => process.stderr.write(`${e.envId} #${e.index} ${e.success ? `success@${e.successStep}` : 'fail'}\n`),
  });
  console.log(`policy ${name}, ${episodesArg} episodes per environment, seed ${seedArg}`);
  for (const [envId, rate] of Object.entries(result.rates)) console.log(`  ${envId.padEnd(28)} ${(100 * rate).toFixed(0).padStart(4)}%`);
  console.log(`  mean success ${(100 * result.meanRate).toFixed(1)}%`);
  console.log(`  act: mean ${result.actMs.mean.toFixed(2)} ms, p99 ${result.actMs.p99.toFixed(2)} ms, max ${result.actMs.max.toFixed(1)} ms`);
  console.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
