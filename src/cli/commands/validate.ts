import { CliUsageError, defineCommand, opt } from '../command.ts';
import { createLogger } from '../../log.ts';
import { Validator, type TickOutcome } from '../../validator/validator.ts';
import { checkBackendHealth, httpWeightsSource } from '../../validator/weights-source.ts';
import { CHAIN_OPTIONS, HOTKEY_OPTIONS, hotkeyFromOptions, openChainFromOptions } from './commit.ts';

function describe(outcome: TickOutcome): string {
  switch (outcome.kind) {
    case 'applied':
      return `weights of backend block ${outcome.sourceBlock} are on chain${outcome.block !== null ? ` (block ${outcome.block}, via ${outcome.via})` : ''}`;
    case 'up-to-date':
      return `already submitted: the latest weights (backend block ${outcome.sourceBlock}) are on chain`;
    case 'no-weights':
      return 'the backend has no weights yet';
    case 'not-registered':
      return `hotkey ${outcome.hotkey} is not registered on the subnet`;
    case 'rejected':
      return `rejected: ${outcome.error}`;
    case 'unsupported':
      return outcome.reason;
    case 'skipped':
      return `not submitted: ${outcome.reason}`;
    case 'rate-limited':
      return `rate limited until block ${outcome.nextBlock} (now ${outcome.block})`;
    case 'committed':
      return `committed at block ${outcome.block}; reveal from block ${outcome.revealFrom ?? '?'}`;
    case 'reveal-wait':
      return `waiting for the reveal window${outcome.revealFrom !== null ? ` (block ${outcome.revealFrom})` : ''}`;
    case 'awaiting-outcome':
      return 'waiting to learn whether an earlier submission landed';
    case 'transient-error':
      return `transient failure: ${outcome.error}`;
  }
}

export const validateCommand = defineCommand({
  path: ['validate'],
  summary: "Set the backend's published weights on chain (polls GET /v1/weights/latest).",
  description: [
    'Every submission is recorded in --db, so a restart never resubmits weights already on chain.',
    'Respects WeightsSetRateLimit, passes WeightsVersionKey, and uses hash-based commit-reveal when the subnet',
    'enables it (timelocked drand commits with --timelocked-commits). Before weights count as submitted the chain',
    'is checked (LastUpdate, commit queues), so a reset chain gets them again. Transient failures (backend or chain down, hotkey not yet registered) are retried, never fatal.',
    'With --once: submit the latest weights (waiting through rate limit / reveal epoch) and exit.',
    'With --chain local the subnet is created and the hotkey registered on first use.',
  ].join('\n'),
  options: {
    backendUrl: opt.string('Base URL of the kinitro API', { required: true, placeholder: 'URL' }),
    ...CHAIN_OPTIONS,
    ...HOTKEY_OPTIONS,
    once: opt.flag('Submit the latest weights once and exit', { env: false }),
    pollInterval: opt.int('Seconds between polls of the backend', { default: 60, min: 1 }),
    versionKey: opt.int("Override the version key (default: the subnet's WeightsVersionKey)", { min: 0 }),
    timeout: opt.int('With --once: give up after this many seconds', { default: 1800, min: 1, env: false }),
    timelockedCommits: opt.flag('Where the subnet uses commit-reveal, commit weights timelocked to a drand round (experimental; see docs/chain.md)'),
  },
  async run({ options, stdout, stderr }) {
    try {
      new URL(options.backendUrl);
    } catch {
      throw new CliUsageError(`--backend-url ${JSON.stringify(options.backendUrl)} is not a URL`);
    }
    const logger = createLogger({ level: options.once ? options.logLevel : options.logLevel === 'warn' ? 'info' : options.logLevel });
    const hotkey = await hotkeyFromOptions(options);
    const opened = await openChainFromOptions(options, { stderr, needDb: true, purposes: ['validate'] });
    try {
      if (opened.local) {
        const reg = await opened.local.ensureRegistered(options.netuid, hotkey.address);
        if (reg.registered) stderr.write(`local chain: registered ${hotkey.address} on subnet ${options.netuid} as uid ${reg.uid}\n`);
      }
      await checkBackendHealth(options.backendUrl, 10_000).catch((err: Error) => logger.warn({ err }, 'backend health check failed; will keep polling'));
      const validator = new Validator({
        chain: opened.chain,
        netuid: options.netuid,
        hotkey,
        weights: httpWeightsSource(options.backendUrl),
        db: opened.db!,
        logger,
        pollIntervalMs: options.pollInterval * 1000,
        versionKey: options.versionKey,
        timelockedCommits: options.timelockedCommits,
      });
      if (options.once) {
        const outcome = await validator.runOnce({ deadlineMs: options.timeout * 1000 });
        stdout.write(`${describe(outcome)}\n`);
        return ['applied', 'up-to-date', 'no-weights'].includes(outcome.kind) ? 0 : 1;
      }
      validator.start();
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await validator.stop();
      return 0;
    } finally {
      await opened.close();
    }
  },
});
