import path from 'node:path';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { initMiner } from '../../miner/template.ts';

export const initMinerCommand = defineCommand({
  path: ['init-miner'],
  summary: 'Create a miner policy-server project (TypeScript, koa) from the template.',
  description:
    'Writes a standalone project into DIR: src/server.ts (GET /health, POST /reset, POST /act), src/policy.ts (your ' +
    'policy; a random stub), src/types.ts (Observation/Action), src/camera.ts, package.json, Dockerfile and a README. ' +
    'Existing files are skipped, never overwritten. Then: cd DIR && npm install && npm start (serves on $PORT, default 8001).',
  options: {
    name: opt.string('Package name (default: the directory name)', { env: false, placeholder: 'NAME' }),
    json: opt.flag('Print the result as JSON', { env: false }),
  },
  positionals: [{ name: 'dir', description: 'Directory to create the project in (created if missing)', required: true }],
  async run({ options, positionals, stdout, stderr }) {
    const dir = positionals[0]!;
    if (options.name !== undefined && !/^[a-z0-9][a-z0-9._-]*$/.test(options.name)) {
      throw new CliUsageError(`--name: must be a lower-case npm package name, got ${JSON.stringify(options.name)}`);
    }
    const result = initMiner(dir, { name: options.name });
    if (options.json) {
      stdout.write(JSON.stringify(result) + '\n');
      return 0;
    }
    const shown = path.relative(process.cwd(), result.dir) || '.';
    for (const f of result.written) stdout.write(`  created  ${path.join(shown, f)}\n`);
    for (const f of result.skipped) stdout.write(`  skipped  ${path.join(shown, f)} (exists)\n`);
    if (result.skipped.length > 0) stderr.write(`kept ${result.skipped.length} existing file(s): ${result.skipped.join(', ')}\n`);
    const cd = /\s/.test(shown) ? JSON.stringify(shown) : shown;
    stdout.write(`\nNext:\n  cd ${cd}\n  npm install\n  npm start                      # serves on http://127.0.0.1:8001\n`);
    stdout.write(`  npx kinitro eval --endpoint http://127.0.0.1:8001 --env all --episodes 1\n`);
    return 0;
  },
});
