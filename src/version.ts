/**
 * The appliance's version, read once from package.json so that `/health`, `/v1/appliance`,
 * `kinitro --version` and the TUI can never disagree with what was released.
 */
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version?: unknown };
if (typeof pkg.version !== 'string') throw new Error('package.json has no version string');

export const VERSION: string = pkg.version;
