import { CliUsageError, defineCommand, opt } from '../command.ts';
import { evaluatePolicy, type EvaluationSummary } from '../../sim/evaluation.ts';
import { IN_PROCESS_POLICIES, createInProcessPolicy, type InProcessPolicyName, type Policy } from '../../sim/policies.ts';
import { resolveEnvSelection, type EnvId } from '../../sim/registry.ts';

/** Where a policy comes from; new kinds (a miner endpoint, a vision model) plug in here. */
function policyFactory(name: InProcessPolicyName): (envId: EnvId) => Policy {
  return () => createInProcessPolicy(name);
}

function formatTable(summary: EvaluationSummary): string {
  const lines = [`policy ${summary.policy}`, `${'environment'.padEnd(28)} ${'success'.padStart(9)} ${'rate'.padStart(6)} ${'reward'.padStart(8)} ${'steps'.padStart(6)} ${'errors'.padStart(6)}`];
  for (const [envId, s] of Object.entries(summary.envs)) {
    lines.push(
      `${envId.padEnd(28)} ${`${s.successes}/${s.episodes}`.padStart(9)} ${`${(100 * s.success_rate).toFixed(0)}%`.padStart(6)} ${s.mean_reward.toFixed(1).padStart(8)} ${s.mean_steps.toFixed(0).padStart(6)} ${String(s.errors).padStart(6)}`,
    );
  }
  lines.push(`${summary.steps} control steps in ${summary.seconds.toFixed(1)} s`);
  return lines.join('\n') + '\n';
}

export const evalCommand = defineCommand({
  path: ['eval'],
  summary: 'Run simulated episodes in-process with a built-in policy and report per-environment success.',
  description:
    'Episodes run on this machine with MuJoCo WASM. `oracle` is the scripted MetaWorld-style policy (reads the true ' +
    'object and goal positions), `random` sends uniform random actions. Episode i of every environment uses a task ' +
    'seed derived from --seed and i, so the same --seed reproduces the same results.',
  options: {
    policy: opt.choice<InProcessPolicyName>(IN_PROCESS_POLICIES, 'Policy to run', { default: 'oracle', env: false }),
    env: opt.string('Environment id, comma-separated ids, or all', { default: 'all', env: false, placeholder: 'ID' }),
    episodes: opt.int('Episodes per environment', { default: 10, min: 1, env: false }),
    seed: opt.int('Run seed', { default: 0, min: 0, env: false }),
    maxSteps: opt.int('Episode length limit in control steps', { default: 500, min: 1, env: false }),
    noImages: opt.flag('Do not render camera images (physics only)', { env: false }),
    json: opt.flag('Print JSON', { env: false }),
  },
  async run({ options, stdout, stderr }) {
    let envIds: EnvId[];
    try {
      envIds = resolveEnvSelection(options.env);
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
    if (!Number.isSafeInteger(options.seed)) throw new CliUsageError(`--seed must be a safe integer, got ${options.seed}`);
    const summary = await evaluatePolicy({
      envIds,
      episodes: options.episodes,
      seed: options.seed,
      maxSteps: options.maxSteps,
      images: !options.noImages,
      policyFor: policyFactory(options.policy),
      onEpisode(envId, index, result) {
        if (result.error) stderr.write(`${envId} episode ${index}: error: ${result.error}\n`);
      },
    });
    stdout.write(options.json ? JSON.stringify(summary) + '\n' : formatTable(summary));
    const errors = Object.values(summary.envs).reduce((n, s) => n + s.errors, 0);
    return errors > 0 ? 1 : 0;
  },
});
