import { defineCommand, opt } from '../command.ts';
import { listEnvironments } from '../../sim/registry.ts';

export const listEnvsCommand = defineCommand({
  path: ['list-envs'],
  summary: 'List the registered evaluation environments in registry order.',
  options: { json: opt.flag('Print JSON', { env: false }) },
  async run({ options, stdout }) {
    const envs = listEnvironments();
    if (options.json) {
      stdout.write(JSON.stringify(envs.map((e) => ({ env_id: e.envId, env_name: e.envName, task_name: e.taskName, description: e.description }))) + '\n');
    } else {
      for (const e of envs) stdout.write(`${e.envId.padEnd(28)} ${e.description}\n`);
    }
  },
});
