import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ChainSpecError, parseChainTarget } from '../../chain/open.ts';
import { CryptoError, readPrivateKeyFile } from '../../chain/crypto.ts';
import { expandHome, readSecretFile, writeSecretFile } from '../../secret-file.ts';
import { CliUsageError, defineCommand, opt } from '../command.ts';
import { dbOption, logLevelOption } from '../shared-options.ts';
import { CANCELLED_EXIT_CODE, exitPromptlyAfterCancel } from '../lifecycle.ts';
import { apiOptions } from './api.ts';
import { defaultWorkers, type ApplianceConfig } from '../../appliance.ts';
import { runHeadless, runWithDashboard } from '../run-appliance.ts';
import { resolveEnvSelection } from '../../sim/registry.ts';
import { validateCron } from '../../cycle/scheduler.ts';
import { createLogger } from '../../log.ts';
import { DEFAULT_RANDOMIZATION, RANDOMIZATIONS, type Randomization } from '../../sim/instance.ts';
import { MAX_DEMO_MINERS } from '../../miner/demo-keys.ts';

/**
 * Defaults differ between the embedded demo (local chain: small, fast cycles that publish weights
 * within minutes) and a real subnet (the original's: 50 episodes of up to 500 steps, hourly).
 */
const LOCAL_DEFAULTS = { episodesPerEnv: 3, maxSteps: 300, cycleCron: '*/10 * * * *', demoMiners: 3, hotkeyUri: '//Alice' };
const SUBNET_DEFAULTS = { episodesPerEnv: 50, maxSteps: 500, cycleCron: '0 * * * *', demoMiners: 0, hotkeyUri: null };

/**
 * The key for remote executors when none is given: created once, kept in `<db>.api-key` (mode 0600),
 * reused on later starts so configured executors keep working. Delete the file to rotate it.
 */
function generatedApiKey(db: string): { key: string; file: string } {
  const file = `${db}.api-key`;
  if (fs.existsSync(file)) return { key: readSecretFile(file, 'the generated API key', (m) => process.stderr.write(`warning: ${m}\n`)), file };
  const key = randomBytes(24).toString('base64url');
  writeSecretFile(file, `${key}\n`);
  return { key, file };
}

export const startCommand = defineCommand({
  path: ['start'],
  summary: 'Run the whole appliance in one process (API, scheduler, executors, validator, TUI).',
  description:
    'With no flags it runs the embedded default: a local chain persisted in the database, demo miners on loopback, ' +
    'small evaluation cycles every 10 minutes, the validator submitting to the local chain, and the terminal UI.',
  options: {
    db: dbOption,
    ...apiOptions,
    // The appliance binds to loopback unless told otherwise: remote executors are opt-in.
    host: opt.string('Address to bind the API', { default: '127.0.0.1', env: 'KINITRO_API_HOST' }),
    chain: opt.string('`local` (embedded chain), `finney`, `test`, or a Subtensor WebSocket URL (ws://… or wss://…)', {
      default: 'local',
      placeholder: 'local|finney|test|URL',
    }),
    // Netuid 0 is the root network, never an evaluation subnet.
    netuid: opt.int('Subnet id', { default: 1, min: 1, max: 65535 }),
    hotkeyUri: opt.string('Operator hotkey (mnemonic or //Dev URI); default //Alice on the local chain', { placeholder: 'URI', secret: true }),
    demoMiners: opt.int('Demo miners to start on loopback (local chain only; default 3 there, else 0)', { min: 0, max: MAX_DEMO_MINERS }),
    envs: opt.string('Environments to evaluate: all or a comma-separated list', { default: 'all' }),
    randomization: opt.choice<Randomization>(RANDOMIZATIONS, 'Task instances: cued (vision-necessary) or metaworld (MetaWorld-faithful, for comparison)', {
      default: DEFAULT_RANDOMIZATION,
    }),
    episodesPerEnv: opt.int('Episodes per miner and environment each cycle (default 3 local, 50 subnet)', { min: 1, max: 1000 }),
    maxSteps: opt.int('Control steps per episode (default 300 local, 500 subnet)', { min: 1, max: 5000 }),
    cycleCron: opt.string('Cycle schedule as a cron expression (default every 10 min local, hourly subnet)', { placeholder: 'EXPR' }),
    cycleTimeout: opt.int('Seconds a cycle may take before it fails', { default: 7200, min: 10 }),
    workers: opt.int('In-process executor worker threads (0 = none; remote executors only)', { min: 0, max: 64 }),
    maxEpisodesPerMiner: opt.int(
      'Most episodes of one miner at once, whatever it declares (a miner declares max_concurrent_episodes in GET /health; one at a time when it declares nothing)',
      { default: 16, min: 1, max: 256 },
    ),
    minCoverage: opt.number('Fraction of tasks that must run for a cycle to publish weights', { default: 0.9, min: 0, max: 1 }),
    backendPrivateKeyFile: opt.string('X25519 private key file to decrypt encrypted miner endpoints', { placeholder: 'FILE' }),
    spotCheckFraction: opt.number(
      'Fraction of miners whose deployment is spot-checked against their committed Hugging Face revision each cycle (0 = off; docs/verification.md)',
      { default: 0, min: 0, max: 1 },
    ),
    spotCheckConsequence: opt.choice<'log' | 'zero-weight'>(
      ['log', 'zero-weight'],
      "What a spot-check mismatch costs: log only, or the miner's weight for the cycle",
      { default: 'log' },
    ),
    hubUrl: opt.string('Hugging Face Hub base URL (spot checks)', { default: 'https://huggingface.co', env: 'HF_ENDPOINT', placeholder: 'URL' }),
    hfToken: opt.string('Hugging Face read token for spot checks (optional)', { env: 'HF_TOKEN', placeholder: 'TOKEN', secret: true }),
    allowPrivateEndpoints: opt.flag(
      'Let any miner endpoint be a loopback/private address (local testing; the demo miners this process starts are always allowed)',
    ),
    validate: opt.flag('Submit weights to the chain as a validator (default on for the local chain)'),
    noValidate: opt.flag('Do not submit weights, even on the local chain'),
    timelockedCommits: opt.flag('Where the subnet uses commit-reveal, commit weights timelocked to a drand round (experimental; see docs/chain.md)'),
    noImages: opt.flag('Send observations without camera images (faster; for policies that do not need them)'),
    noTui: opt.flag('Headless: JSON logs on stderr instead of the terminal UI'),
    logLevel: logLevelOption,
  },
  async run({ options }) {
    let target;
    try {
      target = parseChainTarget(options.chain);
    } catch (err) {
      if (err instanceof ChainSpecError) throw new CliUsageError(err.message);
      throw err;
    }
    const local = target.kind === 'local';
    const defaults = local ? LOCAL_DEFAULTS : SUBNET_DEFAULTS;
    const cycleCron = options.cycleCron ?? defaults.cycleCron;
    const cronProblem = validateCron(cycleCron);
    if (cronProblem) throw new CliUsageError(`--cycle-cron: ${cronProblem}`);
    if (options.validate && options.noValidate) throw new CliUsageError('--validate and --no-validate contradict each other');
    let envIds;
    try {
      envIds = resolveEnvSelection(options.envs);
    } catch (err) {
      throw new CliUsageError(`--envs: ${(err as Error).message}`);
    }
    const demoMiners = options.demoMiners ?? defaults.demoMiners;
    if (demoMiners > 0 && !local) throw new CliUsageError('--demo-miners needs --chain local');
    let backendPrivateKey: string | null = null;
    if (options.backendPrivateKeyFile) {
      try {
        backendPrivateKey = readPrivateKeyFile(expandHome(options.backendPrivateKeyFile));
      } catch (err) {
        if (err instanceof CryptoError) throw new CliUsageError(`--backend-private-key-file: ${err.message}`);
        throw err;
      }
    }
    // In-process executors need no key; without one, remote executors get a random key kept in a
    // 0600 file beside the database (never logged), rather than an open task API.
    const generatedKey = !options.apiKey && !options.noAuth ? generatedApiKey(options.db) : null;
    const generatedKeyMessage = generatedKey
      ? `no --api-key given: remote executors authenticate with the key in ${generatedKey.file} (kinitro executor --api-key-file ${generatedKey.file})`
      : '';
    const config: ApplianceConfig = {
      db: options.db,
      host: options.host,
      port: options.port,
      apiKey: options.apiKey ?? generatedKey?.key ?? null,
      authDisabled: options.noAuth,
      logLevel: options.logLevel,
      chain: options.chain,
      netuid: options.netuid,
      hotkeyUri: options.hotkeyUri ?? defaults.hotkeyUri,
      demoMiners,
      envIds,
      randomization: options.randomization,
      episodesPerEnv: options.episodesPerEnv ?? defaults.episodesPerEnv,
      maxSteps: options.maxSteps ?? defaults.maxSteps,
      cycleCron,
      cycleTimeoutSeconds: options.cycleTimeout,
      workers: options.workers ?? defaultWorkers(),
      maxEpisodesPerMiner: options.maxEpisodesPerMiner,
      useImages: !options.noImages,
      validate: options.validate || (local && !options.noValidate),
      timelockedCommits: options.timelockedCommits,
      // Not implied by --chain local: only the demo miners this process registers are exempt.
      allowPrivateEndpoints: options.allowPrivateEndpoints,
      backendPrivateKey,
      minCoverage: options.minCoverage,
      spotCheck: { fraction: options.spotCheckFraction, consequence: options.spotCheckConsequence, hubUrl: options.hubUrl, hubToken: options.hfToken ?? null },
    };

    const deps = { generatedKeyMessage: generatedKey ? generatedKeyMessage : null, createLogger };
    if (options.noTui || !process.stdout.isTTY) return runHeadless(config, deps);
    const code = await runWithDashboard(config, deps);
    if (code === CANCELLED_EXIT_CODE) exitPromptlyAfterCancel(code);
    return code;
  },
});
