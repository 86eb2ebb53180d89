import path from 'node:path';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { DEFAULT_MINER_TEMPLATE, initMiner, MINER_TEMPLATES, type MinerTemplate } from '../../miner/template.ts';

export const initMinerCommand = defineCommand({
  path: ['init-miner'],
  summary: 'Create a miner policy-server project from a template (Python by default, or TypeScript).',
  description:
    "Writes a standalone project into DIR. The Python template (default) has the original's layout: server.py " +
    '(GET /health, POST /reset, POST /act on the standard library + numpy), policy.py (your policy; a random stub), ' +
    'rl_interface.py (Observation/Action, decode_image), camera.py, requirements.txt, Dockerfile and a README; run it ' +
    'with: cd DIR && python3 server.py. --template typescript writes the koa project instead (src/server.ts, ' +
    'src/policy.ts, src/types.ts, src/camera.ts, package.json; npm install && npm start). Both serve on $PORT ' +
    '(default 8001). Existing files are skipped, never overwritten.',
  options: {
    template: opt.choice<MinerTemplate>(MINER_TEMPLATES, 'Template: python (standard library + numpy) or typescript (koa)', {
      default: DEFAULT_MINER_TEMPLATE,
      env: false,
    }),
    name: opt.string('Package name (default: the directory name)', { env: false, placeholder: 'NAME' }),
    json: opt.flag('Print the result as JSON', { env: false }),
  },
  positionals: [{ name: 'dir', description: 'Directory to create the project in (created if missing)', required: true }],
  async run({ options, positionals, stdout, stderr }) {
    const dir = positionals[0]!;
    if (options.name !== undefined && !/^[a-z0-9][a-z0-9._-]*$/.test(options.name)) {
      throw new CliUsageError(`--name: must be a lower-case npm package name, got ${JSON.stringify(options.name)}`);
    }
    const result = initMiner(dir, { name: options.name, template: options.template });
    if (options.json) {
      stdout.write(JSON.stringify(result) + '\n');
      return 0;
    }
    const shown = path.relative(process.cwd(), result.dir) || '.';
    for (const f of result.written) stdout.write(`  created  ${path.join(shown, f)}\n`);
    for (const f of result.skipped) stdout.write(`  skipped  ${path.join(shown, f)} (exists)\n`);
    if (result.skipped.length > 0) stderr.write(`kept ${result.skipped.length} existing file(s): ${result.skipped.join(', ')}\n`);
    const cd = /\s/.test(shown) ? JSON.stringify(shown) : shown;
    if (options.template === 'python') stdout.write(`\nNext:\n  cd ${cd}\n  python3 server.py              # serves on http://127.0.0.1:8001 (needs numpy)\n`);
    else stdout.write(`\nNext:\n  cd ${cd}\n  npm install\n  npm start                      # serves on http://127.0.0.1:8001\n`);
    stdout.write(`  npx kinitro eval --endpoint http://127.0.0.1:8001 --env all --episodes 1\n`);
    return 0;
  },
});
