/** `npm run bench -- <name> [args]` runs bench/<name>.ts, whose default export prints its results. */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const available = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => f.slice(0, -3))
  .sort();
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [args]\n`);
  process.exit(name ? 2 : 0);
}
const mod = (await import(path.join(here, `${name}.ts`))) as { default: (args: string[]) => Promise<void> };
await mod.default(args);
