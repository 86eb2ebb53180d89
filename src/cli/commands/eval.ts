import { CliUsageError, defineCommand, opt } from '../command.ts';
import { evaluatePolicy, type EvaluationSummary } from '../../sim/evaluation.ts';
import { IN_PROCESS_POLICIES, createInProcessPolicy, type InProcessPolicyName, type Policy } from '../../sim/policies.ts';
import { resolveEnvSelection, type EnvId } from '../../sim/registry.ts';
import { evaluateEndpoint, type EndpointEvaluationSummary } from '../../executor/evaluate-endpoint.ts';
import { createMinerPolicy, isMinerPolicyName, MINER_POLICIES } from '../../miner/policies/index.ts';
import { DEFAULT_RANDOMIZATION, RANDOMIZATIONS, type Randomization } from '../../sim/instance.ts';

/** Built-in policies: the simulator's (oracle reads privileged state) and the miner kit's (observation only). */
const EVAL_POLICIES = [...IN_PROCESS_POLICIES, ...MINER_POLICIES.filter((p) => !(IN_PROCESS_POLICIES as readonly string[]).includes(p))] as const;
type EvalPolicyName = (typeof EVAL_POLICIES)[number];

function policyFactory(name: EvalPolicyName): (envId: EnvId) => Policy {
  return () => (isMinerPolicyName(name) ? createMinerPolicy(name) : createInProcessPolicy(name as InProcessPolicyName));
}

function formatTable(summary: EvaluationSummary | EndpointEvaluationSummary): string {
  const lines = [
    'policy' in summary ? `policy ${summary.policy}` : `endpoint ${summary.endpoint}`,
    `${'environment'.padEnd(28)} ${'success'.padStart(9)} ${'rate'.padStart(6)} ${'reward'.padStart(8)} ${'steps'.padStart(6)} ${'wrong'.padStart(6)} ${'errors'.padStart(6)}`,
  ];
  for (const [envId, s] of Object.entries(summary.envs)) {
    lines.push(
      `${envId.padEnd(28)} ${`${s.successes}/${s.episodes}`.padStart(9)} ${`${(100 * s.success_rate).toFixed(0)}%`.padStart(6)} ${s.mean_reward.toFixed(1).padStart(8)} ${s.mean_steps.toFixed(0).padStart(6)} ${String(s.violations).padStart(6)} ${String(s.errors).padStart(6)}`,
    );
  }
  lines.push(
    `${summary.steps} control steps in ${summary.seconds.toFixed(1)} s${'peak_concurrency' in summary ? `, up to ${summary.peak_concurrency} episodes in flight` : ''}`,
  );
  return lines.join('\n') + '\n';
}

export const evalCommand = defineCommand({
  path: ['eval'],
  summary: 'Run simulated episodes against a built-in policy or a live policy server and report per-environment success.',
  description:
    'Episodes run on this machine with MuJoCo WASM. `oracle` is the scripted policy that reads the true scene ' +
    "(including which candidate is the target), `random` sends uniform random actions, `vision` is the miner kit's " +
    'scripted generalist that works from the two camera images and proprioception only. By default every episode runs ' +
    "a fresh secret instance, exactly like a validator's; --seed S makes episode i of every environment use the " +
    'reproducible development instance of (S, i), so the same --seed reproduces the same results. --randomization ' +
    'metaworld runs MetaWorld-faithful instances instead of the default cued (vision-necessary) ones. With --endpoint URL ' +
    'the episodes run against a live policy server exactly as the executors run them (same client, deadlines and ' +
    'observations), so a miner can test itself before committing. The `wrong` column counts episodes that ended because ' +
    'the policy acted on a wrong candidate.',
  options: {
    policy: opt.choice<EvalPolicyName>(EVAL_POLICIES, 'Built-in policy to run (vision and vision-noisy see only what a miner receives)', {
      default: 'oracle',
      env: false,
    }),
    endpoint: opt.string('Evaluate a live policy server at this URL instead of a built-in policy', { env: false, placeholder: 'URL' }),
    env: opt.string('Environment id, comma-separated ids, or all', { default: 'all', env: false, placeholder: 'ID' }),
    episodes: opt.int('Episodes per environment', { default: 10, min: 1, env: false }),
    seed: opt.int('Reproducible development instances from this run seed (default: fresh secret instances)', { min: 0, env: false }),
    randomization: opt.choice<Randomization>(RANDOMIZATIONS, 'Instance family: cued (vision-necessary) or metaworld', {
      default: DEFAULT_RANDOMIZATION,
      env: false,
    }),
    maxSteps: opt.int('Episode length limit in control steps', { default: 500, min: 1, env: false }),
    concurrency: opt.int(
      'With --endpoint: episodes in flight at once (default: what a validator does — the max_concurrent_episodes the server declares in GET /health, capped at 16; one at a time when it declares nothing)',
      { min: 1, max: 256, env: false },
    ),
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
    if (options.seed !== undefined && !Number.isSafeInteger(options.seed)) throw new CliUsageError(`--seed must be a safe integer, got ${options.seed}`);
    const instances = { randomization: options.randomization, ...(options.seed !== undefined ? { seed: options.seed } : {}) };
    if (options.concurrency !== undefined && !options.endpoint) throw new CliUsageError('--concurrency needs --endpoint');
    if (options.endpoint) {
      let url: URL;
      try {
        url = new URL(options.endpoint);
      } catch {
        throw new CliUsageError(`--endpoint: not a URL: ${JSON.stringify(options.endpoint)}`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliUsageError('--endpoint must be an http(s) URL');
      const summary = await evaluateEndpoint({
        endpoint: options.endpoint,
        envIds,
        episodes: options.episodes,
        ...instances,
        maxSteps: options.maxSteps,
        images: !options.noImages,
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        onEpisode: (envId, index, outcome) => {
          if (outcome.error) stderr.write(`${envId} episode ${index}: ${outcome.error}\n`);
        },
      });
      stdout.write(options.json ? JSON.stringify(summary) + '\n' : formatTable(summary));
      // Miner errors are results here, not failures of the command.
      return 0;
    }
    const summary = await evaluatePolicy({
      envIds,
      episodes: options.episodes,
      ...instances,
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
