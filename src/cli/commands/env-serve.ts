import os from 'node:os';
import path from 'node:path';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { logLevelOption } from '../shared-options.ts';
import { untilSignal } from '../lifecycle.ts';
import { createLogger } from '../../log.ts';

function defaultSocket(): string {
  const uid = typeof process.getuid === 'function' ? process.getuid() : 0;
  return path.join(os.tmpdir(), `kinitro-env-${uid}.sock`);
}

export const envServeCommand = defineCommand({
  path: ['env', 'serve'],
  summary: 'Serve the evaluation environments for training (the kinitro_env Python client connects to it).',
  description:
    'Each client connection is a vector of N environments — the same scenes, task instances, randomization, ' +
    'observations (both camera images optional), rewards, success and violations as evaluation — stepped together; ' +
    'observations travel as raw arrays over a Unix socket (default) or a TCP port on 127.0.0.1. The Python client ' +
    '(python/kinitro_env; make_vec) usually starts this server itself. --training lets clients ask for privileged ' +
    'ground truth (object poses, the target, the instance) in info, for teacher–student learning and reward shaping; ' +
    'without it the server refuses. Evaluation never uses this server.',
  options: {
    socket: opt.string('Unix socket path to listen on (default: a per-user socket in the temp directory)', { env: false, placeholder: 'PATH' }),
    port: opt.int('Listen on this TCP port of 127.0.0.1 instead of a Unix socket (0 = any free port)', { min: 0, max: 65535, env: false }),
    training: opt.flag('Training mode: clients may ask for privileged ground truth in info (never part of evaluation)', { env: false }),
    threads: opt.int("Threads each vector environment is stepped on: the server's own and THREADS − 1 workers (default: one per core, at most 2)", {
      min: 1,
      max: 64,
      env: false,
    }),
    maxEnvs: opt.int('Most environments one connection may ask for', { default: 64, min: 1, max: 1024, env: false }),
    logLevel: logLevelOption,
  },
  async run({ options, stdout, stderr }) {
    if (options.socket !== undefined && options.port !== undefined) throw new CliUsageError('give --socket or --port, not both');
    const logger = createLogger({ level: options.logLevel }).child({ component: 'env-server' });
    // Loaded here, not at the top, so that other commands do not pay for the vector environment's modules at start-up.
    const { startEnvServer } = await import('../../training/env-server.ts');
    const server = await startEnvServer({
      ...(options.port !== undefined ? { port: options.port } : { socketPath: path.resolve(options.socket ?? defaultSocket()) }),
      training: options.training,
      maxEnvsPerConnection: options.maxEnvs,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      logger,
    });
    if (options.training)
      stderr.write('TRAINING MODE: clients may receive privileged ground truth in info. Never expose this server to anything but your own training code.\n');
    // The Python client reads this line to find the server it started.
    stdout.write(`kinitro env server listening on ${server.address}\n`);
    const signal = await untilSignal();
    logger.info({ signal }, 'shutting down');
    await server.close();
    return 0;
  },
});
