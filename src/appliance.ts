/**
 * The appliance: builds every service from one validated configuration and starts/stops them in
 * order. Nothing else wires services together.
 */
import path from 'node:path';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { Store } from './store/index.ts';
import { startApi, type RunningApi } from './api/server.ts';

export interface ApplianceConfig {
  db: string;
  host: string;
  port: number;
  apiKey: string | null;
  authDisabled: boolean;
  logLevel: LogLevel;
}

export interface RunningAppliance {
  store: Store;
  api: RunningApi;
  logger: Logger;
  stop(): Promise<void>;
}

export async function startAppliance(config: ApplianceConfig, logger: Logger = createLogger({ level: config.logLevel })): Promise<RunningAppliance> {
  const store = Store.open(path.resolve(config.db));
  let api: RunningApi;
  try {
    api = await startApi({
      store,
      logger: logger.child({ component: 'api' }),
      host: config.host,
      port: config.port,
      apiKey: config.apiKey,
      authDisabled: config.authDisabled,
    });
  } catch (err) {
    store.close();
    throw err;
  }
  logger.info({ url: api.url, db: config.db }, 'appliance started');
  return {
    store,
    api,
    logger,
    async stop() {
      await api.close();
      store.close();
      logger.info('appliance stopped');
    },
  };
}
