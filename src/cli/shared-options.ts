/** Options several commands share, declared once so names, env vars and defaults agree. */
import { opt } from './command.ts';
import { LOG_LEVELS, type LogLevel } from '../log.ts';
import { DEFAULT_DB_FILE } from '../chain/open.ts';

export const dbOption = opt.string('SQLite database file', { default: DEFAULT_DB_FILE, env: 'KINITRO_DB', placeholder: 'FILE' });
export const logLevelOption = opt.choice(LOG_LEVELS as readonly LogLevel[], 'Log level', { default: 'info' });
