import path from 'node:path';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { createInProcessPolicy, type InProcessPolicyName } from '../../sim/policies.ts';
import { DEFAULT_RANDOMIZATION, RANDOMIZATIONS, type Randomization } from '../../sim/instance.ts';
import { resolveEnvSelection, type EnvId } from '../../sim/registry.ts';
import { createMinerPolicy } from '../../miner/policies/index.ts';

const RECORD_POLICIES = ['oracle', 'vision'] as const;
type RecordPolicy = (typeof RECORD_POLICIES)[number];

export const datasetRecordCommand = defineCommand({
  path: ['dataset', 'record'],
  summary: 'Record demonstrations of a reference policy as a LeRobot dataset (format v3.0).',
  description:
    'Runs episodes in-process on the evaluation environments and writes OUT as a LeRobot v3.0 dataset: each frame ' +
    'holds what a miner receives (observation.images.corner / corner2 as PNG image features, observation.state — the ' +
    '14 proprio values in alphabetical channel order —, the camera calibration) and the action the policy took ' +
    '(7 values: ee_twist then gripper), with next.reward / next.done / next.success. `oracle` reads the true scene; ' +
    '`vision` sees only what a miner sees. --seed S uses the development instances of kinitro eval --seed S; by ' +
    "default every episode is a fresh secret instance. meta/kinitro.json lists each episode's env and instance key, " +
    'so an episode can be replayed exactly.',
  options: {
    policy: opt.choice<RecordPolicy>(RECORD_POLICIES, 'Policy to record', { default: 'oracle', env: false }),
    env: opt.string('Environment id, comma-separated ids, or all', { default: 'all', env: false, placeholder: 'ID' }),
    episodes: opt.int('Episodes per environment', { default: 10, min: 1, env: false }),
    out: opt.string('Directory to write the dataset to (must not exist or be empty)', { required: true, env: false, placeholder: 'DIR' }),
    seed: opt.int('Reproducible development instances from this run seed (default: fresh secret instances)', { min: 0, env: false }),
    randomization: opt.choice<Randomization>(RANDOMIZATIONS, 'Instance family: cued (vision-necessary) or metaworld', {
      default: DEFAULT_RANDOMIZATION,
      env: false,
    }),
    maxSteps: opt.int('Episode length limit in control steps', { default: 500, min: 2, env: false }),
    successOnly: opt.flag('Keep only the episodes that succeeded', { env: false }),
    fileSizeMb: opt.int('Start a new data file once one reaches this size (MB)', { default: 100, min: 1, env: false }),
    json: opt.flag('Print the result as JSON', { env: false }),
  },
  async run({ options, stdout, stderr }) {
    let envIds: EnvId[];
    try {
      envIds = resolveEnvSelection(options.env);
    } catch (err) {
      throw new CliUsageError((err as Error).message);
    }
    const out = path.resolve(options.out);
    // Loaded here, not at the top: the Parquet writer (WASM) and Arrow cost every other command's start-up over a second of CPU.
    const { recordDataset } = await import('../../training/record.ts');
    const result = await recordDataset({
      out,
      envIds,
      episodes: options.episodes,
      policyName: options.policy,
      policyFor: () => (options.policy === 'vision' ? createMinerPolicy('vision') : createInProcessPolicy(options.policy as InProcessPolicyName)),
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
      randomization: options.randomization,
      maxSteps: options.maxSteps,
      successOnly: options.successOnly,
      dataFilesSizeInMb: options.fileSizeMb,
      onEpisode(envId, index, outcome) {
        if (outcome.error) stderr.write(`${envId} episode ${index}: error: ${outcome.error}\n`);
        else if (!options.json)
          stderr.write(`${envId} episode ${index}: ${outcome.success ? 'success' : 'failure'} in ${outcome.steps} steps${outcome.kept ? '' : ' (not kept)'}\n`);
      },
    });
    if (options.json)
      stdout.write(
        JSON.stringify({ out, total_episodes: result.info.total_episodes, total_frames: result.info.total_frames, attempted: result.attempted }) + '\n',
      );
    else stdout.write(`wrote ${result.info.total_episodes} episodes (${result.info.total_frames} frames) of ${result.attempted} run to ${out}\n`);
    return result.info.total_episodes > 0 ? 0 : 1;
  },
});
