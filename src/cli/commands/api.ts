import { defineCommand, opt } from '../command.ts';
import { dbOption, logLevelOption } from '../shared-options.ts';
import { untilSignal } from '../lifecycle.ts';
import { createLogger } from '../../log.ts';
import { Store } from '../../store/index.ts';
import { startApi } from '../../api/server.ts';

export const apiOptions = {
  host: opt.string('Address to bind', { default: '0.0.0.0', env: 'KINITRO_API_HOST' }),
  port: opt.int('Port to listen on (0 = any free port)', { default: 8000, min: 0, max: 65535, env: 'KINITRO_API_PORT' }),
  apiKey: opt.string('Bearer key required on the executor routes (/v1/tasks/fetch, submit, heartbeat, release)', {
    env: 'KINITRO_API_KEY',
    envAliases: ['KINITRO_API_API_KEY'],
    placeholder: 'KEY',
    secret: true,
  }),
  noAuth: opt.flag('Serve the executor endpoints without authentication (explicit opt-out)', { env: 'KINITRO_NO_AUTH' }),
};

export const apiCommand = defineCommand({
  path: ['api'],
  summary: 'Serve the REST API over a SQLite database.',
  options: { db: dbOption, ...apiOptions, logLevel: logLevelOption },
  async run({ options }) {
    const logger = createLogger({ level: options.logLevel }).child({ component: 'api' });
    const store = Store.open(options.db);
    try {
      const api = await startApi({ store, logger, host: options.host, port: options.port, apiKey: options.apiKey ?? null, authDisabled: options.noAuth });
      logger.info({ url: api.url, db: options.db, auth: !options.noAuth }, 'API listening');
      const signal = await untilSignal();
      logger.info({ signal }, 'shutting down');
      await api.close();
    } finally {
      store.close();
    }
    return 0;
  },
});
