import { randomBytes } from 'node:crypto';
import { defineCommand, opt } from '../command.ts';
import { dbOption, logLevelOption } from '../shared-options.ts';
import { untilSignal } from '../lifecycle.ts';
import { apiOptions } from './api.ts';
import { startAppliance } from '../../appliance.ts';

export const startCommand = defineCommand({
  path: ['start'],
  summary: 'Run the whole appliance in one process (API, scheduler, executors, validator, TUI).',
  options: {
    db: dbOption,
    ...apiOptions,
    // The appliance binds to loopback unless told otherwise: remote executors are opt-in.
    host: opt.string('Address to bind the API', { default: '127.0.0.1', env: 'KINITRO_API_HOST' }),
    logLevel: logLevelOption,
  },
  async run({ options }) {
    // In-process executors need no key; without one, remote executors get a fresh random key
    // (logged) rather than an open task API.
    const generatedKey = !options.apiKey && !options.noAuth ? randomBytes(24).toString('base64url') : null;
    const appliance = await startAppliance({
      db: options.db,
      host: options.host,
      port: options.port,
      apiKey: options.apiKey ?? generatedKey,
      authDisabled: options.noAuth,
      logLevel: options.logLevel,
    });
    if (generatedKey) appliance.logger.info({ apiKey: generatedKey }, 'no --api-key given: generated one for remote executors for this run');
    const signal = await untilSignal();
    appliance.logger.info({ signal }, 'shutting down');
    await appliance.stop();
    return 0;
  },
});
