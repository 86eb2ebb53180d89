#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so no build step is needed after `npm install`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
// Long-running commands (start, api, executor) resolve only when they have shut down.
process.exitCode = code;
